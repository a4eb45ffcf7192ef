/**
 * Opens a PKCS#12 file (.p12/.pfx, ファイルタイプ) with its password: the certificate and its
 * private key, as a non-extractable WebCrypto key that can only sign. Pure (WebCrypto only), so
 * the same code opens the file in the browser and, for a browser without JavaScript, on the
 * server, which signs and drops the key at once.
 *
 * Read: PBES2 (PBKDF2 with HMAC-SHA-1/256/384/512, AES-128/192/256-CBC), legacy
 * pbeWithSHAAnd3-KeyTripleDES-CBC (see triple-des.ts), the PKCS#12 MAC, and RSA and ECDSA
 * (P-256/384/521) keys. Each way a file can fail has its own error.
 */
import { err, ok, type Result } from './result.ts'
import { tripleDesCbcDecrypt } from './triple-des.ts'

/** Four times a .p12 with a chain of three RSA-4096 certificates; below the body limit of a form. */
export const PKCS12_MAX_BYTES = 32 * 1024

export type Pkcs12Error =
  | { kind: 'too-large'; maxBytes: number }
  /** Not a PKCS#12 file, cut short, or holding no certificate with its key. */
  | { kind: 'damaged' }
  | { kind: 'wrong-password' }
  | { kind: 'unsupported-algorithm'; algorithm: string }

export type OpenedPkcs12 = { certificate: Uint8Array<ArrayBuffer>; privateKey: CryptoKey }

// ---- A small DER reader: PKCS#12 files are DER, and only a few structures are needed. ------

class Damaged extends Error {}
class Unsupported extends Error {}
class WrongPassword extends Error {}
class TooLong extends Error {}

/** An element: its tag, its content, its whole encoding, and where the next one starts. */
type Der = { tag: number; content: Uint8Array<ArrayBuffer>; whole: Uint8Array<ArrayBuffer>; end: number }

const readDer = (bytes: Uint8Array<ArrayBuffer>, offset = 0): Der => {
  const tag = bytes[offset]
  let length = bytes[offset + 1]
  if (tag === undefined || length === undefined) throw new Damaged()
  let at = offset + 2
  if (length & 0x80) {
    const octets = length & 0x7f
    if (octets === 0 || octets > 4) throw new Damaged() // indefinite or absurd lengths
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + (bytes[at++] ?? Number.NaN)
  }
  if (!Number.isFinite(length) || at + length > bytes.length) throw new Damaged()
  return {
    tag,
    content: bytes.subarray(at, at + length),
    whole: bytes.subarray(offset, at + length),
    end: at + length,
  }
}

const children = (der: Der): Der[] => {
  const out: Der[] = []
  for (let at = 0; at < der.content.length; at = out[out.length - 1]?.end ?? der.content.length) {
    out.push(readDer(der.content, at))
  }
  return out
}

const tagged = (der: Der | undefined, tag: number): Der => {
  if (!der || der.tag !== tag) throw new Damaged()
  return der
}

const SEQUENCE = 0x30
const OCTET_STRING = 0x04
const INTEGER = 0x02
const OID = 0x06
const EXPLICIT_0 = 0xa0

const oidOf = (der: Der | undefined): string => {
  const bytes = tagged(der, OID).content
  const first = bytes[0] ?? 0
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40]
  let value = 0
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f)
    if (!(b & 0x80)) {
      parts.push(value)
      value = 0
    }
  }
  return parts.join('.')
}

const integerOf = (der: Der | undefined): number => {
  let value = 0
  for (const b of tagged(der, INTEGER).content) value = value * 256 + b
  return value
}

const seq = (der: Der | undefined): Der[] => children(tagged(der, SEQUENCE))
const explicit0 = (der: Der | undefined): Der => {
  const [inner] = children(tagged(der, EXPLICIT_0))
  if (!inner) throw new Damaged()
  return inner
}
const octets = (der: Der | undefined) => tagged(der, OCTET_STRING).content

// ---- Object identifiers ---------------------------------------------------------------------

const ID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  pbkdf2: '1.2.840.113549.1.5.12',
  rsa: '1.2.840.113549.1.1.1',
  ec: '1.2.840.10045.2.1',
} as const

type Hash = { name: string; blockBytes: number; digestBytes: number }
const SHA1: Hash = { name: 'SHA-1', blockBytes: 64, digestBytes: 20 }
const HASHES: Record<string, Hash> = {
  '1.3.14.3.2.26': SHA1,
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', blockBytes: 64, digestBytes: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', blockBytes: 128, digestBytes: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', blockBytes: 128, digestBytes: 64 },
}
const HMACS: Record<string, string> = {
  '1.2.840.113549.2.7': 'SHA-1',
  '1.2.840.113549.2.9': 'SHA-256',
  '1.2.840.113549.2.10': 'SHA-384',
  '1.2.840.113549.2.11': 'SHA-512',
}
const AES_CBC: Record<string, number> = {
  '2.16.840.1.101.3.4.1.2': 128,
  '2.16.840.1.101.3.4.1.22': 192,
  '2.16.840.1.101.3.4.1.42': 256,
}
const CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
}
/** Algorithms met in old files, named so that the user can tell the issuer what to change. */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'RC4-128',
  '1.2.840.113549.1.12.1.2': 'RC4-40',
  '1.2.840.113549.1.12.1.4': '2-key 3DES',
  '1.2.840.113549.1.12.1.5': 'RC2-128',
  '1.2.840.113549.1.12.1.6': 'RC2-40',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
}
const unsupported = (oid: string) => new Unsupported(KNOWN_UNSUPPORTED[oid] ?? oid)

// ---- Key derivation and decryption ----------------------------------------------------------

const utf8 = (text: string) => new TextEncoder().encode(text)

/** The password as PKCS#12's own KDF takes it: UTF-16BE with a closing zero character. */
export const bmpPassword = (password: string): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array((password.length + 1) * 2)
  for (let i = 0; i < password.length; i++) {
    out[i * 2] = password.charCodeAt(i) >> 8
    out[i * 2 + 1] = password.charCodeAt(i) & 0xff
  }
  return out
}

/**
 * node:crypto where the runtime has it (Node, Deno: the server), found without an import so that
 * the page, which has only WebCrypto, loads this module too. Its hashes are synchronous: a
 * derivation of thousands of rounds costs milliseconds there, where each WebCrypto digest is a
 * trip to a worker thread and queues behind everything else the server is doing.
 */
const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as typeof import('node:crypto') | undefined

/** `data` hashed, then its hash hashed again, `rounds` times in all. */
const hashRounds = async (
  name: string,
  data: Uint8Array<ArrayBuffer>,
  rounds: number,
  deadline: number,
): Promise<Uint8Array<ArrayBuffer>> => {
  if (nodeCrypto) {
    const algorithm = name.replace('-', '').toLowerCase()
    let a: Uint8Array = data
    for (let r = 0; r < rounds; r++) {
      a = nodeCrypto.createHash(algorithm).update(a).digest()
      if (r % 1024 === 1023 && performance.now() > deadline) throw new TooLong()
    }
    return new Uint8Array(a)
  }
  let a = data
  for (let r = 0; r < rounds; r++) {
    a = new Uint8Array(await crypto.subtle.digest(name, a))
    if (r % 1024 === 1023 && performance.now() > deadline) throw new TooLong()
  }
  return a
}

/**
 * The PKCS#12 key derivation (RFC 7292, appendix B.2); `purpose` 1 key, 2 IV, 3 MAC key. It runs
 * all `iterations` again for every digest-sized block of `bytes`. Past `deadline` (a
 * performance.now() value) it stops with TooLong.
 */
export const pkcs12Kdf = async (
  hash: { name: string; blockBytes: number },
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  purpose: 1 | 2 | 3,
  bytes: number,
  deadline = Number.POSITIVE_INFINITY,
): Promise<Uint8Array<ArrayBuffer>> => {
  const v = hash.blockBytes
  const fill = (source: Uint8Array) => {
    const length = source.length === 0 ? 0 : v * Math.ceil(source.length / v)
    return Uint8Array.from({ length }, (_, i) => source[i % source.length] ?? 0)
  }
  const d = new Uint8Array(v).fill(purpose)
  const i = new Uint8Array([...fill(salt), ...fill(password)])
  const out: number[] = []
  while (out.length < bytes) {
    const a = await hashRounds(hash.name, new Uint8Array([...d, ...i]), iterations, deadline)
    out.push(...a)
    if (out.length >= bytes) break
    const b = fill(a).subarray(0, v)
    for (let block = 0; block < i.length; block += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const sum = (i[block + k] ?? 0) + (b[k] ?? 0) + carry
        i[block + k] = sum & 0xff
        carry = sum >> 8
      }
    }
  }
  return new Uint8Array(out.slice(0, bytes))
}

/**
 * How much key derivation one file may ask for, in PKCS#12 KDF hash rounds (a PBKDF2 round,
 * native, costs a tenth): far above what tools write (OpenSSL 2048 rounds, Java 10,000, Windows
 * 2000, a few derivations each), far below what would tie the server up. A file asking for more
 * is refused as unsupported, before any of it is spent.
 */
export const PKCS12_WORK_LIMIT = 200_000

/** However little a file asks for, opening it stops after this long (its hashing is the cost). */
export const PKCS12_TIME_LIMIT_MS = 3000

/** What opening one file may still spend: hash rounds, and time until `deadline` (performance.now()). */
type Work = { left: number; deadline: number }
const spend = (work: Work, rounds: number) => {
  work.left -= rounds
  if (!(rounds >= 1) || work.left < 0) throw unsupported(`鍵導出の反復回数（${rounds}）`)
  if (performance.now() > work.deadline) throw new TooLong()
}

/** The PKCS#12 KDF, its every round charged: `iterations` for each digest-sized block it makes. */
const derive = (
  work: Work,
  hash: Hash,
  password: string,
  salt: Uint8Array,
  iterations: number,
  purpose: 1 | 2 | 3,
  bytes: number,
) => {
  spend(work, iterations * Math.ceil(bytes / hash.digestBytes))
  return pkcs12Kdf(hash, bmpPassword(password), salt, iterations, purpose, bytes, work.deadline)
}

/** Decrypts what an AlgorithmIdentifier (`algorithm`) encrypted under the password. */
const decrypt = async (algorithm: Der, data: Uint8Array<ArrayBuffer>, password: string, work: Work) => {
  const [oidDer, params] = seq(algorithm)
  const oid = oidOf(oidDer)
  if (oid === ID.pbeSha1TripleDes) {
    const [salt, iterations] = seq(params)
    const rounds = integerOf(iterations)
    const plain = tripleDesCbcDecrypt(
      await derive(work, SHA1, password, octets(salt), rounds, 1, 24),
      await derive(work, SHA1, password, octets(salt), rounds, 2, 8),
      data,
    )
    if (!plain) throw new WrongPassword()
    return plain
  }
  if (oid !== ID.pbes2) throw unsupported(oid)
  const [kdf, scheme] = seq(params)
  const [kdfOid, kdfParams] = seq(kdf)
  if (oidOf(kdfOid) !== ID.pbkdf2) throw unsupported(oidOf(kdfOid))
  const [salt, iterations, ...rest] = seq(kdfParams)
  const prfDer = rest.find((d) => d.tag === SEQUENCE)
  const prf = prfDer ? (HMACS[oidOf(seq(prfDer)[0])] ?? unsupportedHash(prfDer)) : 'SHA-1'
  const [schemeOid, iv] = seq(scheme)
  const aesBits = AES_CBC[oidOf(schemeOid)]
  if (!aesBits) throw unsupported(oidOf(schemeOid))
  spend(work, Math.ceil(integerOf(iterations) / 10))
  const base = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveKey'])
  const key = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: octets(salt), iterations: integerOf(iterations), hash: prf },
    base,
    { name: 'AES-CBC', length: aesBits },
    false,
    ['decrypt'],
  )
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: octets(iv) }, key, data))
  } catch {
    throw new WrongPassword() // the padding did not check out: the key was wrong
  }
}

const unsupportedHash = (prf: Der): never => {
  throw unsupported(oidOf(seq(prf)[0]))
}

/** Checks the file's MAC, when it has one: the surest sign of a wrong password. */
const checkMac = async (macData: Der, content: Uint8Array<ArrayBuffer>, password: string, work: Work) => {
  const [digestInfo, salt, iterations] = seq(macData)
  const [algorithm, digest] = seq(digestInfo)
  const hashOid = oidOf(seq(algorithm)[0])
  const hash = HASHES[hashOid]
  if (!hash) throw unsupported(hashOid)
  const expected = octets(digest)
  // An HMAC is as long as its digest. The file chooses the length, and the KDF's cost grows with it.
  if (expected.length !== hash.digestBytes) throw new Damaged()
  const rounds = iterations ? integerOf(iterations) : 1
  const macKey = await derive(work, hash, password, octets(salt), rounds, 3, expected.length)
  const key = await crypto.subtle.importKey('raw', macKey, { name: 'HMAC', hash: hash.name }, false, [
    'verify',
  ])
  if (!(await crypto.subtle.verify('HMAC', key, expected, content))) throw new WrongPassword()
}

const importPrivateKey = async (pkcs8: Uint8Array<ArrayBuffer>): Promise<CryptoKey> => {
  const [, algorithm] = seq(readDer(pkcs8))
  const [oidDer, params] = seq(algorithm)
  const oid = oidOf(oidDer)
  if (oid === ID.rsa) {
    return crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, [
      'sign',
    ])
  }
  if (oid === ID.ec) {
    const curve = CURVES[oidOf(params)]
    if (!curve) throw unsupported(oidOf(params))
    return crypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve }, false, ['sign'])
  }
  throw unsupported(oid)
}

// ---- The file -------------------------------------------------------------------------------

type Found = { certificates: Uint8Array<ArrayBuffer>[]; keys: Uint8Array<ArrayBuffer>[] }

const readSafeContents = async (der: Uint8Array<ArrayBuffer>, password: string, found: Found, work: Work) => {
  for (const bag of seq(readDer(der))) {
    const [bagId, bagValue] = seq(bag)
    const id = oidOf(bagId)
    const value = explicit0(bagValue)
    if (id === ID.certBag) {
      const [certId, certValue] = seq(value)
      if (oidOf(certId) === ID.x509Certificate) found.certificates.push(octets(explicit0(certValue)))
    } else if (id === ID.shroudedKeyBag) {
      const [algorithm, encrypted] = seq(value)
      found.keys.push(await decrypt(tagged(algorithm, SEQUENCE), octets(encrypted), password, work))
    } else if (id === ID.keyBag) {
      found.keys.push(value.whole.slice())
    }
  }
}

export const openPkcs12 = async (
  file: Uint8Array,
  password: string,
  options: { workLimit?: number; timeLimitMs?: number } = {},
): Promise<Result<OpenedPkcs12, Pkcs12Error>> => {
  if (file.length > PKCS12_MAX_BYTES) return err({ kind: 'too-large', maxBytes: PKCS12_MAX_BYTES })
  const timeLimitMs = options.timeLimitMs ?? PKCS12_TIME_LIMIT_MS
  try {
    const bytes = new Uint8Array(file)
    const [version, authSafe, macData] = seq(readDer(bytes))
    if (integerOf(version) !== 3) throw new Damaged()
    const [contentType, content] = seq(authSafe)
    if (oidOf(contentType) !== ID.data) throw new Damaged() // public-key integrity mode: not in use
    const authenticatedSafe = octets(explicit0(content))
    const work: Work = {
      left: options.workLimit ?? PKCS12_WORK_LIMIT,
      deadline: performance.now() + timeLimitMs,
    }
    if (macData) await checkMac(macData, authenticatedSafe, password, work)
    const found: Found = { certificates: [], keys: [] }
    for (const info of seq(readDer(authenticatedSafe))) {
      const [type, body] = seq(info)
      const inner = explicit0(body)
      if (oidOf(type) === ID.data) {
        await readSafeContents(octets(inner), password, found, work)
      } else if (oidOf(type) === ID.encryptedData) {
        const [, encryptedContentInfo] = seq(inner)
        const [, algorithm, encrypted] = seq(encryptedContentInfo)
        if (!encrypted || (encrypted.tag !== 0x80 && encrypted.tag !== 0xa0)) throw new Damaged()
        const data =
          encrypted.tag === 0x80
            ? encrypted.content
            : new Uint8Array(children(encrypted).flatMap((part) => [...octets(part)]))
        await readSafeContents(
          await decrypt(tagged(algorithm, SEQUENCE), data, password, work),
          password,
          found,
          work,
        )
      }
    }
    return await pairKeyWithCertificate(found)
  } catch (e) {
    if (e instanceof WrongPassword) return err({ kind: 'wrong-password' })
    if (e instanceof Unsupported) return err({ kind: 'unsupported-algorithm', algorithm: e.message })
    if (e instanceof TooLong)
      return err({
        kind: 'unsupported-algorithm',
        algorithm: `鍵導出にかかる時間（${timeLimitMs / 1000}秒を超過）`,
      })
    return err({ kind: 'damaged' })
  }
}

/**
 * A certificate's public key, imported for the private key's algorithm (it fails when they
 * differ). Read with this module's DER reader rather than an X.509 library, so that this module
 * runs in the page as it is: tbsCertificate's subjectPublicKeyInfo follows the subject.
 */
const importPublicKeyOf = async (certificate: Uint8Array<ArrayBuffer>, privateKey: CryptoKey) => {
  const [tbs] = seq(readDer(certificate))
  const fields = seq(tbs)
  const spki = fields[fields[0]?.tag === EXPLICIT_0 ? 6 : 5]
  return crypto.subtle.importKey(
    'spki',
    new Uint8Array(tagged(spki, SEQUENCE).whole),
    privateKey.algorithm,
    false,
    ['verify'],
  )
}

/** The certificate whose public key verifies what the key signs: the holder's, not a CA's. */
const pairKeyWithCertificate = async (found: Found): Promise<Result<OpenedPkcs12, Pkcs12Error>> => {
  const probe = utf8('pkcs12-key-match')
  for (const pkcs8 of found.keys) {
    const privateKey = await importPrivateKey(pkcs8)
    const algorithm =
      privateKey.algorithm.name === 'ECDSA'
        ? { name: 'ECDSA', hash: 'SHA-256' }
        : { name: privateKey.algorithm.name }
    const signature = await crypto.subtle.sign(algorithm, privateKey, probe)
    for (const certificate of found.certificates) {
      const publicKey = await importPublicKeyOf(certificate, privateKey).catch(() => undefined)
      if (!publicKey) continue
      if (await crypto.subtle.verify(algorithm, publicKey, signature, probe).catch(() => false))
        return ok({ certificate, privateKey })
    }
  }
  return err({ kind: 'damaged' })
}
