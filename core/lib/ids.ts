/** Random identifiers and tokens, from WebCrypto. */
const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

/** A secret of `bytes` random bytes (32 = 256 bits), URL-safe. */
export const randomToken = (bytes = 32): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)))

export const newId = (): string => crypto.randomUUID()

/** Whether a text from outside (a URL, a form) has the shape of an id of ours, before any store sees it. */
export const isId = (value: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
