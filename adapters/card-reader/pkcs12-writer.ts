/**
 * Writes a PKCS#12 file as current tools do (PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC for the
 * key; HMAC-SHA256 MAC), for the demo data's file-type certificate and for tests. The portal
 * itself only reads such files (core/pkcs12.ts).
 */
import { bmpPassword, pkcs12Kdf } from '../../core/pkcs12.ts'

const concat = (parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const der = (tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const content = concat(parts)
  const n = content.length
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  return concat([new Uint8Array([tag, ...length]), content])
}
const sequence = (...parts: Uint8Array[]) => der(0x30, ...parts)
const octetString = (bytes: Uint8Array) => der(0x04, bytes)
const explicit0 = (...parts: Uint8Array[]) => der(0xa0, ...parts)
const NULL = new Uint8Array([0x05, 0x00])
const integer = (n: number) => {
  const bytes: number[] = []
  for (let v = n; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0)
  return der(0x02, new Uint8Array(bytes))
}
const oid = (dotted: string) => {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [40 * a + b]
  for (const n of rest) {
    const base128 = [n & 0x7f]
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80)
    bytes.push(...base128)
  }
  return der(0x06, new Uint8Array(bytes))
}

const ITERATIONS = 2048

export const writePkcs12 = async (
  certificate: Uint8Array,
  pkcs8PrivateKey: Uint8Array,
  password: string,
): Promise<Uint8Array<ArrayBuffer>> => {
  const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))
  const [salt, iv, macSalt] = [random(16), random(16), random(16)]
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
    'deriveKey',
  ])
  const aes = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt, iterations: ITERATIONS, hash: 'SHA-256' },
    base,
    { name: 'AES-CBC', length: 256 },
    false,
    ['encrypt'],
  )
  const encryptedKey = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, aes, new Uint8Array(pkcs8PrivateKey)),
  )
  const pbes2 = sequence(
    oid('1.2.840.113549.1.5.13'),
    sequence(
      sequence(
        oid('1.2.840.113549.1.5.12'),
        sequence(octetString(salt), integer(ITERATIONS), sequence(oid('1.2.840.113549.2.9'), NULL)),
      ),
      sequence(oid('2.16.840.1.101.3.4.1.42'), octetString(iv)),
    ),
  )
  const keyBag = sequence(
    oid('1.2.840.113549.1.12.10.1.2'),
    explicit0(sequence(pbes2, octetString(encryptedKey))),
  )
  const certBag = sequence(
    oid('1.2.840.113549.1.12.10.1.3'),
    explicit0(sequence(oid('1.2.840.113549.1.9.22.1'), explicit0(octetString(certificate)))),
  )
  const DATA = '1.2.840.113549.1.7.1'
  const authenticatedSafe = sequence(sequence(oid(DATA), explicit0(octetString(sequence(keyBag, certBag)))))
  const sha256 = { name: 'SHA-256', blockBytes: 64 }
  const macKey = await pkcs12Kdf(sha256, bmpPassword(password), macSalt, ITERATIONS, 3, 32)
  const hmac = await crypto.subtle.importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, authenticatedSafe))
  return sequence(
    integer(3),
    sequence(oid(DATA), explicit0(octetString(authenticatedSafe))),
    sequence(
      sequence(sequence(oid('2.16.840.1.101.3.4.2.1'), NULL), octetString(mac)),
      octetString(macSalt),
      integer(ITERATIONS),
    ),
  )
}
