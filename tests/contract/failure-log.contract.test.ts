/** The failure log behind the card-read limits (core/use-cases/shared/card-read-limits.ts), in memory and in the database. */
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

    it('counts an attempt before it is judged, up to a limit, and takes back a released one', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const { log } = subject
      const key = 'address:192.0.2.1'
      const reserved = expect.any(String)
      const first = await log.reserve(key, at(0), at(-60), 2)
      expect(first).toEqual(reserved)
      expect(await log.reserve(key, at(10), at(-60), 2)).toEqual(reserved)
      // At the limit: refused, and nothing more is counted. Other keys count on their own.
      expect(await log.reserve(key, at(11), at(-60), 2)).toBeUndefined()
      expect(await log.reserve('certificate:ab', at(11), at(-60), 1)).toEqual(reserved)
      expect(await log.reserve('address:192.0.2.2', at(11), at(-60), 1)).toEqual(reserved)
      // A released attempt (it succeeded) no longer counts: one place again, and only one.
      await log.release(first ?? '')
      expect(await log.reserve(key, at(12), at(-60), 2)).toEqual(reserved)
      expect(await log.reserve(key, at(13), at(-60), 2)).toBeUndefined()
      // Failures before the window are forgotten and leave room: at(12) is the one left after at(11).
      expect(await log.reserve(key, at(30), at(11), 2)).toEqual(reserved)
      expect(await log.reserve(key, at(31), at(11), 2)).toBeUndefined()
    })

    it('lets no more attempts through than the limit when they arrive together', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const reserved = await Promise.all(
        Array.from({ length: 30 }, () => subject?.log.reserve('address:198.51.100.9', at(0), at(-60), 10)),
      )
      expect(reserved.filter(Boolean)).toHaveLength(10)
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
