/** The verifier: each kind of failure on a certificate made for it. */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type CertificationAuthority,
  createAuthority,
  daysFrom,
  issueCertificate,
  revocationList,
} from '../../adapters/dev/test-pki.ts'
import { x509 } from '../lib/x509.ts'
import { signatureAlgorithm, signedPayload, type TrustMaterial, verifyProof } from './certificates.ts'

const NOW = new Date('2026-11-27T10:00:00Z')
const VALID = { notBefore: daysFrom(NOW, -10), notAfter: daysFrom(NOW, 300) }
const SUBJECT = 'CN=入札 花子, O=株式会社サンプル商事, C=JP'

let ca: CertificationAuthority
let trust: TrustMaterial

/** A proof as a card gives it: the certificate, and its key's signature over the challenge. */
const proofOf = async (issued: { certificate: Uint8Array; privateKey: Uint8Array }, challenge: string) => {
  const key = await crypto.subtle.importKey(
    'pkcs8',
    new Uint8Array(issued.privateKey),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  )
  const signature = await crypto.subtle.sign(signatureAlgorithm(key), key, signedPayload(challenge))
  return { certificate: issued.certificate, signature: new Uint8Array(signature) }
}

let revokedSerial = ''
let revokedCert: Awaited<ReturnType<typeof issueCertificate>>
beforeAll(async () => {
  ca = await createAuthority('CN=テスト民間認証局, C=JP', daysFrom(NOW, -400))
  revokedCert = await issueCertificate(ca, SUBJECT, VALID)
  revokedSerial = revokedCert.serialNumber
  trust = {
    anchors: [{ certificate: ca.certificate, kind: 'private' }],
    revocationLists: [await revocationList(ca, [revokedSerial], NOW, daysFrom(NOW, 30))],
  }
})

describe('verifyProof', () => {
  it('accepts a trusted, valid, signing certificate that proves its key, and describes it', async () => {
    const issued = await issueCertificate(ca, SUBJECT, VALID)
    const result = await verifyProof(await proofOf(issued, 'c1'), 'c1', trust, NOW)
    expect(result).toMatchObject({
      ok: true,
      value: { holderName: '入札 花子', organisation: '株式会社サンプル商事' },
    })
  })

  it('refuses a certificate of an authority not trusted', async () => {
    const rogue = await createAuthority('CN=Rogue CA, C=JP', NOW)
    const issued = await issueCertificate(rogue, SUBJECT, VALID)
    expect(await verifyProof(await proofOf(issued, 'c'), 'c', trust, NOW)).toEqual({
      ok: false,
      error: { kind: 'untrusted', issuer: 'CN=Rogue CA, C=JP' },
    })
  })

  it('refuses an expired one, unless renewing it is the point', async () => {
    const issued = await issueCertificate(ca, SUBJECT, {
      notBefore: daysFrom(NOW, -400),
      notAfter: daysFrom(NOW, -1),
    })
    const proof = await proofOf(issued, 'c')
    expect(await verifyProof(proof, 'c', trust, NOW)).toMatchObject({ ok: false, error: { kind: 'expired' } })
    expect((await verifyProof(proof, 'c', trust, NOW, { allowExpired: true })).ok).toBe(true)
  })

  it('refuses one not yet valid, even when expiry is allowed', async () => {
    const issued = await issueCertificate(ca, SUBJECT, {
      notBefore: daysFrom(NOW, 2),
      notAfter: daysFrom(NOW, 300),
    })
    const proof = await proofOf(issued, 'c')
    expect(await verifyProof(proof, 'c', trust, NOW, { allowExpired: true })).toMatchObject({
      ok: false,
      error: { kind: 'not-yet-valid' },
    })
  })

  it('refuses one whose key usage does not allow signing', async () => {
    const issued = await issueCertificate(ca, SUBJECT, VALID, {
      keyUsage: x509.KeyUsageFlags.keyEncipherment,
    })
    expect(await verifyProof(await proofOf(issued, 'c'), 'c', trust, NOW)).toEqual({
      ok: false,
      error: { kind: 'wrong-key-usage', which: 'key-usage' },
    })
  })

  it('refuses one its authority revoked, and one whose revocation cannot be checked', async () => {
    const proof = await proofOf(revokedCert, 'c')
    expect(await verifyProof(proof, 'c', trust, NOW)).toMatchObject({ ok: false, error: { kind: 'revoked' } })
    const good = await proofOf(await issueCertificate(ca, SUBJECT, VALID), 'c')
    const noCrl = { anchors: trust.anchors, revocationLists: [] }
    expect(await verifyProof(good, 'c', noCrl, NOW)).toEqual({
      ok: false,
      error: { kind: 'revocation-unknown' },
    })
    const stale = {
      anchors: trust.anchors,
      revocationLists: [await revocationList(ca, [], daysFrom(NOW, -60), daysFrom(NOW, -30))],
    }
    expect(await verifyProof(good, 'c', stale, NOW)).toEqual({
      ok: false,
      error: { kind: 'revocation-unknown' },
    })
    const other = await createAuthority('CN=テスト民間認証局, C=JP', NOW) // same name, another key: its CRL does not count
    const forged = {
      anchors: trust.anchors,
      revocationLists: [await revocationList(other, [], NOW, daysFrom(NOW, 30))],
    }
    expect(await verifyProof(good, 'c', forged, NOW)).toEqual({
      ok: false,
      error: { kind: 'revocation-unknown' },
    })
  })

  it('refuses a signature by another key, or over another challenge (replayed or from another session)', async () => {
    const issued = await issueCertificate(ca, SUBJECT, VALID)
    const stranger = await issueCertificate(ca, SUBJECT, VALID)
    const byOtherKey = {
      certificate: issued.certificate,
      signature: (await proofOf(stranger, 'c')).signature,
    }
    expect(await verifyProof(byOtherKey, 'c', trust, NOW)).toEqual({
      ok: false,
      error: { kind: 'bad-signature' },
    })
    const otherChallenge = await proofOf(issued, 'a challenge of another session')
    expect(await verifyProof(otherChallenge, 'this session’s challenge', trust, NOW)).toEqual({
      ok: false,
      error: { kind: 'bad-signature' },
    })
  })

  it('refuses what is not a certificate', async () => {
    expect(
      await verifyProof(
        { certificate: new Uint8Array([1, 2, 3]), signature: new Uint8Array() },
        'c',
        trust,
        NOW,
      ),
    ).toEqual({
      ok: false,
      error: { kind: 'malformed' },
    })
  })
})

describe('what a certificate is for', () => {
  it('tells a private certificate from a My Number card’s signing and user-authentication ones', async () => {
    const jpki = await createAuthority('CN=テスト公的個人認証局, C=JP', daysFrom(NOW, -400))
    const withJpki: TrustMaterial = {
      anchors: [...trust.anchors, { certificate: jpki.certificate, kind: 'jpki' }],
      revocationLists: [...trust.revocationLists, await revocationList(jpki, [], NOW, daysFrom(NOW, 30))],
    }
    const useOf = async (issued: Awaited<ReturnType<typeof issueCertificate>>) => {
      const result = await verifyProof(await proofOf(issued, 'c'), 'c', withJpki, NOW)
      return result.ok ? result.value.use : result.error.kind
    }
    const signing = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation
    expect(await useOf(await issueCertificate(ca, SUBJECT, VALID, { keyUsage: signing }))).toBe('private')
    expect(
      await useOf(await issueCertificate(jpki, 'CN=委任 次郎, C=JP', VALID, { keyUsage: signing })),
    ).toBe('my-number-signing')
    expect(await useOf(await issueCertificate(jpki, 'CN=委任 次郎, C=JP', VALID))).toBe(
      'my-number-user-authentication',
    )
  })
})
