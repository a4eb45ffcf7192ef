/**
 * The one certificate verifier: a card's proof (certificate + signature over the server's
 * challenge) is accepted when the certificate chains to a trust anchor, is valid now, and the
 * signature proves the card holds its key. Pure: @peculiar/x509 over WebCrypto, which Node, Deno
 * and the browser all have.
 */
import { sha256Hex } from './digest.ts'
import type { CardProof } from './ports.ts'
import { err, ok, type Result } from './result.ts'
import { x509 } from './x509.ts'

export type CertificateError =
  | { kind: 'malformed' }
  | { kind: 'untrusted'; issuer: string }
  | { kind: 'expired'; notAfter: Date }
  | { kind: 'not-yet-valid'; notBefore: Date }
  | { kind: 'bad-signature' }

export type VerifiedCertificate = {
  fingerprint: string
  serialNumber: string
  subject: string
  issuer: string
  holderName: string
  organisation: string
  notBefore: Date
  notAfter: Date
}

/** What the card signs: the challenge's text, tagged so that a signature serves no other purpose. */
export const signedPayload = (challenge: string): Uint8Array<ArrayBuffer> =>
  new TextEncoder().encode(`chotatsu-portal-sign-in:${challenge}`)

/** The signature scheme for a key, as both the card and the verifier use it. */
export const signatureAlgorithm = (key: CryptoKey): AlgorithmIdentifier | EcdsaParams =>
  key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: key.algorithm.name }

export const fingerprintOf = (der: Uint8Array<ArrayBuffer>): Promise<string> => sha256Hex(der)

/** Reads a certificate's facts, without judging it. */
export const describeCertificate = async (der: Uint8Array<ArrayBuffer>): Promise<VerifiedCertificate> => {
  const cert = new x509.X509Certificate(der)
  return {
    fingerprint: await fingerprintOf(der),
    serialNumber: cert.serialNumber,
    subject: cert.subject,
    issuer: cert.issuer,
    holderName: cert.subjectName.getField('CN')[0] ?? '',
    organisation: cert.subjectName.getField('O')[0] ?? '',
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  }
}

export const verifyProof = async (
  proof: CardProof,
  challenge: string,
  trustAnchors: Uint8Array[],
  now: Date,
): Promise<Result<VerifiedCertificate, CertificateError>> => {
  let cert: InstanceType<typeof x509.X509Certificate>
  const der = new Uint8Array(proof.certificate)
  try {
    cert = new x509.X509Certificate(der)
  } catch {
    return err({ kind: 'malformed' })
  }
  let trusted = false
  for (const anchorDer of trustAnchors) {
    const anchor = new x509.X509Certificate(new Uint8Array(anchorDer))
    if (anchor.subject !== cert.issuer) continue
    if (await cert.verify({ publicKey: anchor.publicKey, signatureOnly: true })) {
      trusted = true
      break
    }
  }
  if (!trusted) return err({ kind: 'untrusted', issuer: cert.issuer })
  if (now < cert.notBefore) return err({ kind: 'not-yet-valid', notBefore: cert.notBefore })
  if (now > cert.notAfter) return err({ kind: 'expired', notAfter: cert.notAfter })
  const key = await cert.publicKey.export(crypto)
  const signatureOk = await crypto.subtle
    .verify(signatureAlgorithm(key), key, new Uint8Array(proof.signature), signedPayload(challenge))
    .catch(() => false)
  if (!signatureOk) return err({ kind: 'bad-signature' })
  return ok(await describeCertificate(der))
}
