import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresDatabase, postgresServer, skipWithoutPostgres } from '../../tests/support/database.ts'
import { kyselyUnitOfWork } from '../stores/unit-of-work.kysely.ts'
import {
  DatabaseTimeoutError,
  isDatabaseUnavailable,
  migrateToLatest,
  openDatabase,
  PGLITE_SHARED_BUFFERS,
} from './database.ts'
import { databaseOutageLog } from './outage-log.ts'
import { UNFINISHED_MARK } from './pglite-folder.ts'
import { initdbTemplatePath } from './pglite-template.ts'

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

/** What `work` gives, and how many times a socket was written to meanwhile. */
const countingWrites = async <T>(work: () => Promise<T>): Promise<{ result: T; writes: number }> => {
  const write = Socket.prototype.write
  let writes = 0
  Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    writes++
    return write.apply(this, args)
  } as Socket['write']
  try {
    return { result: await work(), writes }
  } finally {
    Socket.prototype.write = write
  }
}

describe('statements on PostgreSQL', () => {
  const cleanUp: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const step of cleanUp.reverse()) await step().catch(() => {})
  })

  const open = async (
    ctx: Parameters<typeof skipWithoutPostgres>[0],
    poolSize: number,
    timeouts?: { connectSeconds: number; querySeconds: number },
  ) => {
    const server = await postgresServer()
    if (!server) return skipWithoutPostgres(ctx)
    const created = await createPostgresDatabase(server)
    cleanUp.push(created.drop)
    const handle = await openDatabase({ backend: 'postgres', url: created.url, poolSize, timeouts })
    cleanUp.push(() => handle.close())
    await sql`select 1`.execute(handle.db) // connected
    return handle
  }

  it('sends statements issued together outside a transaction in one write', async (ctx) => {
    const handle = await open(ctx, 1)
    if (!handle) return
    const numbered = (n: number) => sql<{ n: number }>`select ${n}::int as n`.execute(handle.db)
    await numbered(0) // prepared: a statement new to its connection is first described, alone
    const counted = await countingWrites(() => Promise.all([1, 2, 3].map(numbered)))
    expect(counted.result.map((a) => a.rows[0]?.n)).toEqual([1, 2, 3])
    // One connection: a statement that reserved it for itself would leave only after the one before.
    expect(counted.writes).toBe(1)
  })

  it('sends the statements a unit of work issues together in one write', async (ctx) => {
    const handle = await open(ctx, 2)
    if (!handle) return
    await migrateToLatest(handle.db)
    const unitOfWork = kyselyUnitOfWork(handle.db, () => ({
      enqueue: async () => {},
      forgetJobsOf: async () => {},
    }))
    const draw = () =>
      unitOfWork.run((tx) => Promise.all([1, 2, 3].map(() => tx.changes.nextReceiptSequence())))
    await draw() // prepared on this connection
    const counted = await countingWrites(draw)
    expect(new Set(counted.result).size).toBe(3)
    // BEGIN, the three together, COMMIT: Kysely's transaction alone sends one statement at a time.
    expect(counted.writes).toBe(3)
  })

  it('gives a connection back to the pool, outside any transaction, when its transaction was given up on before it began', async (ctx) => {
    const handle = await open(ctx, 1, { connectSeconds: 3, querySeconds: 0.5 })
    if (!handle) return
    // The only connection is held for 0.8 s, each statement within the timeout.
    const holding = handle.db.transaction().execute(async (tx) => {
      await sql`select pg_sleep(0.4)`.execute(tx)
      await sql`select pg_sleep(0.4)`.execute(tx)
    })
    await new Promise((r) => setTimeout(r, 50))
    await expect(handle.db.transaction().execute((tx) => sql`select 1`.execute(tx))).rejects.toBeInstanceOf(
      DatabaseTimeoutError,
    )
    await holding
    await new Promise((r) => setTimeout(r, 200))
    // The given-up transaction's connection came when the first was done: it went back to the pool
    // without beginning, and serves again.
    const answer = await handle.db.transaction().execute((tx) =>
      sql<{ open: number }>`
      select count(*)::int as open from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`.execute(tx),
    )
    expect(answer.rows[0]?.open).toBe(0)
  })

  it('runs the migrator’s lock and its release on one session, however many connections are open', async (ctx) => {
    const handle = await open(ctx, 4)
    if (!handle) return
    await migrateToLatest(handle.unbounded)
    // Four connections open, then the migrator again: its session lock must be released.
    await Promise.all([1, 2, 3, 4].map(() => sql`select pg_sleep(0.05)`.execute(handle.db)))
    await migrateToLatest(handle.unbounded)
    const { rows } = await sql<{ held: number }>`select count(*)::int as held from pg_locks
      where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`.execute(
      handle.db,
    )
    expect(rows[0]?.held).toBe(0)
  })

  it("keeps a transaction's statements on its own connection, and no other statement on it", async (ctx) => {
    const handle = await open(ctx, 3)
    if (!handle) return
    const pid = sql<{ pid: number }>`select pg_backend_pid() as pid`
    const outside: number[] = []
    const inside = await handle.db.transaction().execute(async (tx) => {
      const first = (await pid.execute(tx)).rows[0]?.pid
      const others = Array.from({ length: 12 }, () => pid.execute(handle.db))
      const second = (await pid.execute(tx)).rows[0]?.pid
      for (const other of await Promise.all(others)) outside.push(other.rows[0]?.pid ?? 0)
      return [first, second]
    })
    expect(inside[0]).toBe(inside[1])
    expect(outside).toHaveLength(12)
    expect(outside).not.toContain(inside[0])
  })
})

describe('PGlite', () => {
  // Its PostgreSQL touches every page of its shared buffers as it starts, inside the WebAssembly
  // memory, which never shrinks: PostgreSQL's 128 MB default was that much of the embedded
  // default's memory (docs/benchmarks.md).
  it('runs with small shared buffers, in memory and in a folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'portal-pglite-'))
    try {
      for (const target of [
        { backend: 'pglite-memory' as const },
        { backend: 'pglite' as const, dataDir: folder },
      ]) {
        const handle = await openDatabase(target)
        try {
          const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(handle.db)
          expect(rows[0]?.shared_buffers).toBe(PGLITE_SHARED_BUFFERS)
        } finally {
          await handle.close()
        }
      }
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  }, 60_000)
})

describe("PGlite's new clusters", () => {
  // npm install keeps initdb's cluster as a template (adapters/db/pglite-template.ts); a new
  // cluster made from it carries its system identifier, where initdb would have drawn a new one.
  it('come from the template npm install made, in memory and in a folder', async () => {
    const template = initdbTemplatePath()
    expect(template, 'PGlite is installed as files').toBeDefined()
    expect(existsSync(template ?? ''), `npm install's postinstall made ${template}`).toBe(true)
    const folder = mkdtempSync(join(tmpdir(), 'portal-pglite-'))
    const identifiers: string[] = []
    try {
      for (const target of [
        { backend: 'pglite-memory' as const },
        { backend: 'pglite-memory' as const },
        { backend: 'pglite' as const, dataDir: folder },
      ]) {
        const handle = await openDatabase(target)
        try {
          const { rows } = await sql<{
            id: string
          }>`select system_identifier::text as id from pg_control_system()`.execute(handle.db)
          identifiers.push(rows[0]?.id ?? '')
        } finally {
          await handle.close()
        }
      }
      // The folder's cluster is its own from then on: opened again, it is not replaced.
      const again = await openDatabase({ backend: 'pglite', dataDir: folder })
      await sql`create table kept (x int)`.execute(again.db)
      await again.close()
      const third = await openDatabase({ backend: 'pglite', dataDir: folder })
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from kept`.execute(third.db)
      await third.close()
      expect(rows[0]?.n).toBe(0)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
    expect(identifiers[0]).not.toBe('')
    expect(new Set(identifiers).size).toBe(1)
  }, 60_000)
})

describe('a PGlite folder', () => {
  /** A template cut short (a disk that lost its end): its first half only. */
  const cutShort = async () => {
    const template = readFileSync(initdbTemplatePath() ?? '')
    return new Blob([template.subarray(0, template.length / 2)])
  }
  const countKept = async (dataDir: string) => {
    const handle = await openDatabase({ backend: 'pglite', dataDir })
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from kept`.execute(handle.db)
      return rows[0]?.n
    } finally {
      await handle.close()
    }
  }

  it('is made anew when a start was killed while making its cluster, keeping the folder and what else is in it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'portal-pglite-'))
    const real = join(folder, 'volume')
    const dataDir = join(folder, 'pglite') // a link to the volume, as DATA_DIR may be
    try {
      // What a start killed midway leaves: the mark, and part of the cluster's files.
      mkdirSync(real)
      symlinkSync(real, dataDir)
      writeFileSync(join(real, 'PG_VERSION'), '17\n')
      mkdirSync(join(real, 'base'))
      writeFileSync(join(real, UNFINISHED_MARK), '')
      writeFileSync(join(real, 'notes.txt'), 'not the cluster')
      const said: string[] = []
      const handle = await openDatabase({ backend: 'pglite', dataDir }, { say: (m) => said.push(m) })
      await sql`create table kept (x int)`.execute(handle.db)
      await sql`insert into kept values (1)`.execute(handle.db)
      await handle.close()
      expect(said.join('\n')).toContain('made anew')
      expect(existsSync(join(real, UNFINISHED_MARK))).toBe(false)
      expect(lstatSync(dataDir).isSymbolicLink()).toBe(true)
      expect(readFileSync(join(real, 'notes.txt'), 'utf8')).toBe('not the cluster')
      // Made, it is kept: opened again, the row is there.
      expect(await countKept(dataDir)).toBe(1)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  }, 60_000)

  it('is made by initdb when the template does not load, and the mark is kept until it is made', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'portal-pglite-'))
    const dataDir = join(folder, 'pglite')
    const damaged = async () => {
      // While the cluster is made, the folder bears the mark that a killed start would leave.
      expect(existsSync(join(dataDir, UNFINISHED_MARK))).toBe(true)
      return cutShort()
    }
    try {
      const said: string[] = []
      const handle = await openDatabase(
        { backend: 'pglite', dataDir },
        { say: (m) => said.push(m), clusterTemplate: damaged },
      )
      await sql`create table kept (x int)`.execute(handle.db)
      await handle.close()
      expect(said.join('\n')).toContain('did not load')
      expect(existsSync(join(dataDir, UNFINISHED_MARK))).toBe(false)
      expect(await countKept(dataDir)).toBe(0)

      const inMemory = await openDatabase(
        { backend: 'pglite-memory' },
        { say: () => {}, clusterTemplate: cutShort },
      )
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(inMemory.db)
      await inMemory.close()
      expect(rows[0]?.one).toBe(1)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  }, 90_000)

  it('is made by initdb in a folder that holds another file, when the template does not load, and keeps the file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'portal-pglite-'))
    const dataDir = join(folder, 'pglite')
    mkdirSync(dataDir)
    writeFileSync(join(dataDir, 'README'), 'the operator’s note')
    try {
      const said: string[] = []
      const handle = await openDatabase(
        { backend: 'pglite', dataDir },
        {
          say: (m) => said.push(m),
          clusterTemplate: cutShort,
        },
      )
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(handle.db)
      await handle.close()
      expect(rows[0]?.one).toBe(1)
      expect(said.join('\n')).toContain('did not load')
      expect(readFileSync(join(dataDir, 'README'), 'utf8')).toBe('the operator’s note')
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  }, 90_000)
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
