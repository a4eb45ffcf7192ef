/** Random identifiers and tokens, from WebCrypto. */
const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

/** A secret of `bytes` random bytes (32 = 256 bits), URL-safe. */
export const randomToken = (bytes = 32): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)))

export const newId = (): string => crypto.randomUUID()
