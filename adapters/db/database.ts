/**
 * The database, on one of two backends behind one setting: real PostgreSQL through postgres.js
 * when a URL is given, else PGlite in-process (in a folder, or in memory for tests). Kysely and
 * pg-boss both run on whichever it is.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  type LogEvent,
  PGliteDialect,
  sql,
  type TransactionSettings,
} from 'kysely'
import { Migrator } from 'kysely/migration'
import { PostgresJSDialect } from 'kysely-postgres-js'
import { fromPglite } from 'pg-boss'
import postgres from 'postgres'
import { developmentMigrations } from '../../migrations/development/index.ts'
import { migrations } from '../../migrations/index.ts'
import { openPgliteFolder, openPgliteInMemory } from './pglite-folder.ts'
import { initdbTemplate } from './pglite-template.ts'
import { assertPostgresJsMended } from './postgres-js-mend.ts'
import type { Database } from './schema.ts'

export type DatabaseTarget =
  | { backend: 'postgres'; url: string; poolSize?: number; timeouts?: DatabaseTimeouts }
  | { backend: 'pglite'; dataDir: string }
  | { backend: 'pglite-memory' }

/**
 * How long the portal waits for PostgreSQL before it counts it unreachable: a page then gets its
 * 503 within seconds instead of waiting on a dead connection (DATABASE_CONNECT_TIMEOUT_SECONDS,
 * DATABASE_QUERY_TIMEOUT_SECONDS).
 */
export type DatabaseTimeouts = { connectSeconds: number; querySeconds: number }
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectSeconds: 3, querySeconds: 10 }

export type DatabaseHandle = {
  /** The database for the portal's work: each query bounded by the query timeout. */
  db: Kysely<Database>
  /** The same database without the query timeout, for migrations and operator commands. */
  unbounded: Kysely<Database>
  target: DatabaseTarget
  /** How pg-boss reaches the same database. */
  boss: { connectionString: string } | { db: ReturnType<typeof fromPglite> }
  close(): Promise<void>
}

export class DataFolderInUseError extends Error {}

/** `dialect` with its driver wrapped by `wrap`: the adapter, introspector and compiler its own. */
const withDriver = (dialect: Dialect, wrap: (driver: Driver) => Driver): Dialect => ({
  createAdapter: () => dialect.createAdapter(),
  createIntrospector: (db) => dialect.createIntrospector(db),
  createQueryCompiler: () => dialect.createQueryCompiler(),
  createDriver: () => wrap(dialect.createDriver()),
})

/**
 * PGlite has one connection, and Kysely's PGlite driver hands it to every caller at once: a query
 * issued while another caller's transaction is open would run inside it. This driver lets one
 * caller at a time hold the connection, as Kysely's SQLite driver does.
 */
const oneCallerAtATime = (dialect: PGliteDialect): Dialect =>
  withDriver(dialect, (driver): Driver => {
    let queue: Promise<void> = Promise.resolve()
    let release: (() => void) | undefined
    return {
      init: (options) => driver.init(options),
      destroy: () => driver.destroy(),
      acquireConnection: async (options) => {
        const previous = queue
        let done!: () => void
        queue = new Promise((r) => {
          done = r
        })
        await previous
        release = done
        return driver.acquireConnection(options)
      },
      releaseConnection: async (connection: DatabaseConnection, options) => {
        await driver.releaseConnection(connection, options)
        const done = release
        release = undefined
        done?.()
      },
      beginTransaction: (c, settings: TransactionSettings) => driver.beginTransaction(c, settings),
      commitTransaction: (c) => driver.commitTransaction(c),
      rollbackTransaction: (c) => driver.rollbackTransaction(c),
      savepoint: async (c, n, q) => driver.savepoint?.(c, n, q),
      rollbackToSavepoint: async (c, n, q) => driver.rollbackToSavepoint?.(c, n, q),
      releaseSavepoint: async (c, n, q) => driver.releaseSavepoint?.(c, n, q),
    }
  })

/** A query that took longer than the query timeout: the database counts as unreachable. */
export class DatabaseTimeoutError extends Error {
  readonly code = 'QUERY_TIMEOUT'
}

/** `work`, or a DatabaseTimeoutError after `ms`; `late` gets what `work` gives after that. */
const within = <T>(ms: number, work: Promise<T>, late?: (value: T) => unknown): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  let timedOut = false
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true
      reject(new DatabaseTimeoutError(`no answer from the database within ${ms / 1000} s`))
    }, ms)
  })
  void work.then((value) => timedOut && late?.(value)).catch(() => {})
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Bounds the wait for a connection and for each statement by `ms`. A statement given up on is
 * left to the driver: its connection goes back to the pool, where the next statement on it waits
 * behind it (and is given up on too) until the connection is dropped or the statement ends.
 */
const withQueryTimeout = (dialect: Dialect, ms: number): Dialect =>
  withDriver(dialect, (driver): Driver => {
    const originals = new WeakMap<DatabaseConnection, DatabaseConnection>()
    const original = (c: DatabaseConnection) => originals.get(c) ?? c
    return {
      init: (options) => driver.init(options),
      destroy: () => driver.destroy(),
      acquireConnection: async (options) => {
        const connection = await within(ms, driver.acquireConnection(options), (late) =>
          driver.releaseConnection(late, options),
        )
        const bounded: DatabaseConnection = {
          executeQuery: (query) => within(ms, connection.executeQuery(query)),
          streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
        }
        originals.set(bounded, connection)
        return bounded
      },
      releaseConnection: (c, options) => driver.releaseConnection(original(c), options),
      beginTransaction: (c, settings: TransactionSettings) =>
        within(ms, driver.beginTransaction(original(c), settings)),
      // Not the commit: one given up on may still have committed, and the user would be told to
      // try again what is done.
      commitTransaction: (c) => driver.commitTransaction(original(c)),
      rollbackTransaction: (c) => within(ms, driver.rollbackTransaction(original(c))),
      savepoint: async (c, n, q) => within(ms, Promise.resolve(driver.savepoint?.(original(c), n, q))),
      rollbackToSavepoint: async (c, n, q) =>
        within(ms, Promise.resolve(driver.rollbackToSavepoint?.(original(c), n, q))),
      releaseSavepoint: async (c, n, q) =>
        within(ms, Promise.resolve(driver.releaseSavepoint?.(original(c), n, q))),
    }
  })

/** As Kysely's dialect sends statements: prepared, never the simple protocol (one statement only). */
const EXTENDED_PROTOCOL = { prepare: true, simple: false }

/**
 * A statement outside a transaction goes straight to postgres.js's pool instead of first reserving
 * a connection of its own, as Kysely's PostgresJSDialect does for each. postgres.js then pipelines:
 * the statements waiting for one connection leave in one write, and a page's statements sent
 * together cost one system call and one wake-up of PostgreSQL instead of one each (the largest
 * cost of a page in the CPU profile, docs/benchmarks.md). Such a statement is one statement in
 * its own implicit transaction whichever connection runs it. A transaction or a stream still
 * reserves its connection, from its BEGIN to its end.
 *
 * So no session state may be kept between two statements outside a transaction: the portal's
 * advisory locks are `_xact_` locks, and Kysely's migrator, whose lock is a session's, runs on
 * `unbounded`, which reserves. The price: when every connection is busy, a statement waits behind
 * the one before it on a connection, not for the first free connection.
 *
 * A transaction given up on (its BEGIN, or its end, past the query timeout) still gets its
 * connection back: once its reservation arrives, it is rolled back if it began, then released.
 */
const pipelinedOutsideTransactions = (dialect: Dialect, client: postgres.Sql): Dialect =>
  withDriver(dialect, (driver): Driver => {
    type Hold = {
      reservation: Promise<DatabaseConnection>
      /** The reserved connection, once it has come. */
      connection?: DatabaseConnection
      /** BEGIN sent, and no COMMIT or ROLLBACK that went through since. */
      open: boolean
      released: boolean
    }
    const holds = new WeakMap<DatabaseConnection, Hold>()
    const holdFor = (c: DatabaseConnection): Hold => {
      const existing = holds.get(c)
      if (existing) return existing
      const hold: Hold = { reservation: driver.acquireConnection(), open: false, released: false }
      hold.reservation.then(
        (connection) => {
          hold.connection = connection
        },
        () => {},
      )
      holds.set(c, hold)
      return hold
    }
    const heldBy = (c: DatabaseConnection): DatabaseConnection => {
      const held = holds.get(c)?.connection
      if (!held) throw new Error('a transaction ended on a connection that never began one')
      return held
    }
    const ending = async (c: DatabaseConnection, end: (held: DatabaseConnection) => Promise<void>) => {
      const hold = holds.get(c)
      await end(heldBy(c))
      if (hold) hold.open = false
    }
    return {
      init: () => driver.init(),
      destroy: () => driver.destroy(),
      acquireConnection: async () => {
        const connection: DatabaseConnection = {
          executeQuery: async <R>(query: CompiledQuery) => {
            const hold = holds.get(connection)
            if (hold) return (await hold.reservation).executeQuery<R>(query)
            const result = await client.unsafe(
              query.sql,
              [...query.parameters] as postgres.ParameterOrJSON<never>[],
              EXTENDED_PROTOCOL,
            )
            const changed = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(result.command)
            return {
              rows: Array.from(result.values()) as R[],
              numAffectedRows: changed ? BigInt(result.count) : undefined,
            }
          },
          streamQuery: async function* <R>(query: CompiledQuery, chunkSize: number) {
            yield* (await holdFor(connection).reservation).streamQuery<R>(query, chunkSize)
          },
        }
        return connection
      },
      releaseConnection: async (c) => {
        const hold = holds.get(c)
        holds.delete(c)
        if (!hold) return
        hold.released = true
        if (hold.connection && !hold.open) return driver.releaseConnection(hold.connection)
        // Given up on while it waited for its connection or for its BEGIN or end: back to the
        // pool once it has come, outside any transaction.
        void hold.reservation
          .then(async (connection) => {
            if (hold.open) await driver.rollbackTransaction(connection).catch(() => {})
            await driver.releaseConnection(connection)
          })
          .catch(() => {})
      },
      beginTransaction: async (c, settings: TransactionSettings) => {
        const hold = holdFor(c)
        const connection = await hold.reservation
        if (hold.released) throw new Error('the transaction was given up on before it began')
        hold.open = true
        await driver.beginTransaction(connection, settings)
      },
      commitTransaction: (c) => ending(c, (held) => driver.commitTransaction(held)),
      rollbackTransaction: (c) => ending(c, (held) => driver.rollbackTransaction(held)),
      savepoint: async (c, n, q) => driver.savepoint?.(heldBy(c), n, q),
      rollbackToSavepoint: async (c, n, q) => driver.rollbackToSavepoint?.(heldBy(c), n, q),
      releaseSavepoint: async (c, n, q) => driver.releaseSavepoint?.(heldBy(c), n, q),
    }
  })

/** Refuses a second process on the same PGlite folder: PGlite itself does not lock it. */
const lockDataFolder = (dataDir: string): (() => void) => {
  const lockFile = `${resolve(dataDir)}.lock`
  mkdirSync(dirname(lockFile), { recursive: true })
  const take = (): number => openSync(lockFile, 'wx')
  let fd: number
  try {
    fd = take()
  } catch {
    const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10)
    let alive = false
    try {
      process.kill(holder, 0) // throws when no such process exists
      alive = true
    } catch {}
    if (alive) {
      throw new DataFolderInUseError(
        `The data folder ${dataDir} is in use by another process (pid ${holder}). ` +
          'Stop that process first, or set DATA_DIR to another folder.',
      )
    }
    rmSync(lockFile, { force: true }) // left by a process that has ended
    fd = take()
  }
  writeSync(fd, String(process.pid))
  closeSync(fd)
  return () => rmSync(lockFile, { force: true })
}

/**
 * PGlite's PostgreSQL allocates its shared buffers inside its WebAssembly memory and touches every
 * page of them as it starts: PostgreSQL's 128 MB default is that much resident memory at once. The
 * embedded default's data is a few MB, and its files stay in the OS's cache besides: 16 MB
 * (measured: 270 → 156 MB for PGlite alone, no slower; docs/benchmarks.md).
 */
export const PGLITE_SHARED_BUFFERS = '16MB'
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`]

export const openDatabase = async (
  target: DatabaseTarget,
  /** Each statement once it has run (Kysely's log event): a trace span for each (adapters/trace). */
  options: {
    onStatement?: (event: LogEvent) => void
    /** What the opening has to say (a half-made PGlite folder made anew): the portal's log. */
    say?: (message: string) => void
    /** A new PGlite cluster's files (a test's damaged template); initdb's template by default. */
    clusterTemplate?: () => Promise<Blob | undefined>
  } = {},
): Promise<DatabaseHandle> => {
  const log = options.onStatement
  if (target.backend === 'postgres') {
    assertPostgresJsMended()
    const timeouts = target.timeouts ?? DEFAULT_DATABASE_TIMEOUTS
    const client = postgres(target.url, {
      max: target.poolSize ?? 10,
      onnotice: () => {},
      connect_timeout: timeouts.connectSeconds,
      // postgres.js waits up to 20 s between reconnections once some have failed, and a query
      // waits with it; a second at most keeps a page's 503 quick while the database is away.
      backoff: (retries) => Math.min(0.05 * 2 ** retries, 1),
    })
    const reserving = new PostgresJSDialect({ postgres: client })
    const dialect = pipelinedOutsideTransactions(reserving, client)
    const db = new Kysely<Database>({ dialect: withQueryTimeout(dialect, timeouts.querySeconds * 1000), log })
    // Sharing the client's pool; destroying `db` ends it. A connection reserved for each statement
    // or `db.connection()`: Kysely's migrator holds a session's lock across statements.
    const unbounded = new Kysely<Database>({ dialect: reserving, log })
    return { db, unbounded, target, boss: { connectionString: target.url }, close: () => db.destroy() }
  }
  let unlock = () => {}
  let pglite: PGlite
  // New clusters come from initdb's template (adapters/db/pglite-template.ts) where it loads.
  const making = {
    startParams: PGLITE_START_PARAMS,
    template: options.clusterTemplate ?? initdbTemplate,
    say: options.say ?? ((message: string) => console.warn(message)),
  }
  if (target.backend === 'pglite') {
    unlock = lockDataFolder(target.dataDir)
    pglite = await openPgliteFolder(target.dataDir, making)
  } else {
    pglite = await openPgliteInMemory(making)
  }
  const db = new Kysely<Database>({ dialect: oneCallerAtATime(new PGliteDialect({ pglite })), log })
  return {
    db,
    unbounded: db,
    target,
    boss: { db: fromPglite(pglite) },
    close: async () => {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
      unlock()
    },
  }
}

const runToLatest = async (migrator: Migrator): Promise<void> => {
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) throw new Error(`Migration ${failed?.migrationName ?? ''} failed`, { cause: error })
}

const portalMigrator = (db: Kysely<Database>) =>
  new Migrator({ db, provider: { getMigrations: async () => migrations } })

export const migrateToLatest = (db: Kysely<Database>): Promise<void> => runToLatest(portalMigrator(db))

/** Whether the database has run this code's last migration: one cheap query, for readiness. */
export const migrationsCurrent = async (db: Kysely<Database>): Promise<boolean> => {
  const last = Object.keys(migrations).sort().at(-1) ?? ''
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from kysely_migration
    where name = ${last}`.execute(db)
  return rows[0]?.n === 1
}

/** The names of this code's migrations the database has not run yet (`npm run ops -- migrate`). */
export const pendingMigrations = async (db: Kysely<Database>): Promise<string[]> =>
  (await portalMigrator(db).getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name)

/** The development parts' tables (the virtual cards), in their own schema with their own migrations. */
export const migrateDevelopmentParts = async (db: Kysely<Database>): Promise<void> => {
  await sql`create schema if not exists development`.execute(db)
  await runToLatest(
    new Migrator({
      db,
      provider: { getMigrations: async () => developmentMigrations },
      migrationTableSchema: 'development',
    }),
  )
}

/**
 * Production keeps no development part: the schema `development` (the virtual cards and their
 * test keys) is dropped if a migration or an earlier development start left it. True if it was there.
 */
export const removeDevelopmentParts = async (db: Kysely<Database>): Promise<boolean> => {
  const found = await sql<{ n: number }>`select count(*)::int as n from information_schema.schemata
    where schema_name = 'development'`.execute(db)
  if (!found.rows[0]?.n) return false
  await sql`drop schema development cascade`.execute(db)
  return true
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // withQueryTimeout
  'QUERY_TIMEOUT',
  // PostgreSQL: shutting down, starting up, too many connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect)/

/**
 * Whether an error means the database cannot be reached for now (restarting, down, full) rather
 * than a fault of the request: the web answers 503 and asks to try again.
 */
export const isDatabaseUnavailable = (error: unknown): boolean => {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true
    // node-postgres (pg-boss's driver) says these without a code.
    const message = (e as { message?: unknown }).message
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}
