/**
 * The PKCS#12 reader on files made by OpenSSL (tests/fixtures/pkcs12/make.sh): modern and legacy
 * encryption, RSA and ECDSA keys, and each way a file can fail.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it, vi } from 'vitest'
import { writePkcs12 } from '../../adapters/dev/pkcs12-writer.ts'
import { createAuthority, issueCertificate } from '../../adapters/dev/test-pki.ts'
import { signatureAlgorithm } from '../domain/certificates.ts'
import { openPkcs12, PKCS12_MAX_BYTES, PKCS12_TIME_LIMIT_MS, PKCS12_WORK_LIMIT } from './pkcs12.ts'
import { x509 } from './x509.ts'

const PASSWORD = 'p12-test-pass'
const fixture = async (name: string) =>
  new Uint8Array(await readFile(new URL(`../../tests/fixtures/pkcs12/${name}`, import.meta.url)))

// A little DER, to craft files: an element from its tag and content, and the elements in a run.
const der = (tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const content = new Uint8Array(parts.flatMap((p) => [...p]))
  const n = content.length
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
  return new Uint8Array([tag, ...length, ...content])
}
/** Where an element's content starts and ends (definite lengths of up to two octets). */
const contentOf = (bytes: Uint8Array, at = 0): [number, number] => {
  const first = bytes[at + 1] ?? 0
  if (first < 0x80) return [at + 2, at + 2 + first]
  const octets = first & 0x7f
  const n = [...bytes.subarray(at + 2, at + 2 + octets)].reduce((sum, b) => sum * 256 + b, 0)
  return [at + 2 + octets, at + 2 + octets + n]
}
const derElements = (bytes: Uint8Array): Uint8Array[] => {
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.length; ) {
    const end = contentOf(bytes, at)[1]
    out.push(bytes.subarray(at, end))
    at = end
  }
  return out
}

/** Opens the file and proves the key signs for the certificate. */
const opensAndSigns = async (name: string) => {
  const opened = await openPkcs12(await fixture(name), PASSWORD)
  if (!opened.ok) throw new Error(`${name}: ${JSON.stringify(opened.error)}`)
  const { certificate, privateKey } = opened.value
  expect(privateKey.extractable).toBe(false)
  expect(privateKey.usages).toEqual(['sign'])
  const cert = new x509.X509Certificate(certificate)
  expect(cert.subject).toContain('CN=ファイル 花子')
  const message = new TextEncoder().encode('challenge')
  const signature = await crypto.subtle.sign(signatureAlgorithm(privateKey), privateKey, message)
  const publicKey = await cert.publicKey.export(crypto)
  expect(await crypto.subtle.verify(signatureAlgorithm(publicKey), publicKey, signature, message)).toBe(true)
  return privateKey.algorithm.name
}

describe('openPkcs12', () => {
  it('opens modern files (PBES2: PBKDF2-SHA256, AES-256-CBC; MAC SHA-256) with RSA and ECDSA keys', async () => {
    expect(await opensAndSigns('rsa-modern.p12')).toBe('RSASSA-PKCS1-v1_5')
    expect(await opensAndSigns('ec-modern.p12')).toBe('ECDSA')
  })

  it('opens legacy files (3DES under the PKCS#12 KDF; MAC SHA-1) with RSA and ECDSA keys', async () => {
    expect(await opensAndSigns('rsa-legacy-3des.p12')).toBe('RSASSA-PKCS1-v1_5')
    expect(await opensAndSigns('ec-legacy-3des.p12')).toBe('ECDSA')
  })

  it('says a wrong password is wrong, for modern and legacy files alike', async () => {
    for (const name of ['rsa-modern.p12', 'ec-modern.p12', 'rsa-legacy-3des.p12', 'ec-legacy-3des.p12']) {
      expect(await openPkcs12(await fixture(name), 'wrong-pass'), name).toEqual({
        ok: false,
        error: { kind: 'wrong-password' },
      })
    }
  })

  it('says a damaged file is damaged: cut short, or not a PKCS#12 file at all', async () => {
    const file = await fixture('ec-modern.p12')
    for (const broken of [
      file.subarray(0, file.length - 40),
      file.subarray(0, 10),
      new TextEncoder().encode('-----BEGIN CERTIFICATE-----'),
      new Uint8Array(0),
    ]) {
      expect(await openPkcs12(broken, PASSWORD)).toEqual({ ok: false, error: { kind: 'damaged' } })
    }
  })

  it('opens a file of OpenSSL’s -legacy (the certificate under RC2-40, the key under 3DES) on the server', async () => {
    await opensAndSigns('rsa-rc2.p12')
  })

  it('reads what the demo data’s writer writes, and only with its password', async () => {
    const ca = await createAuthority('CN=Test CA', new Date())
    const issued = await issueCertificate(ca, 'CN=入札 花子, C=JP', {
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
    })
    const file = await writePkcs12(issued.certificate, issued.privateKey, 'hanako-2026')
    const opened = await openPkcs12(file, 'hanako-2026')
    expect(opened.ok && opened.value.certificate).toEqual(new Uint8Array(issued.certificate))
    expect(await openPkcs12(file, 'hanako-2025')).toEqual({ ok: false, error: { kind: 'wrong-password' } })
  })

  it('refuses a file that asks for more key derivation than the limit, before spending it', async () => {
    // The fixtures ask for 2048 rounds of the MAC's KDF, then PBKDF2 (a tenth each) for key and certificate.
    expect((await openPkcs12(await fixture('ec-modern.p12'), PASSWORD, { workLimit: 2048 + 410 })).ok).toBe(
      true,
    )
    expect(await openPkcs12(await fixture('ec-modern.p12'), PASSWORD, { workLimit: 2047 })).toMatchObject({
      ok: false,
      error: { kind: 'unsupported-algorithm', algorithm: '鍵導出の反復回数（2048）' },
    })
    expect(
      await openPkcs12(await fixture('ec-legacy-3des.p12'), PASSWORD, { workLimit: 2048 }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'unsupported-algorithm' },
    })
    expect(PKCS12_WORK_LIMIT).toBeGreaterThanOrEqual(10_000 * 3 * 2 + 10_000) // Java's defaults fit
  })

  it('refuses a MAC longer than its digest before deriving its key: the file chose the KDF’s cost', async () => {
    // The fixture with its MAC replaced by one of 20,000 bytes under SHA-256 and 2048 rounds: the
    // KDF runs every round again for each 32-byte block, 1.3 million hashes, a minute of CPU.
    const file = await fixture('ec-modern.p12')
    const [version, authSafe] = derElements(file.subarray(...contentOf(file)))
    const algorithm = der(
      0x30,
      der(0x06, Uint8Array.of(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01)),
      der(0x05),
    )
    const macData = der(
      0x30,
      der(0x30, algorithm, der(0x04, new Uint8Array(20_000))),
      der(0x04, new Uint8Array(8)),
      der(0x02, Uint8Array.of(0x08, 0x00)),
    )
    const crafted = der(0x30, version as Uint8Array, authSafe as Uint8Array, macData)
    expect(crafted.length).toBeLessThan(PKCS12_MAX_BYTES)
    expect(await openPkcs12(crafted, PASSWORD)).toEqual({ ok: false, error: { kind: 'damaged' } })
  })

  it('stops opening a file after its time limit, whatever its work budget allows', async () => {
    expect(await openPkcs12(await fixture('rsa-legacy-3des.p12'), PASSWORD, { timeLimitMs: 0 })).toEqual({
      ok: false,
      error: { kind: 'unsupported-algorithm', algorithm: '鍵導出にかかる時間（0秒を超過）' },
    })
    expect(PKCS12_TIME_LIMIT_MS).toBeLessThanOrEqual(5000)
  })

  it('lets the server serve others while it derives a heavy file’s keys (it hashes synchronously)', async () => {
    const yielded = vi.spyOn(globalThis, 'setImmediate')
    try {
      const opened = await openPkcs12(await fixture('ec-legacy-3des-25000-rounds.p12'), PASSWORD)
      expect(opened.ok).toBe(true)
      // About 175,000 hash rounds: the event loop was let through every 1024 of them.
      expect(yielded.mock.calls.length).toBeGreaterThan(150)
    } finally {
      yielded.mockRestore()
    }
  })

  it('refuses a file over the size limit before reading it', async () => {
    expect(await openPkcs12(new Uint8Array(PKCS12_MAX_BYTES + 1), PASSWORD)).toEqual({
      ok: false,
      error: { kind: 'too-large', maxBytes: PKCS12_MAX_BYTES },
    })
  })
})
