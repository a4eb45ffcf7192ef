/** SHA-256 digests and secret comparison over WebCrypto, for every layer. */

const toHex = (bytes: ArrayBuffer): string =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('')

/** The SHA-256 of a text (as UTF-8) or of bytes, in lower-case hex. */
export const sha256Hex = async (input: string | Uint8Array<ArrayBuffer>): Promise<string> =>
  toHex(
    await crypto.subtle.digest(
      'SHA-256',
      typeof input === 'string' ? new TextEncoder().encode(input) : input,
    ),
  )

/** Compares two secrets in time that does not depend on where they differ. */
export const sameSecret = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
