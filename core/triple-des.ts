/**
 * Triple DES (EDE, three keys) in CBC mode, for reading legacy PKCS#12 files only: WebCrypto has
 * no DES, and older Windows and Java tools still write .p12 files with it. Written for clarity,
 * not speed (BigInt bit permutations): a .p12 holds a few kilobytes. FIPS 46-3 tables.
 */

const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40,
  32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5,
  63, 55, 47, 39, 31, 23, 15, 7,
]
const FP = [
  40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13,
  53, 21, 61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26,
  33, 1, 41, 9, 49, 17, 57, 25,
]
const E = [
  32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21,
  20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
]
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22,
  11, 4, 25,
]
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
]
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47,
  55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
]
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1]
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3,
    8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6,
    13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11,
    5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5,
    14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15,
    1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2,
    12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14,
    9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2,
    14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8,
    6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4,
    5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3,
    8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8,
    13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8,
    6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3,
    12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9,
    2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6,
    11,
  ],
]

/** Picks bits of `input` (`width` bits wide; position 1 is the most significant) in `table` order. */
const permute = (input: bigint, width: number, table: number[]): bigint => {
  let out = 0n
  for (const position of table) out = (out << 1n) | ((input >> BigInt(width - position)) & 1n)
  return out
}

const MASK_28 = (1n << 28n) - 1n
const rotate28 = (half: bigint, by: number) => ((half << BigInt(by)) | (half >> BigInt(28 - by))) & MASK_28

/** The sixteen 48-bit round keys of a 64-bit DES key. */
const roundKeys = (key: bigint): bigint[] => {
  const permuted = permute(key, 64, PC1)
  let c = permuted >> 28n
  let d = permuted & MASK_28
  return SHIFTS.map((shift) => {
    c = rotate28(c, shift)
    d = rotate28(d, shift)
    return permute((c << 28n) | d, 56, PC2)
  })
}

const feistel = (right: bigint, key: bigint): bigint => {
  const mixed = permute(right, 32, E) ^ key
  let out = 0n
  S.forEach((box, i) => {
    const six = Number((mixed >> BigInt(42 - 6 * i)) & 63n)
    const row = ((six & 32) >> 4) | (six & 1)
    const column = (six >> 1) & 15
    out = (out << 4n) | BigInt(box[row * 16 + column] ?? 0)
  })
  return permute(out, 32, P)
}

const desBlock = (block: bigint, keys: bigint[]): bigint => {
  const permuted = permute(block, 64, IP)
  let left = permuted >> 32n
  let right = permuted & 0xffffffffn
  for (const key of keys) [left, right] = [right, left ^ feistel(right, key)]
  return permute((right << 32n) | left, 64, FP)
}

const toBigInt = (bytes: Uint8Array): bigint => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n)
const toBytes = (n: bigint): number[] =>
  Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(56 - 8 * i)) & 0xffn))

/** One DES block, for the known-answer test. */
export const desEncryptBlock = (key: Uint8Array, block: Uint8Array): Uint8Array =>
  new Uint8Array(toBytes(desBlock(toBigInt(block), roundKeys(toBigInt(key)))))

/**
 * Decrypts 3DES-EDE-CBC with a 24-byte key. Returns undefined when the padding is not valid
 * PKCS#7: with a wrong key, it almost never is.
 */
export const tripleDesCbcDecrypt = (
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array<ArrayBuffer> | undefined => {
  if (key.length !== 24 || iv.length !== 8 || data.length === 0 || data.length % 8 !== 0) return undefined
  const [k1, k2, k3] = [0, 8, 16].map((at) => roundKeys(toBigInt(key.subarray(at, at + 8))))
  if (!k1 || !k2 || !k3) return undefined
  const [d1, d3] = [[...k1].reverse(), [...k3].reverse()]
  const out = new Uint8Array(data.length)
  let previous = toBigInt(iv)
  for (let at = 0; at < data.length; at += 8) {
    const block = toBigInt(data.subarray(at, at + 8))
    const plain = desBlock(desBlock(desBlock(block, d3), k2), d1) ^ previous
    out.set(toBytes(plain), at)
    previous = block
  }
  const pad = out[out.length - 1] ?? 0
  if (pad < 1 || pad > 8 || out.subarray(out.length - pad).some((b) => b !== pad)) return undefined
  return out.slice(0, out.length - pad)
}
