/**
 * Trust material with the CRLs a certificate names: for each CRL distribution point of the
 * certificate being judged (and of the intermediate authorities the portal knows), the CRL kept
 * from an earlier fetch while it is current (until its nextUpdate), else a fresh one from the
 * distribution point, kept in turn. When the point cannot be reached, the kept CRL is used
 * whatever its age: the validator then finds it stale and answers revocation-unknown, so a card
 * is never taken as unrevoked for want of a CRL. One fetch per URL at a time in this process.
 * Only a certificate that a known authority signed gets its points asked: anyone can make a
 * certificate naming any URL, and the portal must not fetch an internal address for them.
 */
import type { TrustMaterial } from '../../core/certificate-path.ts'
import type { Clock, CrlDistribution, TrustAnchors } from '../../core/ports.ts'
import { x509 } from '../../core/x509.ts'
import type { CrlCache } from './crl-cache.ts'

/** Distribution points asked per judgement, at most: a certificate cannot make the portal fetch a hundred. */
export const MAX_DISTRIBUTION_POINTS = 4

/** The http(s) URLs of the certificates' CRL distribution points, each once. */
export const distributionPointsOf = (certificates: Uint8Array[]): string[] => {
  const urls = new Set<string>()
  for (const der of certificates) {
    let points: InstanceType<typeof x509.CRLDistributionPointsExtension> | null
    try {
      points = new x509.X509Certificate(new Uint8Array(der)).getExtension(x509.CRLDistributionPointsExtension)
    } catch {
      continue
    }
    for (const point of points?.distributionPoints ?? [])
      for (const name of point.distributionPoint?.fullName ?? []) {
        const uri = name.uniformResourceIdentifier
        if (uri && /^https?:\/\//i.test(uri)) urls.add(uri)
      }
  }
  return [...urls].slice(0, MAX_DISTRIBUTION_POINTS)
}

/** Whether an anchor or a known intermediate authority signed the certificate. */
const issuedByKnownAuthority = async (der: Uint8Array, trust: TrustMaterial): Promise<boolean> => {
  try {
    const cert = new x509.X509Certificate(new Uint8Array(der))
    for (const authority of [...trust.anchors.map((a) => a.certificate), ...(trust.intermediates ?? [])]) {
      const issuer = new x509.X509Certificate(new Uint8Array(authority))
      if (issuer.subject !== cert.issuer) continue
      if (await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false))
        return true
    }
  } catch {
    // Not a certificate: it names no point.
  }
  return false
}

export const withDistributedCrls = (
  trustAnchors: TrustAnchors,
  deps: { distribution: CrlDistribution; cache: CrlCache; clock: Clock; log?: (message: string) => void },
): TrustAnchors => {
  const inFlight = new Map<string, Promise<Uint8Array | undefined>>()

  const fetchAndKeep = async (url: string): Promise<Uint8Array | undefined> => {
    const kept = await deps.cache.find(url)
    if (kept?.nextUpdate && kept.nextUpdate > deps.clock.now()) return kept.crl
    const fetched = await deps.distribution.fetch(url)
    if (!fetched.ok) {
      deps.log?.(`CRL ${url}: ${fetched.error.message}`)
      return kept?.crl
    }
    let crl: InstanceType<typeof x509.X509Crl>
    try {
      crl = new x509.X509Crl(new Uint8Array(fetched.value))
    } catch {
      deps.log?.(`CRL ${url}: not a CRL`)
      return kept?.crl
    }
    await deps.cache.save(url, {
      crl: fetched.value,
      nextUpdate: crl.nextUpdate,
      fetchedAt: deps.clock.now(),
    })
    return fetched.value
  }

  const currentCrl = (url: string): Promise<Uint8Array | undefined> => {
    let pending = inFlight.get(url)
    if (!pending) {
      pending = fetchAndKeep(url).finally(() => inFlight.delete(url))
      inFlight.set(url, pending)
    }
    return pending
  }

  return {
    load: async (certificate) => {
      const trust = await trustAnchors.load(certificate)
      if (!certificate) return trust
      const known = await issuedByKnownAuthority(certificate, trust)
      const urls = distributionPointsOf([...(known ? [certificate] : []), ...(trust.intermediates ?? [])])
      const crls = await Promise.all(urls.map(currentCrl))
      return { ...trust, revocationLists: [...trust.revocationLists, ...crls.flatMap((c) => (c ? [c] : []))] }
    },
  }
}
