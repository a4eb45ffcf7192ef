/**
 * Databases for tests. Each test file makes its own and drops it afterwards; nothing depends on
 * what an earlier run left behind.
 * - `testDatabase()`: the backend under test: a fresh database on the PostgreSQL server of
 *   DATABASE_URL when it is set, else PGlite in memory.
 * - `postgresServer()`: the real PostgreSQL for contract tests, from DATABASE_URL or
 *   TEST_POSTGRES_URL (default: the local server). Without one, the PostgreSQL half of a
 *   contract suite is skipped with a printed reason; under CI=true it fails instead.
 */
import postgres from 'postgres'
import {
  type DatabaseHandle,
  type DatabaseTarget,
  migrateToLatest,
  openDatabase,
} from '../../adapters/db/database.ts'

export const inCi = process.env.CI === 'true'

/** The server to make test databases on. An empty setting counts as unset (CI clears DATABASE_URL so). */
const serverUrl = () =>
  process.env.DATABASE_URL || process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres'

const withDatabaseName = (url: string, name: string) => {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** Whether the PostgreSQL server answers; under CI a missing server is an error, never a skip. */
export const postgresServer = async (): Promise<string | undefined> => {
  const url = serverUrl()
  const admin = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await admin`select 1`
    return url
  } catch (e) {
    if (inCi) throw new Error(`CI=true and PostgreSQL at ${url} does not answer: ${(e as Error).message}`)
    console.warn(
      `PostgreSQL at ${url} does not answer (${(e as Error).message}): its contract tests are skipped.`,
    )
    return undefined
  } finally {
    await admin.end({ timeout: 1 })
  }
}

/** A new, empty database on the server, and a function that drops it. */
export const createPostgresDatabase = async (
  server: string,
): Promise<{ url: string; drop(): Promise<void> }> => {
  const name = `test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(server, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  return {
    url: withDatabaseName(server, name),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 1 })
    },
  }
}

export type TestDatabase = { handle: DatabaseHandle; target: DatabaseTarget; drop(): Promise<void> }

/** Opens a migrated database on the given backend. */
export const openTestDatabase = async (
  backend: 'pglite' | 'postgres',
  server?: string,
): Promise<TestDatabase> => {
  if (backend === 'pglite') {
    const target: DatabaseTarget = { backend: 'pglite-memory' }
    const handle = await openDatabase(target)
    await migrateToLatest(handle.db)
    return { handle, target, drop: () => handle.close() }
  }
  const created = await createPostgresDatabase(server ?? serverUrl())
  const target: DatabaseTarget = { backend: 'postgres', url: created.url, poolSize: 5 }
  const handle = await openDatabase(target)
  await migrateToLatest(handle.db)
  return {
    handle,
    target,
    drop: async () => {
      await handle.close()
      await created.drop()
    },
  }
}

/** The backend this run of `npm test` is about: PostgreSQL when DATABASE_URL is set, else PGlite. */
export const backendUnderTest = (): 'pglite' | 'postgres' =>
  process.env.DATABASE_URL ? 'postgres' : 'pglite'

/** A database target for the backend under test, and its clean-up (for a whole portal). */
export const portalDatabase = async (): Promise<{ target: DatabaseTarget; drop(): Promise<void> }> => {
  if (backendUnderTest() === 'pglite') return { target: { backend: 'pglite-memory' }, drop: async () => {} }
  const created = await createPostgresDatabase(serverUrl())
  return { target: { backend: 'postgres', url: created.url, poolSize: 5 }, drop: created.drop }
}

/** Skips a test whose PostgreSQL is missing, saying so; under CI=true that is a failure instead. */
export const skipWithoutPostgres = (ctx: { skip: (note?: string) => void }): void => {
  if (inCi) throw new Error('CI=true and PostgreSQL is not available: this test must run, not be skipped')
  ctx.skip('PostgreSQL is not available here (see the warning above)')
}
