import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresDatabase, postgresServer, skipWithoutPostgres } from '../../tests/support/database.ts'
import { DatabaseTimeoutError, isDatabaseUnavailable, openDatabase } from './database.ts'
import { databaseOutageLog } from './outage-log.ts'

describe('isDatabaseUnavailable', () => {
  it('knows a database that is away from a fault of the request', () => {
    for (const code of [
      'ECONNREFUSED',
      'CONNECTION_CLOSED',
      '57P01',
      '57P03',
      '08006',
      '53300',
      'QUERY_TIMEOUT',
    ])
      expect(isDatabaseUnavailable(Object.assign(new Error(code), { code })), code).toBe(true)
    // node-postgres (pg-boss) says some without a code.
    for (const message of ['Connection terminated unexpectedly', 'timeout exceeded when trying to connect'])
      expect(isDatabaseUnavailable(new Error(message)), message).toBe(true)
    // Wrapped, as a library may hand it on.
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
    expect(isDatabaseUnavailable(new Error('query failed', { cause: refused }))).toBe(true)
    for (const code of ['23505', '40001', '22P02', undefined])
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), String(code)).toBe(false)
    expect(isDatabaseUnavailable(undefined)).toBe(false)
  })
})

describe('the query timeout', () => {
  const cleanUp: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const step of cleanUp.reverse()) await step().catch(() => {})
  })

  it('gives a statement up after the query timeout as unreachable, and its connection serves again after', async (ctx) => {
    const server = await postgresServer()
    if (!server) return skipWithoutPostgres(ctx)
    const created = await createPostgresDatabase(server)
    cleanUp.push(created.drop)
    const handle = await openDatabase({
      backend: 'postgres',
      url: created.url,
      poolSize: 2,
      timeouts: { connectSeconds: 3, querySeconds: 0.5 },
    })
    cleanUp.push(() => handle.close())
    const started = Date.now()
    const slow = sql`select pg_sleep(2)`.execute(handle.db)
    await expect(slow).rejects.toBeInstanceOf(DatabaseTimeoutError)
    expect(Date.now() - started).toBeLessThan(1500)
    await expect(slow.catch((e) => isDatabaseUnavailable(e))).resolves.toBe(true)
    // In a transaction too, and the transaction is given up.
    await expect(
      handle.db.transaction().execute((tx) => sql`select pg_sleep(2)`.execute(tx)),
    ).rejects.toBeInstanceOf(DatabaseTimeoutError)
    // Once the statements given up on have ended, their connections serve again.
    await new Promise((r) => setTimeout(r, 2000))
    expect((await sql<{ n: number }>`select 1 as n`.execute(handle.db)).rows[0]?.n).toBe(1)
    // Migrations and operator commands are not bounded.
    await sql`select pg_sleep(0.8)`.execute(handle.unbounded)
  })
})

describe('the log of a database outage', () => {
  it('says once that the database went away, counts the errors meanwhile, and once that it is back', async () => {
    const lines: string[] = []
    let back = false
    const outage = databaseOutageLog({
      log: (m) => lines.push(m),
      isUnavailable: isDatabaseUnavailable,
      probe: async () => {
        if (!back) throw new Error('still away')
      },
      probeIntervalMs: 20,
    })
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    for (let i = 0; i < 500; i++) outage.error('pg-boss', refused)
    outage.error('web', new Error('a bug'))
    await new Promise((r) => setTimeout(r, 60))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('the database is unreachable (pg-boss: connect ECONNREFUSED)')
    expect(lines[1]).toContain('web: Error: a bug')
    back = true
    await new Promise((r) => setTimeout(r, 60))
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatch(
      /^the database answers again after \d+ s; 500 errors like the one above meanwhile$/,
    )
    // A second outage is told again.
    back = false
    outage.error('pg-boss', refused)
    expect(lines).toHaveLength(4)
    outage.stop()
  })
})
