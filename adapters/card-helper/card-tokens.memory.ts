/**
 * The card helper's CardTokens in memory: cards as PKCS#11 would present them (a My Number card as
 * two tokens of one serial number), each counting wrong PINs and locking as a card does, and
 * saying so in the same four states as the token's flags. The twin of card-tokens.pkcs11.ts (one
 * contract test, tests/contract/card-tokens.contract.test.ts); the helper's own tests and a demo
 * helper (`npm run card-helper -- --demo`) use it.
 */
import { cardSigningKey, signatureAlgorithm } from '../../core/domain/certificates.ts'
import { sameSecret } from '../../core/lib/digest.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { CardTokenKind, CardTokens, PinStatus } from '../../core/ports.ts'

export type MemoryCard = {
  label: string
  kind: CardTokenKind
  serialNumber: string
  pin: string
  /** Wrong PINs in a row before it locks. */
  tries: number
  certificate: Uint8Array
  /** Its key, PKCS#8 (ECDSA P-256). */
  privateKey: Uint8Array
  /** A certificate readable only after the PIN (a My Number card's signing certificate). */
  certificateIsPrivate?: boolean
  pinLength?: { min: number; max: number }
}

export const memoryCardTokens = (
  cards: MemoryCard[],
): CardTokens & { wrongTries(tokenId: string): number } => {
  const wrong = new Map<string, number>()
  const tokenIdOf = (i: number) => `memory:${i}`
  const statusOf = (card: MemoryCard, wrongTries: number): PinStatus =>
    wrongTries >= card.tries
      ? 'locked'
      : card.tries - wrongTries === 1
        ? 'final-try'
        : wrongTries > 0
          ? 'count-low'
          : 'fresh'
  return {
    wrongTries: (tokenId) => wrong.get(tokenId) ?? 0,
    list: async () =>
      cards.map((card, i) => ({
        tokenId: tokenIdOf(i),
        label: card.label,
        kind: card.kind,
        serialNumber: card.serialNumber,
        pinStatus: statusOf(card, wrong.get(tokenIdOf(i)) ?? 0),
        pinLength: card.pinLength ?? { min: 4, max: 16 },
        ...(!card.certificateIsPrivate && { certificate: card.certificate }),
      })),
    sign: async ({ tokenId, pin, data }) => {
      const index = cards.findIndex((_, i) => tokenIdOf(i) === tokenId)
      const card = cards[index]
      if (!card) return err({ kind: 'no-token' })
      const before = wrong.get(tokenId) ?? 0
      if (before >= card.tries) return err({ kind: 'locked' })
      if (!sameSecret(pin, card.pin)) {
        wrong.set(tokenId, before + 1)
        const pinStatus = statusOf(card, before + 1)
        // The last try locks the card, as a card's chip answers it.
        return err(pinStatus === 'locked' ? { kind: 'locked' } : { kind: 'wrong-pin', pinStatus })
      }
      wrong.set(tokenId, 0)
      const key = await cardSigningKey(card.privateKey)
      const signature = await crypto.subtle.sign(signatureAlgorithm(key), key, new Uint8Array(data))
      return ok({ certificate: card.certificate, algorithm: 'ES256', signature: new Uint8Array(signature) })
    },
  }
}
