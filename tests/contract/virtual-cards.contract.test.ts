/**
 * The virtual card store, in memory and in the database: a card counts every wrong PIN, even
 * when tries arrive in parallel, and locks when none are left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  memoryVirtualCardStore,
  type VirtualCardStore,
  virtualCardReader,
} from '../../adapters/card-reader/virtual-card-reader.ts'
import { kyselyVirtualCardStore } from '../../adapters/card-reader/virtual-card-store.kysely.ts'
import { loadDemoData } from '../../adapters/demo/demo-data.ts'
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

    it('judges no more PINs than the card allows: the right one, sent after 29 wrong at once, is refused', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reader = virtualCardReader(subject.store)
      // A fresh card of the same holder: 調達 太郎's was locked by the test before.
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          reader.read({ cardId: 'saburo-ic-new', pin: i === 29 ? '5678' : '0000', challenge: 'c' }),
        ),
      )
      const judged = results.filter((r) => r.ok || r.error.kind === 'wrong-pin')
      expect(judged.length).toBeLessThanOrEqual(5)
      expect(results.at(-1)).toEqual({ ok: false, error: { kind: 'locked' } })
      expect(await reader.triesLeft('saburo-ic-new')).toBe(0)
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
  })

contract('virtual cards in memory', async () => ({
  store: memoryVirtualCardStore(structuredClone((await demoData()).cards)),
  close: async () => {},
}))

const inDatabase = async (test: TestDatabase) => {
  await loadDemoData(test.handle.db, new Date())
  return { store: kyselyVirtualCardStore(test.handle.db), close: () => test.drop() }
}
contract('virtual cards on PGlite', async () => inDatabase(await openTestDatabase('pglite')))
contract('virtual cards on PostgreSQL', async () => {
  const server = await postgresServer()
  return server ? inDatabase(await openTestDatabase('postgres', server)) : undefined
})
