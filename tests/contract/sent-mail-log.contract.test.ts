/** The log of mails sent, behind sending each mail once, in memory and in the database. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kyselySentMailLog } from '../../adapters/stores/sent-mail-log.kysely.ts'
import { memorySentMailLog } from '../../adapters/stores/sent-mail-log.memory.ts'
import type { SentMailLog } from '../../core/ports.ts'
import { openTestDatabase, postgresServer, skipWithoutPostgres } from '../support/database.ts'

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 10))

const contract = (
  name: string,
  make: () => Promise<{ log: SentMailLog; close(): Promise<void> } | undefined>,
) =>
  describe(name, () => {
    let subject: { log: SentMailLog; close(): Promise<void> } | undefined
    beforeAll(async () => {
      subject = await make()
    })
    afterAll(async () => subject?.close())

    it('knows a mail recorded, takes the same record twice, and forgets the old ones on the next record', async (ctx) => {
      if (!subject) return skipWithoutPostgres(ctx)
      const { log } = subject
      expect(await log.wasSent('user-updated:c1:a@example.jp')).toBe(false)
      await log.record('user-updated:c1:a@example.jp', day(1), day(0))
      await log.record('user-updated:c1:a@example.jp', day(1), day(0))
      await log.record('user-updated:c2:a@example.jp', day(20), day(0))
      expect(await log.wasSent('user-updated:c1:a@example.jp')).toBe(true)
      expect(await log.wasSent('user-updated:c1:b@example.jp')).toBe(false)
      await log.record('user-updated:c3:a@example.jp', day(25), day(10))
      expect(await log.wasSent('user-updated:c1:a@example.jp')).toBe(false)
      expect(await log.wasSent('user-updated:c2:a@example.jp')).toBe(true)
      expect(await log.wasSent('user-updated:c3:a@example.jp')).toBe(true)
    })
  })

contract('sent-mail log in memory', async () => ({ log: memorySentMailLog(), close: async () => {} }))
contract('sent-mail log on PGlite', async () => {
  const test = await openTestDatabase('pglite')
  return { log: kyselySentMailLog(test.handle.db), close: () => test.drop() }
})
contract('sent-mail log on PostgreSQL', async () => {
  const server = await postgresServer()
  if (!server) return undefined
  const test = await openTestDatabase('postgres', server)
  return { log: kyselySentMailLog(test.handle.db), close: () => test.drop() }
})
