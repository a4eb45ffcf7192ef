/**
 * A virtual card reader, standing in for card hardware in development and tests. Each virtual
 * card holds a certificate and its key, and a PIN that locks the card after too many wrong tries,
 * as a real card does. The PIN is kept only as a salted hash.
 */
import { signatureAlgorithm, signedPayload } from '../../core/certificates.ts'
import { sameSecret, sha256Hex } from '../../core/digest.ts'
import type { CardReader, CardSummary } from '../../core/ports.ts'
import { err, ok } from '../../core/result.ts'

export type VirtualCard = CardSummary & {
  pinSalt: string
  pinHash: string
  /** Wrong tries in a row before the card locks; 0 for a file, which never locks. */
  maxTries: number
  triesLeft: number
  certificate: Uint8Array
  privateKey: Uint8Array
}

export type VirtualCardStore = {
  list(): Promise<VirtualCard[]>
  find(cardId: string): Promise<VirtualCard | undefined>
  /**
   * Takes one try before the PIN is judged, in one step, as a card's chip does: returns the tries
   * left after it, or undefined when none was left (the card is locked). Parallel reads cannot
   * each see the same count, so no more PINs are judged than the card allows.
   */
  takeTry(cardId: string): Promise<number | undefined>
  /** The right PIN gives the tries back. */
  resetTries(cardId: string): Promise<void>
}

export const hashPin = (salt: string, pin: string): Promise<string> => sha256Hex(`${salt}:${pin}`)

/** PIN rules of each card kind, checked before a try is counted. */
const pinFormatError = (card: VirtualCard, pin: string): string | undefined => {
  if (card.cardKind === 'my-number' && !/^\d{4}$/.test(pin)) {
    return '利用者証明用電子証明書のPINは半角数字4桁です。'
  }
  if (pin.length === 0)
    return card.cardKind === 'file' ? 'パスワードを入力してください。' : 'PINを入力してください。'
  return undefined
}

export const virtualCardReader = (store: VirtualCardStore): CardReader => ({
  listCards: async () =>
    (await store.list()).map(({ cardId, holderName, cardKind }) => ({ cardId, holderName, cardKind })),
  triesLeft: async (cardId) => {
    const card = await store.find(cardId)
    return card && card.maxTries > 0 ? card.triesLeft : undefined
  },
  read: async ({ cardId, pin, challenge }) => {
    const card = await store.find(cardId)
    if (!card) return err({ kind: 'no-card' })
    const formatError = pinFormatError(card, pin)
    if (formatError) return err({ kind: 'pin-format', message: formatError })
    const lockable = card.maxTries > 0
    const left = lockable ? await store.takeTry(cardId) : undefined
    if (lockable && left === undefined) return err({ kind: 'locked' })
    if (!sameSecret(await hashPin(card.pinSalt, pin), card.pinHash)) {
      if (left === undefined) return err({ kind: 'wrong-pin' })
      return left > 0 ? err({ kind: 'wrong-pin', triesLeft: left }) : err({ kind: 'locked' })
    }
    if (lockable) await store.resetTries(cardId)
    const key = await crypto.subtle.importKey(
      'pkcs8',
      new Uint8Array(card.privateKey),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    )
    const signature = await crypto.subtle.sign(signatureAlgorithm(key), key, signedPayload(challenge))
    return ok({ certificate: card.certificate, signature: new Uint8Array(signature) })
  },
})

export const memoryVirtualCardStore = (cards: VirtualCard[]): VirtualCardStore => ({
  list: async () => cards,
  find: async (cardId) => cards.find((c) => c.cardId === cardId),
  takeTry: async (cardId) => {
    const card = cards.find((c) => c.cardId === cardId)
    if (!card || card.triesLeft <= 0) return undefined
    card.triesLeft -= 1
    return card.triesLeft
  },
  resetTries: async (cardId) => {
    const card = cards.find((c) => c.cardId === cardId)
    if (card) card.triesLeft = card.maxTries
  },
})
