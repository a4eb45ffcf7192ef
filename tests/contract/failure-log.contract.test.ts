/** The failure log behind the sign-in rate limits, in memory and in the database. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kyselyFailureLog } from '../../adapters/stores/failure-log.kysely.ts'
import { memoryFailureLog } from '../../adapters/stores/failure-log.memory.ts'
import type { FailureLog } from '../../core/ports.ts'
import { openTestDatabase, postgresServer, skipWithoutPostgres } from '../support/database.ts'

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 27, 10, minutes))

const contract = (
  name: string,
  make: () => Promise<{ log: FailureLog; close(): Promise<void> } | undefined>,
) =>
  describe(name, () => {
    let subject: { log: FailureLog; close(): Promise<void> } | undefined
    beforeAll(async () => {
      subject = await make()
    })
    afterAll(async () => subject?.close())

    it('counts a key’s failures since a time, and forgets the old ones on the next record', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const { log } = subject
      await log.record('address:192.0.2.1', at(0), at(-60))
      await log.record('address:192.0.2.1', at(10), at(-60))
      await log.record('certificate:ab', at(10), at(-60))
      expect(await log.countSince('address:192.0.2.1', at(-1))).toBe(2)
      expect(await log.countSince('address:192.0.2.1', at(5))).toBe(1)
      expect(await log.countSince('address:192.0.2.2', at(-1))).toBe(0)
      await log.record('address:192.0.2.1', at(20), at(5))
      expect(await log.countSince('address:192.0.2.1', at(-100))).toBe(2)
      expect(await log.countSince('certificate:ab', at(-100))).toBe(1)
    })
  })

contract('failure log in memory', async () => ({ log: memoryFailureLog(), close: async () => {} }))
contract('failure log on PGlite', async () => {
  const test = await openTestDatabase('pglite')
  return { log: kyselyFailureLog(test.handle.db), close: () => test.drop() }
})
contract('failure log on PostgreSQL', async () => {
  const server = await postgresServer()
  if (!server) return undefined
  const test = await openTestDatabase('postgres', server)
  return { log: kyselyFailureLog(test.handle.db), close: () => test.drop() }
})
