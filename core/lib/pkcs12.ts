/**
 * Opens a PKCS#12 file (.p12/.pfx, ファイルタイプ) with its password: the certificate and its
 * private key, as a non-extractable WebCrypto key that can only sign. The same module opens the
 * file in the page (WebCrypto) and, for a browser without JavaScript or a file the page cannot
 * open, on the server, which signs and drops the key at once.
 *
 * No cryptography or ASN.1 of its own: the file is decoded by asn1js (BER and DER, bounded for
 * untrusted input), modern files are opened with WebCrypto, and what WebCrypto lacks comes from
 * the server's runtime: node:crypto (SHA for the PKCS#12 KDF, 3DES) and node-forge's RC2.
 *
 * Read: PBES2 (PBKDF2 with HMAC-SHA-1/256/384/512, AES-128/192/256-CBC), the PKCS#12 MAC, and
 * RSA and ECDSA (P-256/384/521) keys everywhere; on the server also the legacy PKCS#12 PBEs
 * pbeWithSHAAnd3-KeyTripleDES-CBC and pbeWithSHAAnd40BitRC2-CBC / 128BitRC2-CBC (OpenSSL's
 * `-legacy`, and OpenSSL 1.x's default). The page meets those as 'legacy-algorithm' and sends
 * the file to the server instead. Each way a file can fail has its own error.
 */
import * as asn1js from 'asn1js'
import { err, ok, type Result } from './result.ts'

/** Four times a .p12 with a chain of three RSA-4096 certificates; below the body limit of a form. */
export const PKCS12_MAX_BYTES = 32 * 1024

export type Pkcs12Error =
  | { kind: 'too-large'; maxBytes: number }
  /** Not a PKCS#12 file, cut short, or holding no certificate with its key. */
  | { kind: 'damaged' }
  | { kind: 'wrong-password' }
  | { kind: 'unsupported-algorithm'; algorithm: string }
  /** An algorithm of old files that only the server reads (the page sends the file there). */
  | { kind: 'legacy-algorithm'; algorithm: string }

export type OpenedPkcs12 = { certificate: Uint8Array<ArrayBuffer>; privateKey: CryptoKey }

// ---- Reading the decoded file --------------------------------------------------------------

class Damaged extends Error {}
class Unsupported extends Error {}
class Legacy extends Error {}
class WrongPassword extends Error {}
class TooLong extends Error {}

type Node = asn1js.AsnType

/** Bounds for a file of at most PKCS12_MAX_BYTES: nothing a real .p12 comes near. */
const PARSE_LIMITS = {
  maxDepth: 32,
  maxNodes: 4000,
  maxContentLength: PKCS12_MAX_BYTES,
  parseEmbedded: false,
}

/** One whole element, BER or DER; anything left over or cut short is damage. */
const decode = (bytes: Uint8Array): Node => {
  const { offset, result } = asn1js.fromBER(new Uint8Array(bytes), PARSE_LIMITS)
  if (offset === -1 || offset !== bytes.byteLength || result.error) throw new Damaged()
  return result
}

const seq = (node: Node | undefined): Node[] => {
  if (!(node instanceof asn1js.Sequence)) throw new Damaged()
  return node.valueBlock.value
}
const oidOf = (node: Node | undefined): string => {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw new Damaged()
  return node.valueBlock.toString()
}
const integerOf = (node: Node | undefined): number => {
  if (!(node instanceof asn1js.Integer)) throw new Damaged()
  const value = node.valueBlock.valueDec
  if (!Number.isSafeInteger(value) || value < 0) throw new Damaged()
  return value
}
/** An OCTET STRING's bytes, joined when it is constructed (BER). */
const octets = (node: Node | undefined): Uint8Array<ArrayBuffer> => {
  if (!(node instanceof asn1js.OctetString)) throw new Damaged()
  return new Uint8Array(node.getValue())
}
const isContext0 = (node: Node | undefined) => node?.idBlock.tagClass === 3 && node.idBlock.tagNumber === 0
/** The element inside an [0] EXPLICIT tag. */
const explicit0 = (node: Node | undefined): Node => {
  if (!isContext0(node) || !(node instanceof asn1js.Constructed)) throw new Damaged()
  const [inner] = node.valueBlock.value
  if (!inner) throw new Damaged()
  return inner
}
/** An [0] IMPLICIT OCTET STRING (EncryptedContentInfo's content): primitive, or constructed of parts. */
const implicitOctets0 = (node: Node | undefined): Uint8Array<ArrayBuffer> => {
  if (!isContext0(node)) throw new Damaged()
  if (node instanceof asn1js.Constructed)
    return new Uint8Array(node.valueBlock.value.flatMap((part) => [...octets(part)]))
  if (node instanceof asn1js.Primitive) return new Uint8Array(node.valueBlock.valueHexView)
  throw new Damaged()
}
/** The element's own encoding, as it was in the file. */
const encodingOf = (node: Node): Uint8Array<ArrayBuffer> => new Uint8Array(node.valueBeforeDecodeView)

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
  pbeSha1Rc2_128: '1.2.840.113549.1.12.1.5',
  pbeSha1Rc2_40: '1.2.840.113549.1.12.1.6',
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
  '1.3.14.3.2.7': 'DES-CBC',
  '1.2.840.113549.1.5.3': 'PBES1 (MD5, DES)',
  '1.2.840.113549.1.5.10': 'PBES1 (SHA-1, DES)',
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
const serverRuntime = globalThis as {
  process?: { getBuiltinModule?: (id: string) => unknown }
  setImmediate?: (callback: () => void) => unknown
}
/** What is used of node:crypto, typed here: core is checked without Node's types. */
type NodeCrypto = {
  createHash(algorithm: string): { update(data: Uint8Array): { digest(): Uint8Array } }
  createDecipheriv(
    algorithm: string,
    key: Uint8Array,
    iv: Uint8Array,
  ): { update(data: Uint8Array): Uint8Array; final(): Uint8Array }
}
const nodeCrypto = serverRuntime.process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
/** Lets other work run: where the server's runtime has setImmediate (nodeCrypto's), at once. */
const yieldToOthers = () =>
  new Promise<void>((resolve) => (serverRuntime.setImmediate ?? setTimeout)(() => resolve()))

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
      if (r % 1024 === 1023) {
        if (performance.now() > deadline) throw new TooLong()
        // Synchronous hashing holds the event loop: let other requests through every 1024 rounds.
        await yieldToOthers()
      }
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

/** The legacy PKCS#12 PBEs (RFC 7292, appendix C): the PKCS#12 KDF with SHA-1 for key and IV. */
const LEGACY_PBES: Record<string, { name: string; keyBytes: number; cipher: 'des-ede3-cbc' | 'rc2' }> = {
  [ID.pbeSha1TripleDes]: { name: '3DES', keyBytes: 24, cipher: 'des-ede3-cbc' },
  [ID.pbeSha1Rc2_128]: { name: 'RC2-128', keyBytes: 16, cipher: 'rc2' },
  [ID.pbeSha1Rc2_40]: { name: 'RC2-40', keyBytes: 5, cipher: 'rc2' },
}

/**
 * CBC decryption with a legacy cipher: 3DES from node:crypto, RC2 (which OpenSSL 3 keeps only in
 * its legacy provider, and Deno lacks) from node-forge, decrypt only. Undefined when the padding
 * does not check out: the key was wrong.
 */
const legacyDecrypt = async (
  cipher: 'des-ede3-cbc' | 'rc2',
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array<ArrayBuffer> | undefined> => {
  if (!nodeCrypto) return undefined
  if (cipher === 'des-ede3-cbc') {
    try {
      const decipher = nodeCrypto.createDecipheriv(cipher, key, iv)
      return new Uint8Array([...decipher.update(data), ...decipher.final()])
    } catch {
      return undefined
    }
  }
  const { default: forge } = await import('node-forge')
  const raw = forge.util.binary.raw
  const decipher = forge.rc2.createDecryptionCipher(forge.util.createBuffer(raw.encode(key)), key.length * 8)
  decipher.start(forge.util.createBuffer(raw.encode(iv)))
  decipher.update(forge.util.createBuffer(raw.encode(data)))
  return decipher.finish() ? new Uint8Array(raw.decode(decipher.output.getBytes())) : undefined
}

/** Decrypts what an AlgorithmIdentifier (`algorithm`) encrypted under the password. */
const decrypt = async (algorithm: Node, data: Uint8Array<ArrayBuffer>, password: string, work: Work) => {
  const [oidNode, params] = seq(algorithm)
  const oid = oidOf(oidNode)
  const legacy = LEGACY_PBES[oid]
  if (legacy) {
    // The page has neither cipher: the server opens such a file.
    if (!nodeCrypto) throw new Legacy(legacy.name)
    const [salt, iterations] = seq(params)
    const rounds = integerOf(iterations)
    const plain = await legacyDecrypt(
      legacy.cipher,
      await derive(work, SHA1, password, octets(salt), rounds, 1, legacy.keyBytes),
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
  const prfNode = rest.find((d) => d instanceof asn1js.Sequence)
  const prf = prfNode ? (HMACS[oidOf(seq(prfNode)[0])] ?? unsupportedHash(prfNode)) : 'SHA-1'
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

const unsupportedHash = (prf: Node): never => {
  throw unsupported(oidOf(seq(prf)[0]))
}

/** Checks the file's MAC, when it has one: the surest sign of a wrong password. */
const checkMac = async (macData: Node, content: Uint8Array<ArrayBuffer>, password: string, work: Work) => {
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
  const [, algorithm] = seq(decode(pkcs8))
  const [oidNode, params] = seq(algorithm)
  const oid = oidOf(oidNode)
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
  for (const bag of seq(decode(der))) {
    const [bagId, bagValue] = seq(bag)
    const id = oidOf(bagId)
    const value = explicit0(bagValue)
    if (id === ID.certBag) {
      const [certId, certValue] = seq(value)
      if (oidOf(certId) === ID.x509Certificate) found.certificates.push(octets(explicit0(certValue)))
    } else if (id === ID.shroudedKeyBag) {
      const [algorithm, encrypted] = seq(value)
      if (!algorithm) throw new Damaged()
      found.keys.push(await decrypt(algorithm, octets(encrypted), password, work))
    } else if (id === ID.keyBag) {
      found.keys.push(encodingOf(value))
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
    const [version, authSafe, macData] = seq(decode(file))
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
    for (const info of seq(decode(authenticatedSafe))) {
      const [type, body] = seq(info)
      const inner = explicit0(body)
      if (oidOf(type) === ID.data) {
        await readSafeContents(octets(inner), password, found, work)
      } else if (oidOf(type) === ID.encryptedData) {
        const [, encryptedContentInfo] = seq(inner)
        const [, algorithm, encrypted] = seq(encryptedContentInfo)
        if (!algorithm) throw new Damaged()
        const data = implicitOctets0(encrypted)
        await readSafeContents(await decrypt(algorithm, data, password, work), password, found, work)
      }
    }
    return await pairKeyWithCertificate(found)
  } catch (e) {
    if (e instanceof WrongPassword) return err({ kind: 'wrong-password' })
    if (e instanceof Unsupported) return err({ kind: 'unsupported-algorithm', algorithm: e.message })
    if (e instanceof Legacy) return err({ kind: 'legacy-algorithm', algorithm: e.message })
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
 * differ). Read with asn1js rather than an X.509 library, so that this module runs in the page
 * with asn1js alone: tbsCertificate's subjectPublicKeyInfo follows the subject.
 */
const importPublicKeyOf = async (certificate: Uint8Array<ArrayBuffer>, privateKey: CryptoKey) => {
  const [tbs] = seq(decode(certificate))
  const fields = seq(tbs)
  const spki = fields[isContext0(fields[0]) ? 6 : 5]
  if (!(spki instanceof asn1js.Sequence)) throw new Damaged()
  return crypto.subtle.importKey('spki', encodingOf(spki), privateKey.algorithm, false, ['verify'])
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
