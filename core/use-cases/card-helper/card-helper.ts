/**
 * The card helper's use cases (the program on the user's own computer, `npm run card-helper`):
 * a page of an origin the helper serves asks it to read a card and sign the page's challenge;
 * the user picks the card and types its PIN in the helper's own window. The helper signs
 * hash(origin) ‖ hash(challenge) (helperSignedData), as the portal's verifier expects, with the
 * origin of the page that asked, never one named by anybody else. The PIN goes to the card and
 * nowhere else; no key leaves the card.
 */
import { describeCertificate } from '../../domain/certificates.ts'
import { myNumberPinFormatError, normalisePin } from '../../domain/pins.ts'
import { helperSignedData } from '../../lib/helper-token.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type { CardToken, CardTokenError, CardTokenKind, CardTokens, PinStatus } from '../../ports.ts'

/**
 * What a screen of the portal asks the helper to read (the portal's CardUse, and F2's renewal of a
 * My Number card, which needs both of the card's certificates).
 */
export const HELPER_USES = [
  'authentication',
  'signing',
  'private',
  'my-number-signing',
  'my-number-authentication',
  'my-number-renewal',
] as const
export type HelperUse = (typeof HELPER_USES)[number]

const offered: Record<HelperUse, (kind: CardTokenKind) => boolean> = {
  authentication: (kind) => kind !== 'my-number-signing',
  signing: (kind) => kind !== 'my-number-user-authentication',
  private: (kind) => kind === 'ic-card',
  'my-number-signing': (kind) => kind === 'my-number-signing',
  'my-number-authentication': (kind) => kind === 'my-number-user-authentication',
  'my-number-renewal': (kind) => kind === 'my-number-signing',
}

/**
 * Why a PIN (normalised, core/domain/pins.ts) cannot be right for its token, before the token
 * counts a try; undefined if it may be.
 */
export const pinFormatError = (token: CardToken, pin: string): string | undefined => {
  if (pin === '') return 'PINを入力してください。'
  if (token.kind !== 'ic-card') return myNumberPinFormatError(token.kind, pin)
  const { min, max } = token.pinLength
  return pin.length < min || pin.length > max
    ? `このカードのPINは${min === max ? `${min}文字` : `${min}〜${max}文字`}です。`
    : undefined
}

/**
 * The user-authentication token of the same My Number card as `signing`: the one of its serial
 * number (OpenSC gives a card's two PIN domains the card's serial), else the only one in reach.
 */
export const companionOf = (tokens: CardToken[], signing: CardToken): CardToken | undefined => {
  const authentication = tokens.filter((t) => t.kind === 'my-number-user-authentication')
  return (
    authentication.find((t) => t.serialNumber === signing.serialNumber) ??
    (authentication.length === 1 ? authentication[0] : undefined)
  )
}

/** A token as the helper's window offers it: whose card it is, where its certificate says. */
export type OfferedToken = { token: CardToken; holderName?: string; companion?: CardToken }

/** The tokens a screen's read may use, each with its holder and its companion for a My Number renewal. */
export const tokensFor =
  (ports: { tokens: CardTokens }) =>
  async (use: HelperUse): Promise<OfferedToken[]> => {
    const tokens = await ports.tokens.list()
    const holderOf = async (token: CardToken) => {
      try {
        return token.certificate && (await describeCertificate(new Uint8Array(token.certificate))).holderName
      } catch {
        return undefined
      }
    }
    return Promise.all(
      tokens
        .filter((token) => offered[use](token.kind))
        .map(async (token) => ({
          token,
          holderName: await holderOf(token),
          ...(use === 'my-number-renewal' && { companion: companionOf(tokens, token) }),
        })),
    )
  }

/** A challenge as the portal issues them (base64url, at least 128 bits). */
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22,128}$/

export type SignedByCard = { certificate: Uint8Array; algorithm: 'ES256' | 'RS256'; signature: Uint8Array }

/** The token the helper posts back to the page: a read, and for a My Number renewal, two. */
export type HelperAnswer = SignedByCard & { userAuthentication?: SignedByCard }

/** Which PIN field a refusal concerns: the read's, or a My Number renewal's user-authentication one. */
export type PinField = 'pin' | 'authenticationPin'

export type HelperReadError =
  | { kind: 'origin-refused' }
  | { kind: 'bad-challenge' }
  | { kind: 'no-companion' }
  | { kind: 'pin-format'; field: PinField; message: string }
  | (CardTokenError & { field?: PinField })

/**
 * The read a page asked for: `origin` is the page's, as the browser named it to the helper's
 * window (never a value the page wrote), and must be one the helper serves.
 */
export const readForPage =
  (ports: { tokens: CardTokens; allowedOrigins: readonly string[] }) =>
  async (request: {
    origin: string
    nonce: string
    use: HelperUse
    tokenId: string
    pin: string
    authenticationPin?: string
  }): Promise<Result<HelperAnswer, HelperReadError>> => {
    if (!ports.allowedOrigins.includes(request.origin)) return err({ kind: 'origin-refused' })
    if (!NONCE_PATTERN.test(request.nonce)) return err({ kind: 'bad-challenge' })
    const tokens = await ports.tokens.list()
    const token = tokens.find((t) => t.tokenId === request.tokenId && offered[request.use](t.kind))
    if (!token) return err({ kind: 'no-token' })
    const companion = request.use === 'my-number-renewal' ? companionOf(tokens, token) : undefined
    if (request.use === 'my-number-renewal' && !companion) return err({ kind: 'no-companion' })
    // Every PIN as the card expects it (an IME's full width, a lower-case signing PIN), and its
    // form first: a read that cannot go on spends no try of either PIN.
    const pin = normalisePin(token.kind, request.pin)
    const formatError = pinFormatError(token, pin)
    if (formatError) return err({ kind: 'pin-format', field: 'pin', message: formatError })
    const companionPin = normalisePin('my-number-user-authentication', request.authenticationPin ?? '')
    const companionError = companion && pinFormatError(companion, companionPin)
    if (companionError)
      return err({ kind: 'pin-format', field: 'authenticationPin', message: companionError })

    // ES256 and RS256 both hash with SHA-256: the data is the same whichever key the card holds.
    const data = await helperSignedData('ES256', request.origin, request.nonce)
    const signed = await ports.tokens.sign({ tokenId: token.tokenId, pin, data })
    if (!signed.ok) return err({ ...signed.error, field: 'pin' })
    if (!companion) return ok(signed.value)
    // The user-authentication certificate proves itself too: the portal links the renewed card to
    // the registered one through it, so a certificate alone (public) must not be enough.
    const alsoSigned = await ports.tokens.sign({ tokenId: companion.tokenId, pin: companionPin, data })
    if (!alsoSigned.ok) return err({ ...alsoSigned.error, field: 'authenticationPin' })
    return ok({ ...signed.value, userAuthentication: alsoSigned.value })
  }

/** What the user sees of a PIN's state before typing it. */
export const pinStatusText = (status: PinStatus): string | undefined => {
  switch (status) {
    case 'fresh':
      return undefined
    case 'count-low':
      return 'PINの誤入力があります。'
    case 'final-try':
      return 'あと1回PINを間違えるとカードがロックされます。'
    case 'locked':
      return 'PINの誤入力が続いたためロックされています。'
  }
}
