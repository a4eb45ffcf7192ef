/** Base64 (RFC 4648, with padding) for bytes that cross JSON: certificates and signatures. */

export const toBase64 = (bytes: Uint8Array): string => {
  let text = ''
  for (const b of bytes) text += String.fromCharCode(b)
  return btoa(text)
}

/** Throws on text that is not base64; check it first where it comes from outside (zod). */
export const fromBase64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0))

/** Whole groups of four, padded: the only text fromBase64 always takes. */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
