/**
 * Trust material with the CRLs a certificate names: for each CRL distribution point of the
 * certificate being judged and of the intermediate authorities above it, the CRL kept from an
 * earlier fetch while it is current (until its nextUpdate), else a fresh one from the point, kept
 * in turn. When the point cannot be reached, the kept CRL is used whatever its age: the validator
 * then finds it stale and answers revocation-unknown, so a card is never taken as unrevoked for
 * want of a CRL. One fetch per URL at a time in this process.
 *
 * What the outside world could do to it, and what stops it:
 * - anyone can make a certificate naming any URL: only a certificate a known authority signed gets
 *   its points asked, so the portal fetches no address an attacker chooses;
 * - a CRL travels over plain HTTP: one is kept only if a known authority signed it and it is not
 *   older than the one kept (no replay of an old list, no foreign list in its place);
 * - a certificate may name many points: at most MAX_DISTRIBUTION_POINTS each.
 * Only http(s) points are asked; an authority that publishes otherwise (LDAP, a directory name)
 * keeps its CRL beside its certificate in the trust store (`npm run ops -- trust crl`).
 */
import type { TrustMaterial } from '../../core/domain/certificate-path.ts'
import { x509 } from '../../core/lib/x509.ts'
import type { Clock, CrlDistribution, TrustAnchors } from '../../core/ports.ts'
import type { CrlCache } from './crl-cache.ts'

type Certificate = InstanceType<typeof x509.X509Certificate>
type Crl = InstanceType<typeof x509.X509Crl>

/** Distribution points asked per certificate, at most: a certificate cannot make the portal fetch a hundred. */
export const MAX_DISTRIBUTION_POINTS = 4
/** Authorities above a card whose points are asked: as many as a path may hold (core/domain/certificate-path.ts). */
const MAX_AUTHORITIES_ABOVE = 4

const parseCertificate = (der: Uint8Array): Certificate | undefined => {
  try {
    return new x509.X509Certificate(new Uint8Array(der))
  } catch {
    return undefined
  }
}

/** The http(s) URLs of a certificate's CRL distribution points, each once, at most MAX_DISTRIBUTION_POINTS. */
export const distributionPointsOf = (der: Uint8Array): string[] => {
  const urls = new Set<string>()
  let points: InstanceType<typeof x509.CRLDistributionPointsExtension> | null | undefined
  try {
    points = parseCertificate(der)?.getExtension(x509.CRLDistributionPointsExtension)
  } catch {
    return []
  }
  for (const point of points?.distributionPoints ?? [])
    for (const name of point.distributionPoint?.fullName ?? []) {
      const uri = name.uniformResourceIdentifier
      if (uri && /^https?:\/\//i.test(uri)) urls.add(uri)
    }
  return [...urls].slice(0, MAX_DISTRIBUTION_POINTS)
}

const signedBy = async (cert: Certificate, issuer: Certificate) =>
  cert.issuer === issuer.subject &&
  (await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false))

/**
 * The certificates whose points are asked: the card's, if a known authority signed it, and the
 * known intermediates above it, each signed by the next (none when nothing known signed the card).
 */
const certificatesToAsk = async (
  der: Uint8Array,
  authorities: Certificate[],
  intermediates: Certificate[],
) => {
  const card = parseCertificate(der)
  if (!card) return []
  const path: Certificate[] = []
  let current = card
  for (let depth = 0; depth < MAX_AUTHORITIES_ABOVE; depth++) {
    const above = await firstSigner(current, authorities)
    if (!above) break
    if (depth === 0) path.push(card)
    if (!intermediates.includes(above)) break
    path.push(above)
    current = above
  }
  return path
}

const firstSigner = async (cert: Certificate, candidates: Certificate[]) => {
  for (const candidate of candidates) if (await signedBy(cert, candidate)) return candidate
  return undefined
}

/** Whether a known authority signed the CRL. */
const crlSignedByKnown = async (crl: Crl, authorities: Certificate[]) => {
  for (const authority of authorities)
    if (
      authority.subject === crl.issuer &&
      (await crl.verify({ publicKey: authority.publicKey }).catch(() => false))
    )
      return true
  return false
}

export const withDistributedCrls = (
  trustAnchors: TrustAnchors,
  deps: { distribution: CrlDistribution; cache: CrlCache; clock: Clock; log?: (message: string) => void },
): TrustAnchors => {
  const inFlight = new Map<string, Promise<Uint8Array | undefined>>()

  const fetchAndKeep = async (url: string, authorities: Certificate[]): Promise<Uint8Array | undefined> => {
    const kept = await deps.cache.find(url)
    if (kept?.nextUpdate && kept.nextUpdate > deps.clock.now()) return kept.crl
    const fetched = await deps.distribution.fetch(url)
    if (!fetched.ok) {
      deps.log?.(`CRL ${url}: ${fetched.error.message}`)
      return kept?.crl
    }
    let crl: Crl
    try {
      crl = new x509.X509Crl(new Uint8Array(fetched.value))
    } catch {
      deps.log?.(`CRL ${url}: not a CRL`)
      return kept?.crl
    }
    if (!(await crlSignedByKnown(crl, authorities))) {
      deps.log?.(`CRL ${url}: not signed by an authority the portal knows; kept the one before`)
      return kept?.crl
    }
    const keptThisUpdate = kept && new x509.X509Crl(new Uint8Array(kept.crl)).thisUpdate
    if (keptThisUpdate && crl.thisUpdate < keptThisUpdate) {
      deps.log?.(`CRL ${url}: older than the one kept; kept the newer`)
      return kept?.crl
    }
    await deps.cache.save(url, {
      crl: fetched.value,
      nextUpdate: crl.nextUpdate,
      fetchedAt: deps.clock.now(),
    })
    return fetched.value
  }

  const currentCrl = (url: string, authorities: Certificate[]): Promise<Uint8Array | undefined> => {
    let pending = inFlight.get(url)
    if (!pending) {
      pending = fetchAndKeep(url, authorities).finally(() => inFlight.delete(url))
      inFlight.set(url, pending)
    }
    return pending
  }

  return {
    load: async (certificate) => {
      const trust: TrustMaterial = await trustAnchors.load(certificate)
      if (!certificate) return trust
      const anchors = trust.anchors.flatMap((a) => parseCertificate(a.certificate) ?? [])
      const intermediates = (trust.intermediates ?? []).flatMap((der) => parseCertificate(der) ?? [])
      const authorities = [...anchors, ...intermediates]
      const asked = await certificatesToAsk(certificate, authorities, intermediates)
      const urls = [...new Set(asked.flatMap((cert) => distributionPointsOf(new Uint8Array(cert.rawData))))]
      const crls = await Promise.all(urls.map((url) => currentCrl(url, authorities)))
      return { ...trust, revocationLists: [...trust.revocationLists, ...crls.flatMap((c) => (c ? [c] : []))] }
    },
  }
}
