/**
 * A test PKI for development and tests: certification authorities and end-entity certificates
 * with their keys, made with @peculiar/x509 over WebCrypto (ECDSA P-256).
 */
import { x509 } from '../../core/lib/x509.ts'

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY = 24 * 60 * 60 * 1000

export type Issued = { certificate: Uint8Array; privateKey: Uint8Array }
export type CertificationAuthority = Issued & { name: string; keys: CryptoKeyPair }

const newKeys = () => crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>
const pkcs8 = async (key: CryptoKey) => new Uint8Array(await crypto.subtle.exportKey('pkcs8', key))

/**
 * A certification authority: a self-signed anchor, or with `issuer` an intermediate authority
 * under it. Valid from a year before `now` for ten years unless told otherwise; `pathLength`
 * (default 0: no authority below it) limits the authorities below.
 */
export const createAuthority = async (
  name: string,
  now: Date,
  options: {
    issuer?: CertificationAuthority
    pathLength?: number
    validity?: { notBefore: Date; notAfter: Date }
    /** Without basicConstraints cA: an end entity's certificate used as an authority's. */
    notCa?: boolean
  } = {},
): Promise<CertificationAuthority> => {
  const keys = await newKeys()
  const common = {
    signingAlgorithm: ALGORITHM,
    notBefore: options.validity?.notBefore ?? new Date(now.getTime() - 365 * DAY),
    notAfter: options.validity?.notAfter ?? new Date(now.getTime() + 10 * 365 * DAY),
    extensions: [
      options.notCa
        ? new x509.BasicConstraintsExtension(false, undefined, true)
        : new x509.BasicConstraintsExtension(true, options.pathLength ?? 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  }
  const cert = options.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: name,
        issuer: options.issuer.name,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name, keys })
  return { name, keys, certificate: new Uint8Array(cert.rawData), privateKey: await pkcs8(keys.privateKey) }
}

export const issueCertificate = async (
  authority: CertificationAuthority,
  subject: string,
  validity: { notBefore: Date; notAfter: Date },
  options: {
    keyUsage?: number
    /** Extensions besides the key usage (basic constraints, extended key usage, others). */
    extensions?: InstanceType<typeof x509.Extension>[]
    /** The holder's keys (default: a new ECDSA P-256 pair). */
    keys?: CryptoKeyPair
  } = {},
): Promise<Issued & { serialNumber: string }> => {
  const keys = options.keys ?? (await newKeys())
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    issuer: authority.name,
    publicKey: keys.publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    extensions: [
      new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
      ...(options.extensions ?? []),
    ],
  })
  return {
    certificate: new Uint8Array(cert.rawData),
    privateKey: await pkcs8(keys.privateKey),
    serialNumber: cert.serialNumber,
  }
}

/** An ExpiredCertsOnCRL extension (2.5.29.60): its GeneralizedTime, DER. */
const expiredCertsOnCrl = (since: Date) => {
  const time = since.toISOString().replace(/[-:T]|\.\d{3}/g, '')
  return new x509.Extension(
    '2.5.29.60',
    false,
    new Uint8Array([0x18, time.length, ...new TextEncoder().encode(time)]),
  )
}

/**
 * The authority's CRL listing `revoked` serial numbers, current from a day ago until `nextUpdate`
 * (undefined: a CRL without one, which the verifier takes as stale). With `keepsExpiredSince` it
 * says it keeps the entries of certificates expired since then (ExpiredCertsOnCRL).
 */
export const revocationList = async (
  authority: CertificationAuthority,
  revoked: string[],
  at: Date,
  nextUpdate: Date | undefined,
  options: { keepsExpiredSince?: Date } = {},
): Promise<Uint8Array> => {
  const crl = await x509.X509CrlGenerator.create({
    issuer: authority.name,
    thisUpdate: daysFrom(at, -1),
    nextUpdate,
    extensions: options.keepsExpiredSince ? [expiredCertsOnCrl(options.keepsExpiredSince)] : [],
    entries: revoked.map((serialNumber) => ({ serialNumber, revocationDate: daysFrom(at, -1) })),
    signingKey: authority.keys.privateKey,
    signingAlgorithm: ALGORITHM,
  })
  return new Uint8Array(crl.rawData)
}

export const daysFrom = (now: Date, days: number): Date => new Date(now.getTime() + days * DAY)
