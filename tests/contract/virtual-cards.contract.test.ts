/**
 * The virtual card store, in memory and in the database: a card counts every wrong PIN, even
 * when tries arrive in parallel, and locks when none are left; each card kind keeps its PIN rules.
 * One demo card, 調達 太郎's unregistered new IC card, is turned into a My Number card's signing
 * certificate (PIN SIGN2026) for the signing-PIN rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDemoData } from '../../adapters/dev/demo-data.ts'
import {
  hashPin,
  memoryVirtualCardStore,
  type VirtualCardStore,
  virtualCardReader,
} from '../../adapters/dev/virtual-card-reader.ts'
import { kyselyVirtualCardStore } from '../../adapters/dev/virtual-card-store.kysely.ts'
import {
  openTestDatabase,
  postgresServer,
  skipWithoutPostgres,
  type TestDatabase,
} from '../support/database.ts'
import { demoData } from '../support/memory-portal.ts'

const contract = (
  name: string,
  make: () => Promise<{ store: VirtualCardStore; close(): Promise<void> } | undefined>,
) =>
  describe(name, () => {
    let subject: { store: VirtualCardStore; close(): Promise<void> } | undefined
    beforeAll(async () => {
      subject = await make()
    })
    afterAll(async () => subject?.close())

    it('counts ten parallel wrong PINs against a five-try card: four warnings, then locked', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store)
      const results = await Promise.all(
        Array.from({ length: 10 }, () => reader.read({ cardId: 'taro-ic', pin: '0000', challenge: 'c' })),
      )
      const warnings = results
        .map((r) => (!r.ok && r.error.kind === 'wrong-pin' ? r.error.triesLeft : undefined))
        .filter((n) => n !== undefined)
      expect(warnings.sort()).toEqual([1, 2, 3, 4])
      expect(results.filter((r) => !r.ok && r.error.kind === 'locked')).toHaveLength(6)
      expect(await reader.triesLeft('taro-ic')).toBe(0)
      expect(await reader.read({ cardId: 'taro-ic', pin: '1234', challenge: 'c' })).toEqual({
        ok: false,
        error: { kind: 'locked' },
      })
    })

    it('judges no more PINs than the card allows: 29 wrong sent at once use its five tries, and the right one after is refused', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store)
      // A fresh card of the same holder: 調達 太郎's was locked by the test before. Requests that
      // arrive at once are judged in no set order (each try is taken by one atomic statement on
      // whichever connection is free), so the right PIN is sent once the wrong ones are answered:
      // concurrency buys no sixth try.
      const results = await Promise.all(
        Array.from({ length: 29 }, () =>
          reader.read({ cardId: 'saburo-ic-new', pin: '0000', challenge: 'c' }),
        ),
      )
      const warned = results.filter((r) => !r.ok && r.error.kind === 'wrong-pin')
      expect(warned).toHaveLength(4)
      expect(results.filter((r) => !r.ok && r.error.kind === 'locked')).toHaveLength(25)
      expect(await reader.triesLeft('saburo-ic-new')).toBe(0)
      expect(await reader.read({ cardId: 'saburo-ic-new', pin: '5678', challenge: 'c' })).toEqual({
        ok: false,
        error: { kind: 'locked' },
      })
    })

    it('finds no card for an id no card has, a NUL or 10 KB in it', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store)
      for (const cardId of ['hanako\u0000file', 'x'.repeat(10_000), '']) {
        expect(await subject.store.find(cardId)).toBeUndefined()
        const read = await reader.read({ cardId, pin: '1234', challenge: 'c' })
        expect(read.ok).toBe(false)
        expect(await reader.triesLeft(cardId)).toBeUndefined()
      }
    })

    it('resets the count after the right PIN', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store)
      await reader.read({ cardId: 'hanako-file', pin: 'x', challenge: 'c' })
      await reader.read({ cardId: 'jiro-mynumber', pin: '0000', challenge: 'c' })
      expect(await reader.triesLeft('jiro-mynumber')).toBe(2)
      expect((await reader.read({ cardId: 'jiro-mynumber', pin: '4321', challenge: 'c' })).ok).toBe(true)
      expect(await reader.triesLeft('jiro-mynumber')).toBe(3)
    })

    it('My Number user-authentication PIN: four digits, locks after 3 wrong in a row and stays locked', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store)
      const read = (pin: string) => reader.read({ cardId: 'jiro-mynumber', pin, challenge: 'c' })
      for (const malformed of ['43210', '４３２', '432a'])
        expect(await read(malformed), malformed).toMatchObject({ ok: false, error: { kind: 'pin-format' } })
      expect(await reader.triesLeft('jiro-mynumber')).toBe(3) // a malformed PIN costs no try
      // Full-width digits, as an IME types them, are the PIN.
      expect((await read('４３２１')).ok).toBe(true)
      expect(await read('0000')).toEqual({ ok: false, error: { kind: 'wrong-pin', triesLeft: 2 } })
      expect(await read('0001')).toEqual({ ok: false, error: { kind: 'wrong-pin', triesLeft: 1 } })
      expect(await read('0002')).toEqual({ ok: false, error: { kind: 'locked' } })
      expect(await read('4321')).toEqual({ ok: false, error: { kind: 'locked' } })
      expect(await reader.triesLeft('jiro-mynumber')).toBe(0)
    })

    it('My Number signing PIN: 6-16 of A-Z and 0-9 (after NFKC and upper case), locks after 5 wrong in a row and stays locked', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store)
      const read = (pin: string) => reader.read({ cardId: SIGNING_CARD, pin, challenge: 'c' })
      // Full width and lower case are the PIN as the JPKI client takes it; still malformed costs no try.
      expect((await read('sign2026')).ok).toBe(true)
      expect((await read('ｓｉｇｎ２０２６')).ok).toBe(true)
      for (const malformed of ['SIGN1', 'SIGN-2026', 'ＳＩＧＮ－２０２６', 'A'.repeat(17), 'sign 2026']) {
        expect(await read(malformed)).toEqual({
          ok: false,
          error: {
            kind: 'pin-format',
            message: '署名用電子証明書のパスワードは、英字と数字の6〜16文字です。',
          },
        })
      }
      expect(await reader.triesLeft(SIGNING_CARD)).toBe(5)
      expect(await read('WRONG1')).toEqual({ ok: false, error: { kind: 'wrong-pin', triesLeft: 4 } })
      expect((await read('SIGN2026')).ok).toBe(true)
      expect(await reader.triesLeft(SIGNING_CARD)).toBe(5)
      for (const left of [4, 3, 2, 1]) {
        expect(await read(`WRONG${left}`)).toEqual({
          ok: false,
          error: { kind: 'wrong-pin', triesLeft: left },
        })
      }
      expect(await read('WRONG0')).toEqual({ ok: false, error: { kind: 'locked' } })
      expect(await read('SIGN2026')).toEqual({ ok: false, error: { kind: 'locked' } })
    })

    it('a private IC card locks after the configured count', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store, { icCardPinTries: 2 })
      const read = (pin: string) => reader.read({ cardId: 'saburo-ic-expired', pin, challenge: 'c' })
      expect(await reader.triesLeft('saburo-ic-expired')).toBe(2)
      expect(await read('0000')).toEqual({ ok: false, error: { kind: 'wrong-pin', triesLeft: 1 } })
      expect(await read('0000')).toEqual({ ok: false, error: { kind: 'locked' } })
      expect(await read('5678')).toEqual({ ok: false, error: { kind: 'locked' } })
      // The count is the card's; a reader allowing more tries lets it be tried again.
      expect(
        await virtualCardReader(subject.store, { icCardPinTries: 5 }).triesLeft('saburo-ic-expired'),
      ).toBe(3)
    })
  })

const SIGNING_CARD = 'taro-ic-new'
const SIGNING_PIN = 'SIGN2026'

contract('virtual cards in memory', async () => {
  const cards = structuredClone((await demoData()).cards)
  const card = cards.find((c) => c.cardId === SIGNING_CARD)
  if (!card) throw new Error(`no demo card ${SIGNING_CARD}`)
  Object.assign(card, { pinKind: 'my-number-signing', pinHash: await hashPin(card.pinSalt, SIGNING_PIN) })
  return { store: memoryVirtualCardStore(cards), close: async () => {} }
})

const inDatabase = async (test: TestDatabase) => {
  await loadDemoData(test.handle.db, new Date())
  const { pin_salt } = await test.handle.db
    .selectFrom('development.virtual_cards')
    .select('pin_salt')
    .where('id', '=', SIGNING_CARD)
    .executeTakeFirstOrThrow()
  await test.handle.db
    .updateTable('development.virtual_cards')
    .set({ pin_kind: 'my-number-signing', pin_hash: await hashPin(pin_salt, SIGNING_PIN) })
    .where('id', '=', SIGNING_CARD)
    .execute()
  return { store: kyselyVirtualCardStore(test.handle.db), close: () => test.drop() }
}
contract('virtual cards on PGlite', async () => inDatabase(await openTestDatabase('pglite')))
contract('virtual cards on PostgreSQL', async () => {
  const server = await postgresServer()
  return server ? inDatabase(await openTestDatabase('postgres', server)) : undefined
})
