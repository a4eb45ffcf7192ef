/**
 * The signed token of a card helper in the style of Web eID (format web-eid:1), which the page
 * also makes itself for a certificate file it opened with WebCrypto. Pure (WebCrypto only, no
 * X.509 library): the page loads this module as it is.
 */
/** The signature algorithms a card helper may use (Web eID's names). */
export type HelperAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512'

export const HELPER_HASHES: Record<HelperAlgorithm, { key: 'ECDSA' | 'RSASSA-PKCS1-v1_5'; hash: string }> = {
  ES256: { key: 'ECDSA', hash: 'SHA-256' },
  ES384: { key: 'ECDSA', hash: 'SHA-384' },
  ES512: { key: 'ECDSA', hash: 'SHA-512' },
  RS256: { key: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  RS384: { key: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  RS512: { key: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
}
export const HELPER_ALGORITHMS = Object.keys(HELPER_HASHES) as HelperAlgorithm[]

/**
 * What a card helper signs (the Web eID authentication token, format web-eid:1): the hash of
 * the page's origin followed by the hash of the challenge, each with the algorithm's hash. The
 * origin binds the signature to this portal, so that a look-alike site cannot relay it.
 */
export const helperSignedData = async (
  algorithm: HelperAlgorithm,
  origin: string,
  challenge: string,
): Promise<Uint8Array<ArrayBuffer>> => {
  const { hash } = HELPER_HASHES[algorithm]
  const digest = async (text: string) =>
    new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(text)))
  const [o, c] = [await digest(origin), await digest(challenge)]
  const data = new Uint8Array(o.length + c.length)
  data.set(o)
  data.set(c, o.length)
  return data
}

/** Where the card helper listens unless told otherwise (its --port, the portal's CARD_HELPER_URL). */
export const DEFAULT_CARD_HELPER_PORT = 24649
export const DEFAULT_CARD_HELPER_URL = `http://127.0.0.1:${DEFAULT_CARD_HELPER_PORT}`

/**
 * The messages between the portal's page and the helper's window (postMessage, each sent to the
 * other's origin only): the window says it is ready; the page sends the challenge; the window
 * answers with the token, or says the user cancelled.
 */
export const HELPER_MESSAGES = {
  ready: 'card-helper:ready',
  read: 'card-helper:read',
  answer: 'card-helper:answer',
  cancelled: 'card-helper:cancelled',
} as const
