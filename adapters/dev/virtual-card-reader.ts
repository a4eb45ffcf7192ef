/**
 * A virtual card reader, standing in for card hardware in development and tests. Each virtual
 * card holds a certificate and its key, and a PIN that locks the card after too many wrong tries,
 * as a real card does. The PIN is kept only as a salted hash.
 */
import { cardSigningKey, signatureAlgorithm, signedPayload } from '../../core/domain/certificates.ts'
import { myNumberPinFormatError, normalisePin } from '../../core/domain/pins.ts'
import { sameSecret, sha256Hex } from '../../core/lib/digest.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { CardReader, CardSummary, PinKind } from '../../core/ports.ts'

export type { PinKind }

/**
 * A virtual card: one certificate behind one PIN. A My Number card is two of them, the signing
 * one naming its user-authentication one as `companionCardId`.
 */
export type VirtualCard = CardSummary & {
  pinSalt: string
  pinHash: string
  /** Wrong PINs in a row; the card locks when they reach its kind's limit. */
  wrongTries: number
  certificate: Uint8Array
  privateKey: Uint8Array
  /** The same card's user-authentication certificate, given with a signing read (no PIN needed). */
  companionCardId?: string
  /** In development: the card this one replaced, as JPKI's old-to-new link records it. */
  renewsCardId?: string
}

export type VirtualCardStore = {
  list(): Promise<VirtualCard[]>
  find(cardId: string): Promise<VirtualCard | undefined>
  /**
   * Takes one of `limit` tries before the PIN is judged, in one step, as a card's chip does:
   * returns the tries left after it, or undefined when none was left (the card is locked).
   * Parallel reads cannot each see the same count, so no more PINs are judged than allowed.
   */
  takeTry(cardId: string, limit: number): Promise<number | undefined>
  /** The right PIN gives the tries back. */
  resetTries(cardId: string): Promise<void>
}

type PinRule = {
  /** Wrong PINs in a row before the card locks; absent for a file, which never locks. */
  tries?: number
}

/**
 * How many wrong PINs each kind takes (its format is core/domain/pins.ts's). The My Number counts are the card's
 * own (J-LIS); a private IC card's lock count depends on its issuer, hence the setting.
 */
export const pinRules = (icCardTries: number): Record<PinKind, PinRule> => ({
  'ic-card': { tries: icCardTries },
  file: {},
  'my-number-user-authentication': { tries: 3 },
  'my-number-signing': { tries: 5 },
})

export const DEFAULT_IC_CARD_PIN_TRIES = 5

export const hashPin = (salt: string, pin: string): Promise<string> => sha256Hex(`${salt}:${pin}`)

const pinFormatError = (card: VirtualCard, pin: string): string | undefined => {
  if (pin.length === 0)
    return card.pinKind === 'file' ? 'パスワードを入力してください。' : 'PINを入力してください。'
  return myNumberPinFormatError(card.pinKind, pin)
}

export const virtualCardReader = (
  store: VirtualCardStore,
  options: { icCardPinTries?: number } = {},
): CardReader => {
  const rules = pinRules(options.icCardPinTries ?? DEFAULT_IC_CARD_PIN_TRIES)
  return {
    listCards: async () =>
      (await store.list()).map(({ cardId, holderName, cardKind, pinKind }) => ({
        cardId,
        holderName,
        cardKind,
        pinKind,
      })),
    triesLeft: async (cardId) => {
      const card = await store.find(cardId)
      const limit = card && rules[card.pinKind].tries
      return card && limit !== undefined ? Math.max(0, limit - card.wrongTries) : undefined
    },
    read: async ({ cardId, pin: typed, challenge }) => {
      const card = await store.find(cardId)
      if (!card) return err({ kind: 'no-card' })
      const rule = rules[card.pinKind]
      // As a real card's middleware takes it: an IME's full width, a lower-case signing PIN.
      const pin = normalisePin(card.pinKind, typed)
      const formatError = pinFormatError(card, pin)
      if (formatError) return err({ kind: 'pin-format', message: formatError })
      const limit = rule.tries
      const left = limit === undefined ? undefined : await store.takeTry(cardId, limit)
      if (limit !== undefined && left === undefined) return err({ kind: 'locked' })
      if (!sameSecret(await hashPin(card.pinSalt, pin), card.pinHash)) {
        if (left === undefined) return err({ kind: 'wrong-pin' })
        return left > 0 ? err({ kind: 'wrong-pin', triesLeft: left }) : err({ kind: 'locked' })
      }
      if (limit !== undefined) await store.resetTries(cardId)
      const key = await cardSigningKey(card.privateKey)
      const signature = await crypto.subtle.sign(signatureAlgorithm(key), key, signedPayload(challenge))
      const companion = card.companionCardId ? await store.find(card.companionCardId) : undefined
      return ok({
        certificate: card.certificate,
        signature: new Uint8Array(signature),
        ...(companion && { userAuthenticationCertificate: companion.certificate }),
      })
    },
  }
}

/** JPKI's old-to-new links of the renewed virtual cards, to seed the JPKI simulator with. */
export const linksOfRenewedCards = (cards: VirtualCard[]) =>
  cards.flatMap((card) => {
    const previous = card.renewsCardId && cards.find((c) => c.cardId === card.renewsCardId)
    return previous ? [{ certificate: card.certificate, previous: previous.certificate }] : []
  })

export const memoryVirtualCardStore = (cards: VirtualCard[]): VirtualCardStore => ({
  list: async () => cards,
  find: async (cardId) => cards.find((c) => c.cardId === cardId),
  takeTry: async (cardId, limit) => {
    const card = cards.find((c) => c.cardId === cardId)
    if (!card || card.wrongTries >= limit) return undefined
    card.wrongTries += 1
    return limit - card.wrongTries
  },
  resetTries: async (cardId) => {
    const card = cards.find((c) => c.cardId === cardId)
    if (card) card.wrongTries = 0
  },
})
