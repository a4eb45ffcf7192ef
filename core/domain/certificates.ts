/**
 * The one certificate verifier: a card's proof (certificate + signature over the server's
 * challenge) is accepted when its certificate passes path validation (certificate-path.ts: a
 * path to a trust anchor, each kind's profile, key sizes, revocation) and the signature proves
 * the card holds its key.
 * Pure: @peculiar/x509 over WebCrypto, which Node, Deno and the browser all have.
 */

import { sha256Hex } from '../lib/digest.ts'
import { HELPER_HASHES, helperSignedData } from '../lib/helper-token.ts'
import { err, ok, type Result } from '../lib/result.ts'
import { x509 } from '../lib/x509.ts'
import type { CardProof } from '../ports.ts'
import {
  type CertificateError,
  type CertificateUse,
  type TrustMaterial,
  validateCertificate,
} from './certificate-path.ts'

export type { CertificateError, CertificateUse, TrustMaterial } from './certificate-path.ts'

export type VerifiedCertificate = {
  fingerprint: string
  serialNumber: string
  subject: string
  issuer: string
  holderName: string
  organisation: string
  notBefore: Date
  notAfter: Date
  use: CertificateUse
}

/** What the card signs: the challenge's text, tagged so that a signature serves no other purpose. */
export const signedPayload = (challenge: string): Uint8Array<ArrayBuffer> =>
  new TextEncoder().encode(`chotatsu-portal-sign-in:${challenge}`)

/** Checks a signature of a card, or of a card helper over `origin` (see helperSignedData). */
const signatureHolds = async (
  cert: Certificate,
  proof: CardProof,
  challenge: string,
  origin: string | undefined,
): Promise<boolean> => {
  const signature = new Uint8Array(proof.signature)
  if (!proof.helperAlgorithm) {
    const key = await cert.publicKey.export(crypto)
    return crypto.subtle.verify(signatureAlgorithm(key), key, signature, signedPayload(challenge))
  }
  const spec = HELPER_HASHES[proof.helperAlgorithm]
  if (!spec || origin === undefined) return false
  const key =
    spec.key === 'ECDSA'
      ? await cert.publicKey.export(crypto)
      : await cert.publicKey.export({ name: spec.key, hash: spec.hash }, ['verify'], crypto)
  if (key.algorithm.name !== spec.key) return false
  const data = await helperSignedData(proof.helperAlgorithm, origin, challenge)
  return crypto.subtle.verify({ name: spec.key, hash: spec.hash }, key, signature, data)
}

/**
 * Whether the proof's signature holds for its own certificate, the certificate not yet judged:
 * whether the one who sent it holds the key (a certificate alone is public).
 */
export const proofSignatureHolds = async (
  proof: CardProof,
  challenge: string,
  origin: string | undefined,
): Promise<boolean> => {
  try {
    const cert = new x509.X509Certificate(new Uint8Array(proof.certificate))
    return await signatureHolds(cert, proof, challenge, origin)
  } catch {
    return false
  }
}

/** A card's key as the test PKI issues them (ECDSA P-256, PKCS#8), ready to sign: a card in memory holds these. */
export const cardSigningKey = (pkcs8: Uint8Array): Promise<CryptoKey> =>
  crypto.subtle.importKey('pkcs8', new Uint8Array(pkcs8), { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ])

/** The signature scheme for a key, as both the card and the verifier use it. */
export const signatureAlgorithm = (key: CryptoKey): AlgorithmIdentifier | EcdsaParams =>
  key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: key.algorithm.name }

export const fingerprintOf = (der: Uint8Array<ArrayBuffer>): Promise<string> => sha256Hex(der)

/** Reads a certificate's facts, without judging it; `use` is known once its issuer is. */
export const describeCertificate = async (
  der: Uint8Array<ArrayBuffer>,
  use: CertificateUse = 'private',
): Promise<VerifiedCertificate> => {
  const cert = new x509.X509Certificate(der)
  return {
    use,
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

type Certificate = InstanceType<typeof x509.X509Certificate>

/**
 * Checks a proof. `allowExpired` accepts an expired certificate, and only that: F2 renews a
 * certificate precisely because it has expired.
 */
export const verifyProof = async (
  proof: CardProof,
  challenge: string,
  trust: TrustMaterial,
  now: Date,
  options: { allowExpired?: boolean; origin?: string } = {},
): Promise<Result<VerifiedCertificate, CertificateError>> => {
  const checked = await validateCertificate(new Uint8Array(proof.certificate), trust, now, options)
  if (!checked.ok) return checked
  const { cert, use } = checked.value
  const signatureOk = await signatureHolds(cert, proof, challenge, options.origin).catch(() => false)
  if (!signatureOk) return err({ kind: 'bad-signature' })
  return ok(await describeCertificate(new Uint8Array(proof.certificate), use))
}

/**
 * Checks a certificate without a proof of possession: everything verifyProof checks but the
 * signature. Only for a certificate vouched for otherwise (a My Number card's user-authentication
 * certificate, which JPKI links to a registered one).
 */
export const verifyCertificate = async (
  der: Uint8Array<ArrayBuffer>,
  trust: TrustMaterial,
  now: Date,
): Promise<Result<VerifiedCertificate, CertificateError>> => {
  const checked = await validateCertificate(der, trust, now, {})
  return checked.ok ? ok(await describeCertificate(der, checked.value.use)) : checked
}
