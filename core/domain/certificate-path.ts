/**
 * Certification path validation (RFC 5280 §6, the part a portal of client certificates needs),
 * with a profile per kind of certificate. A certificate is accepted when:
 * - a path leads from it through the known intermediate authorities to a trust anchor, every
 *   signature on the way holds, and it is at most MAX_INTERMEDIATES long;
 * - every authority on the path is valid now (the anchor too), is a CA (basicConstraints cA; key
 *   usage keyCertSign where it states one), and allows as many authorities below it as there are
 *   (pathLenConstraint);
 * - the certificate itself is valid now (F2 may accept it expired: see allowExpired), is not an
 *   authority, may sign (keyUsage digitalSignature), and, where it states an extended key usage,
 *   may serve the portal's purpose (clientAuth, or anyExtendedKeyUsage; a JPKI signing
 *   certificate also emailProtection or documentSigning);
 * - no certificate on the path carries a critical extension this check does not know;
 * - every key is RSA of at least 2048 bits or EC on P-256, P-384 or P-521;
 * - no certificate on the path is on its issuer's current CRL. A CRL is current from its
 *   thisUpdate until its nextUpdate; one without a nextUpdate is stale, as is one whose time
 *   has passed: without a current CRL the answer is revocation-unknown, never "good". For an
 *   expired certificate (F2) the CRL must still speak for it (expiredStatusKnown).
 * Pure: @peculiar/x509 over WebCrypto.
 */
import { err, ok, type Result } from '../lib/result.ts'
import { x509 } from '../lib/x509.ts'

type Certificate = InstanceType<typeof x509.X509Certificate>

/** Which authority issued it: a private one (IC cards, files) or JPKI (My Number cards). */
export type AuthorityKind = 'private' | 'jpki'

/**
 * What a certificate is for. A private authority's serves everything; a My Number card holds two:
 * the signing one (署名用, with nonRepudiation: F2, F3) and the user-authentication one
 * (利用者証明用, digitalSignature only: sign-in, deletion).
 */
export type CertificateUse = 'private' | 'my-number-signing' | 'my-number-user-authentication'

export type CertificateError =
  | { kind: 'malformed' }
  /** No path to a trust anchor: `issuer` names the authority that was not found or not valid as one. */
  | { kind: 'untrusted'; issuer: string }
  /** An authority on the path (the anchor, or an intermediate) is not valid now. */
  | { kind: 'authority-expired'; authority: string; notAfter: Date }
  | { kind: 'expired'; notAfter: Date }
  | { kind: 'not-yet-valid'; notBefore: Date }
  /** Its key usage does not allow signing, or its extended key usage not the portal's purpose. */
  | { kind: 'wrong-key-usage'; which: 'key-usage' | 'extended-key-usage' }
  /** It is itself an authority's certificate (basicConstraints cA, or keyCertSign). */
  | { kind: 'is-authority' }
  | { kind: 'unsupported-extension'; oid: string }
  | { kind: 'weak-key'; key: string }
  | { kind: 'revoked'; revokedAt: Date }
  /** No current CRL of its authority to check it against: refused rather than assumed good. */
  | { kind: 'revocation-unknown' }
  /**
   * Expired (F2), and its authority's current CRL may no longer list it even if it was revoked
   * (see expiredStatusKnown): refused rather than assumed good.
   */
  | { kind: 'expired-status-unknown'; notAfter: Date }
  | { kind: 'bad-signature' }

/**
 * The authorities the portal trusts (each anchor a private authority's or JPKI's), the
 * intermediate authorities it knows between them and the cards, and each one's current CRL (DER).
 */
export type TrustMaterial = {
  anchors: { certificate: Uint8Array; kind: AuthorityKind }[]
  intermediates?: Uint8Array[]
  revocationLists: Uint8Array[]
}

/** Intermediate authorities a path may hold between a card's certificate and its anchor. */
export const MAX_INTERMEDIATES = 3

const OID = {
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  certificatePolicies: '2.5.29.32',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  subjectDirectoryAttributes: '2.5.29.9',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  documentSigning: '1.3.6.1.5.5.7.3.36',
} as const

/**
 * The extensions this check processes or may ignore when marked critical. Certificate policies
 * are accepted whatever they say: the portal asks for no policy (no policy constraints), so any is
 * acceptable (RFC 5280 §6.1 with initial-any-policy). Name constraints are not processed, so a
 * critical one is refused like any other unknown extension.
 */
const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.keyUsage,
  OID.basicConstraints,
  OID.extendedKeyUsage,
  OID.certificatePolicies,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.crlDistributionPoints,
  OID.subjectDirectoryAttributes,
  OID.authorityInfoAccess,
])

/** The extended key usages that let a certificate serve each use, where it states any. */
const PURPOSES: Record<CertificateUse, readonly string[]> = {
  private: [OID.clientAuth, OID.anyExtendedKeyUsage],
  'my-number-user-authentication': [OID.clientAuth, OID.anyExtendedKeyUsage],
  'my-number-signing': [OID.clientAuth, OID.anyExtendedKeyUsage, OID.emailProtection, OID.documentSigning],
}

const STRONG_CURVES: ReadonlySet<string> = new Set(['P-256', 'P-384', 'P-521'])
const MIN_RSA_BITS = 2048

const unknownCriticalExtension = (cert: Certificate): string | undefined =>
  cert.extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.type))?.type

/** The key's name when it is too weak (or of a kind the portal does not take); else undefined. */
const weakKey = async (cert: Certificate): Promise<string | undefined> => {
  let key: CryptoKey
  try {
    key = await cert.publicKey.export(crypto)
  } catch {
    return 'unknown'
  }
  const algorithm = key.algorithm as Partial<RsaHashedKeyAlgorithm & EcKeyAlgorithm>
  if (algorithm.modulusLength !== undefined)
    return algorithm.modulusLength >= MIN_RSA_BITS ? undefined : `RSA ${algorithm.modulusLength}`
  if (algorithm.namedCurve !== undefined)
    return STRONG_CURVES.has(algorithm.namedCurve) ? undefined : `EC ${algorithm.namedCurve}`
  return algorithm.name ?? 'unknown'
}

const signedBy = async (cert: Certificate, issuer: Certificate): Promise<boolean> =>
  cert.issuer === issuer.subject &&
  (await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false))

/** ExpiredCertsOnCRL (X.509, 2.5.29.60): the CRL keeps the entries of certificates expired since then. */
export const EXPIRED_CERTS_ON_CRL = '2.5.29.60'

/** The GeneralizedTime an ExpiredCertsOnCRL extension holds (DER: 0x18, length, YYYYMMDDHHMMSSZ). */
const expiredCertsOnCrl = (crl: InstanceType<typeof x509.X509Crl>): Date | undefined => {
  const value = crl.extensions.find((e) => e.type === EXPIRED_CERTS_ON_CRL)?.value
  if (!value) return undefined
  const bytes = new Uint8Array(value)
  if (bytes[0] !== 0x18) return undefined
  const text = new TextDecoder().decode(bytes.subarray(2, 2 + (bytes[1] ?? 0)))
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second))
}

/**
 * Whether a CRL's silence about an expired certificate means it was not revoked. An authority may
 * drop a revoked certificate's entry once the certificate has expired, so only two kinds of CRL
 * still speak for it: one issued while it was valid (thisUpdate no later than its notAfter: no
 * entry could have been dropped yet), and one that says it keeps the entries of certificates
 * expired since a time no later than its notAfter (ExpiredCertsOnCRL). Any other may have dropped
 * the entry, and F2 must not take it as "not revoked".
 */
const expiredStatusKnown = (crl: InstanceType<typeof x509.X509Crl>, notAfter: Date): boolean => {
  if (crl.thisUpdate <= notAfter) return true
  const keptSince = expiredCertsOnCrl(crl)
  return keptSince !== undefined && keptSince <= notAfter
}

/**
 * CRL extensions a full CRL of its issuer may carry, critical or not (RFC 5280 §5.2): a delta CRL
 * (deltaCRLIndicator) or a partitioned one (issuingDistributionPoint) is not the whole list, and
 * one with another critical extension cannot be read safely: such CRLs are not used.
 */
const CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.5.29.20', // cRLNumber
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.18', // issuerAltName
  '2.5.29.46', // freshestCRL (a pointer to deltas, which are not used)
  EXPIRED_CERTS_ON_CRL,
])

/** The issuer's full CRLs that are current at `now` and signed by it. */
const currentCrlsOf = async (issuer: Certificate, revocationLists: Uint8Array[], now: Date) => {
  const current: InstanceType<typeof x509.X509Crl>[] = []
  for (const der of revocationLists) {
    let crl: InstanceType<typeof x509.X509Crl>
    try {
      crl = new x509.X509Crl(new Uint8Array(der))
    } catch {
      continue
    }
    if (crl.issuer !== issuer.subject) continue
    if (
      crl.extensions.some(
        (e) =>
          !CRL_EXTENSIONS.has(e.type) && (e.critical || e.type === '2.5.29.27' || e.type === '2.5.29.28'),
      )
    )
      continue
    if (!(await crl.verify({ publicKey: issuer.publicKey }).catch(() => false))) continue
    // A CRL without nextUpdate says nothing of when it stops being current: stale.
    if (crl.thisUpdate > now || !crl.nextUpdate || crl.nextUpdate <= now) continue
    current.push(crl)
  }
  return current
}

/**
 * Whether a registered certificate (by its issuer's name and serial number) is listed on one of
 * `revocationLists` from that issuer. The lists' signatures are not checked: "revoked" here only
 * keeps an expiry reminder going (core/use-cases/shared/certificate-succession.ts); it grants
 * nothing. A list that cannot be read is passed over.
 */
export const listedAsRevoked = (
  certificate: { issuer: string; serialNumber: string },
  revocationLists: Uint8Array[],
): boolean =>
  revocationLists.some((der) => {
    try {
      const crl = new x509.X509Crl(new Uint8Array(der))
      return crl.issuer === certificate.issuer && crl.findRevoked(certificate.serialNumber) !== null
    } catch {
      return false
    }
  })

/**
 * Whether `issuer`'s current CRLs list `cert` (on any of them: revoked); undefined when there is no
 * current CRL, and `statusKnown` false when `cert` has expired and none of them speaks for it.
 */
const revocationOf = async (
  cert: Certificate,
  issuer: Certificate,
  revocationLists: Uint8Array[],
  now: Date,
): Promise<{ revokedAt?: Date; statusKnown: boolean } | undefined> => {
  const current = await currentCrlsOf(issuer, revocationLists, now)
  if (current.length === 0) return undefined
  const entries = current.flatMap((crl) => crl.findRevoked(cert) ?? [])
  const revokedAt = entries.map((e) => e.revocationDate).sort((x, y) => x.getTime() - y.getTime())[0]
  if (revokedAt) return { revokedAt, statusKnown: true }
  return {
    statusKnown: now <= cert.notAfter || current.some((crl) => expiredStatusKnown(crl, cert.notAfter)),
  }
}

const parse = (der: Uint8Array): Certificate | undefined => {
  try {
    return new x509.X509Certificate(new Uint8Array(der))
  } catch {
    return undefined
  }
}

/** The path from `leaf` up to an anchor: the authorities above it, nearest first, the anchor last. */
const buildPath = async (
  leaf: Certificate,
  trust: TrustMaterial,
): Promise<Result<{ authorities: Certificate[]; kind: AuthorityKind }, CertificateError>> => {
  const anchors = trust.anchors.flatMap((a) => {
    const certificate = parse(a.certificate)
    return certificate ? [{ certificate, kind: a.kind }] : []
  })
  const intermediates = (trust.intermediates ?? []).flatMap((der) => parse(der) ?? [])
  const authorities: Certificate[] = []
  let current = leaf
  for (let depth = 0; depth <= MAX_INTERMEDIATES; depth++) {
    for (const anchor of anchors)
      if (await signedBy(current, anchor.certificate))
        return ok({ authorities: [...authorities, anchor.certificate], kind: anchor.kind })
    let next: Certificate | undefined
    for (const candidate of intermediates) {
      if (authorities.includes(candidate)) continue
      if (await signedBy(current, candidate)) {
        next = candidate
        break
      }
    }
    if (!next) break
    authorities.push(next)
    current = next
  }
  return err({ kind: 'untrusted', issuer: current.issuer })
}

/** An authority on the path: valid now, a CA allowed `below` authorities under it, no unknown critical extension. */
const checkAuthority = async (
  authority: Certificate,
  below: number,
  now: Date,
): Promise<CertificateError | undefined> => {
  if (now < authority.notBefore || now > authority.notAfter)
    return { kind: 'authority-expired', authority: authority.subject, notAfter: authority.notAfter }
  const constraints = authority.getExtension(x509.BasicConstraintsExtension)
  if (!constraints?.ca) return { kind: 'untrusted', issuer: authority.subject }
  if (constraints.pathLength !== undefined && constraints.pathLength < below)
    return { kind: 'untrusted', issuer: authority.subject }
  const usage = authority.getExtension(x509.KeyUsagesExtension)
  if (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0)
    return { kind: 'untrusted', issuer: authority.subject }
  const critical = unknownCriticalExtension(authority)
  if (critical) return { kind: 'unsupported-extension', oid: critical }
  const weak = await weakKey(authority)
  if (weak) return { kind: 'weak-key', key: weak }
  return undefined
}

/**
 * Validates a card's certificate against the trust material at `now`, and says what it is for.
 * `allowExpired` accepts the certificate itself expired, and only that (F2 renews a certificate
 * precisely because it has expired); its authorities must still be valid, and its authority's
 * current CRL must not list it.
 */
export const validateCertificate = async (
  der: Uint8Array,
  trust: TrustMaterial,
  now: Date,
  options: { allowExpired?: boolean } = {},
): Promise<Result<{ cert: Certificate; use: CertificateUse }, CertificateError>> => {
  const cert = parse(der)
  if (!cert) return err({ kind: 'malformed' })
  const path = await buildPath(cert, trust)
  if (!path.ok) return path
  const { authorities, kind } = path.value
  for (const [i, authority] of authorities.entries()) {
    const problem = await checkAuthority(authority, i, now)
    if (problem) return err(problem)
  }

  if (now < cert.notBefore) return err({ kind: 'not-yet-valid', notBefore: cert.notBefore })
  if (now > cert.notAfter && !options.allowExpired) return err({ kind: 'expired', notAfter: cert.notAfter })
  const usage = cert.getExtension(x509.KeyUsagesExtension)
  if (
    cert.getExtension(x509.BasicConstraintsExtension)?.ca ||
    (usage && usage.usages & x509.KeyUsageFlags.keyCertSign)
  )
    return err({ kind: 'is-authority' })
  const critical = unknownCriticalExtension(cert)
  if (critical) return err({ kind: 'unsupported-extension', oid: critical })
  const weak = await weakKey(cert)
  if (weak) return err({ kind: 'weak-key', key: weak })
  if (!usage || (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0)
    return err({ kind: 'wrong-key-usage', which: 'key-usage' })
  const use: CertificateUse =
    kind === 'private'
      ? 'private'
      : usage.usages & x509.KeyUsageFlags.nonRepudiation
        ? 'my-number-signing'
        : 'my-number-user-authentication'
  const purposes = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages
  if (purposes && !purposes.some((p) => PURPOSES[use].includes(String(p))))
    return err({ kind: 'wrong-key-usage', which: 'extended-key-usage' })

  // Revocation, of each certificate on the path below the anchor, by its issuer's CRL.
  const chain = [cert, ...authorities]
  for (let i = 0; i < chain.length - 1; i++) {
    const [subject, issuer] = [chain[i] as Certificate, chain[i + 1] as Certificate]
    const revocation = await revocationOf(subject, issuer, trust.revocationLists, now)
    if (!revocation) return err({ kind: 'revocation-unknown' })
    if (revocation.revokedAt)
      return subject === cert
        ? err({ kind: 'revoked', revokedAt: revocation.revokedAt })
        : err({ kind: 'untrusted', issuer: subject.subject })
    if (!revocation.statusKnown) return err({ kind: 'expired-status-unknown', notAfter: subject.notAfter })
  }
  return ok({ cert, use })
}
