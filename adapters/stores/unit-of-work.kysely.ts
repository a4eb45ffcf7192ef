import {
  type CompiledQuery,
  type DatabaseConnection,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Transaction,
} from 'kysely'
import type { Clock, JobQueue, Transactional, UnitOfWork } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { kyselyAccountStore } from './account-store.kysely.ts'
import { kyselyAuditLog } from './audit-log.kysely.ts'
import { kyselyChangeStore } from './change-store.kysely.ts'
import { zodDraftFormats } from './draft-formats.zod.ts'
import { kyselyDraftStore } from './draft-store.kysely.ts'
import type { Gathering } from './gathered-calls.ts'
import { kyselyMandateStore } from './mandate-store.kysely.ts'
import { kyselyNoticeStore } from './notice-store.kysely.ts'
import { kyselyReminderStore } from './reminder-store.kysely.ts'
import { kyselySentMailLog } from './sent-mail-log.kysely.ts'
import { kyselySessionStore } from './session-store.kysely.ts'
import { rollsBack } from './unit-of-work.ts'

/**
 * Every store over one connection or transaction. Over the pool (`gathered`), the reads and
 * records a batch of deliveries makes at once share statements (gathered-calls.ts); in a
 * transaction each statement goes by itself.
 */
export const kyselyStores = (db: Kysely<Database>, gathering: Gathering = 'one by one') => ({
  accounts: kyselyAccountStore(db, gathering),
  sessions: kyselySessionStore(db),
  mandates: kyselyMandateStore(db, gathering),
  notices: kyselyNoticeStore(db),
  reminders: kyselyReminderStore(db),
  changes: kyselyChangeStore(db, gathering),
  drafts: kyselyDraftStore(db),
  audit: kyselyAuditLog(db),
})

/**
 * The stores and the unit of work over one database: what the use cases need of it. Outside
 * transactions the stores gather what is asked at once (`gathering`, see kyselyStores) unless
 * told otherwise.
 */
export const kyselyPorts = (
  db: Kysely<Database>,
  jobQueueIn: (trx: Kysely<Database>) => JobQueue,
  clock: Clock,
  gathering: Gathering = 'gathered',
) => ({
  ...kyselyStores(db, gathering),
  sentMails: kyselySentMailLog(db),
  unitOfWork: kyselyUnitOfWork(db, jobQueueIn),
  draftFormats: zodDraftFormats,
  clock,
})

class RolledBack {
  readonly result: unknown
  constructor(result: unknown) {
    this.result = result
  }
}

/**
 * The transaction's connection as a Kysely of its own, so that statements the work issues together
 * leave together. Kysely's transaction sends one statement at a time and waits for its answer
 * before the next; on PostgreSQL, postgres.js writes the statements waiting for one connection in
 * one go, and PostgreSQL runs them in the order they arrive, in the same transaction. Kysely still
 * begins, commits and rolls back, on this same connection (the one its driver handed out: logged
 * and bounded by the query timeout as any other).
 *
 * `settle` ends the view before the commit or the rollback: every statement the work issued has
 * been answered by then, and a statement issued after is refused, so that none can run after the
 * transaction's end, outside it.
 */
const sendingTogether = async (trx: Transaction<Database>) => {
  const connection = await trx.getExecutor().provideConnection(async (c) => c)
  let ended = false
  const inFlight = new Set<Promise<unknown>>()
  const refuse = async (): Promise<never> => {
    throw new Error('a statement was issued through a unit of work that has ended')
  }
  const guarded: DatabaseConnection = {
    executeQuery: <R>(query: CompiledQuery) => {
      if (ended) return refuse()
      const answer = connection.executeQuery<R>(query)
      inFlight.add(answer)
      const settled = () => inFlight.delete(answer)
      answer.then(settled, settled)
      return answer
    },
    streamQuery: () => {
      throw new Error('no streaming in a unit of work')
    },
  }
  const view = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createQueryCompiler: () => new PostgresQueryCompiler(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createDriver: () => ({
        init: async () => {},
        destroy: async () => {},
        acquireConnection: async () => (ended ? refuse() : guarded),
        releaseConnection: async () => {},
        beginTransaction: refuse,
        commitTransaction: refuse,
        rollbackTransaction: refuse,
      }),
    },
  })
  const settle = async () => {
    ended = true
    await Promise.allSettled([...inFlight])
  }
  return { view, settle }
}

/**
 * One database transaction per run; the stores and the job queue inside it share it, so that a
 * change and its jobs commit together or not at all.
 */
export const kyselyUnitOfWork = (
  db: Kysely<Database>,
  jobQueueIn: (trx: Kysely<Database>) => JobQueue,
): UnitOfWork => ({
  run: async <T>(work: (tx: Transactional) => Promise<T>): Promise<T> => {
    try {
      return await db.transaction().execute(async (trx) => {
        const { view, settle } = await sendingTogether(trx)
        try {
          const result = await work({ ...kyselyStores(view), jobs: jobQueueIn(view) })
          if (rollsBack(result)) throw new RolledBack(result)
          return result
        } finally {
          await settle()
        }
      })
    } catch (e) {
      if (e instanceof RolledBack) return e.result as T
      throw e
    }
  },
})
