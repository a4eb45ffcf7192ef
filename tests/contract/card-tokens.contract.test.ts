/**
 * The card helper's CardTokens: in memory, and through PKCS#11 (graphene-pk11) on SoftHSM2 tokens
 * with a card's PIN counter. One contract: a private-CA IC card and a My Number card's two PIN
 * domains are listed with their kinds; the right PIN signs SHA-256 of the data with the card's key
 * and gives its certificate (the signing certificate only after its PIN); wrong PINs count down
 * through the token's flags and lock it, and a locked token refuses even the right PIN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryCardTokens } from '../../adapters/card-helper/card-tokens.memory.ts'
import { pkcs11CardTokens } from '../../adapters/card-helper/card-tokens.pkcs11.ts'
import { createAuthority, daysFrom, issueCertificate } from '../../adapters/dev/test-pki.ts'
import type { CardTokens } from '../../core/ports.ts'
import { type SoftCard, softhsmAvailable, softTokens } from '../support/softhsm.ts'

const now = new Date()
const validity = { notBefore: daysFrom(now, -30), notAfter: daysFrom(now, 365) }

/** A private IC card (PIN tries 3 here) and a My Number card as OpenSC presents it. */
const makeCards = async (): Promise<SoftCard[]> => {
  const ca = await createAuthority('CN=Contract CA', now)
  const ic = await issueCertificate(ca, 'CN=契約 太郎', validity)
  const auth = await issueCertificate(ca, 'CN=契約 次郎 利用者証明', validity)
  const signing = await issueCertificate(ca, 'CN=契約 次郎', validity)
  return [
    { label: 'Contract IC card', pin: 'IC-PIN-739', id: '45', ...ic },
    { label: 'JPKI (User Authentication PIN)', pin: '4826', id: '01', ...auth },
    {
      label: 'JPKI (Digital Signature PIN)',
      pin: 'SIGN7Q4Z9X',
      id: '02',
      certificateIsPrivate: true,
      ...signing,
    },
  ]
}

const verifies = async (certificate: Uint8Array, signature: Uint8Array, data: Uint8Array) => {
  const { X509Certificate } = (await import('../../core/lib/x509.ts')).x509
  const key = await new X509Certificate(new Uint8Array(certificate)).publicKey.export(
    { name: 'ECDSA', namedCurve: 'P-256' },
    ['verify'],
  )
  return crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    new Uint8Array(signature),
    new Uint8Array(data),
  )
}

const contract = (
  name: string,
  make: (cards: SoftCard[]) => Promise<(CardTokens & { close?(): void }) | undefined>,
  available: () => boolean,
) =>
  describe(name, () => {
    let cards: SoftCard[]
    let tokens: (CardTokens & { close?(): void }) | undefined
    beforeAll(async () => {
      if (!available()) return
      cards = await makeCards()
      tokens = await make(cards)
    })
    afterAll(() => tokens?.close?.())
    const tokenOf = async (label: string) => {
      const found = (await tokens?.list())?.find((t) => t.label === label)
      if (!found) throw new Error(`no token ${label}`)
      return found
    }
    const data = new TextEncoder().encode('hash(origin) ‖ hash(challenge)')

    it('lists each PIN domain with its kind, and the certificates readable without a PIN', async (ctx) => {
      if (!tokens) return ctx.skip()
      const listed = await tokens.list()
      expect(listed.map((t) => [t.label, t.kind, t.pinStatus]).sort()).toEqual([
        ['Contract IC card', 'ic-card', 'fresh'],
        ['JPKI (Digital Signature PIN)', 'my-number-signing', 'fresh'],
        ['JPKI (User Authentication PIN)', 'my-number-user-authentication', 'fresh'],
      ])
      expect((await tokenOf('Contract IC card')).certificate).toEqual(cards[0]?.certificate)
      expect((await tokenOf('JPKI (User Authentication PIN)')).certificate).toEqual(cards[1]?.certificate)
      expect((await tokenOf('JPKI (Digital Signature PIN)')).certificate).toBeUndefined()
    })

    it('signs with the right PIN, giving the key’s certificate (the signing one only now)', async (ctx) => {
      if (!tokens) return ctx.skip()
      for (const [i, label] of ['Contract IC card', 'JPKI (Digital Signature PIN)'].entries()) {
        const card = cards[i === 0 ? 0 : 2]
        const signed = await tokens.sign({
          tokenId: (await tokenOf(label)).tokenId,
          pin: card?.pin ?? '',
          data,
        })
        if (!signed.ok) throw new Error(`${label}: ${JSON.stringify(signed.error)}`)
        expect(signed.value.algorithm).toBe('ES256')
        expect(signed.value.certificate).toEqual(card?.certificate)
        expect(await verifies(signed.value.certificate, signed.value.signature, data), label).toBe(true)
      }
    })

    it('counts wrong PINs down through the token’s flags, locks, and then refuses the right PIN', async (ctx) => {
      if (!tokens) return ctx.skip()
      const { tokenId } = await tokenOf('Contract IC card')
      const wrong = () => tokens?.sign({ tokenId, pin: 'WRONG-000', data })
      expect(await wrong()).toEqual({ ok: false, error: { kind: 'wrong-pin', pinStatus: 'count-low' } })
      expect((await tokenOf('Contract IC card')).pinStatus).toBe('count-low')
      expect(await wrong()).toEqual({ ok: false, error: { kind: 'wrong-pin', pinStatus: 'final-try' } })
      expect((await tokenOf('Contract IC card')).pinStatus).toBe('final-try')
      expect(await wrong()).toEqual({ ok: false, error: { kind: 'locked' } })
      expect((await tokenOf('Contract IC card')).pinStatus).toBe('locked')
      expect(await tokens.sign({ tokenId, pin: cards[0]?.pin ?? '', data })).toEqual({
        ok: false,
        error: { kind: 'locked' },
      })
    })

    it('gives the tries back on the right PIN, and knows no token it does not have', async (ctx) => {
      if (!tokens) return ctx.skip()
      const { tokenId } = await tokenOf('JPKI (User Authentication PIN)')
      expect(await tokens.sign({ tokenId, pin: '0000', data })).toMatchObject({
        ok: false,
        error: { kind: 'wrong-pin' },
      })
      expect((await tokens.sign({ tokenId, pin: '4826', data })).ok).toBe(true)
      expect((await tokenOf('JPKI (User Authentication PIN)')).pinStatus).toBe('fresh')
      expect(await tokens.sign({ tokenId: 'none', pin: '4826', data })).toEqual({
        ok: false,
        error: { kind: 'no-token' },
      })
    })
  })

contract(
  'CardTokens in memory',
  async (cards) =>
    memoryCardTokens(
      cards.map((card) => ({
        ...card,
        kind:
          card.id === '01'
            ? 'my-number-user-authentication'
            : card.id === '02'
              ? 'my-number-signing'
              : 'ic-card',
        serialNumber: card.id === '45' ? 'ic-1' : 'jpki-1',
        tries: card.id === '01' ? 3 : card.id === '02' ? 5 : 3,
      })),
    ),
  () => true,
)

let soft: ReturnType<typeof softTokens> | undefined
afterAll(() => soft?.close())
contract(
  'CardTokens through PKCS#11 on SoftHSM2 (with a card’s PIN counter)',
  async (cards) => {
    soft = softTokens(cards, { tries: 3 })
    return pkcs11CardTokens([{ path: soft.modulePath }])
  },
  softhsmAvailable,
)
