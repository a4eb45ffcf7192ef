import type { Kysely } from 'kysely'
import type { Clock, JobQueue, Transactional, UnitOfWork } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { kyselyAccountStore } from './account-store.kysely.ts'
import { kyselyAuditLog } from './audit-log.kysely.ts'
import { kyselyChangeStore } from './change-store.kysely.ts'
import { zodDraftFormats } from './draft-formats.zod.ts'
import { kyselyDraftStore } from './draft-store.kysely.ts'
import { kyselyMandateStore } from './mandate-store.kysely.ts'
import { kyselyNoticeStore } from './notice-store.kysely.ts'
import { kyselyReminderStore } from './reminder-store.kysely.ts'
import { kyselySentMailLog } from './sent-mail-log.kysely.ts'
import { kyselySessionStore } from './session-store.kysely.ts'
import { rollsBack } from './unit-of-work.ts'

/** Every store over one connection or transaction. */
export const kyselyStores = (db: Kysely<Database>) => ({
  accounts: kyselyAccountStore(db),
  sessions: kyselySessionStore(db),
  mandates: kyselyMandateStore(db),
  notices: kyselyNoticeStore(db),
  reminders: kyselyReminderStore(db),
  changes: kyselyChangeStore(db),
  drafts: kyselyDraftStore(db),
  audit: kyselyAuditLog(db),
})

/** The stores and the unit of work over one database: what the use cases need of it. */
export const kyselyPorts = (
  db: Kysely<Database>,
  jobQueueIn: (trx: Kysely<Database>) => JobQueue,
  clock: Clock,
) => ({
  ...kyselyStores(db),
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
        const result = await work({ ...kyselyStores(trx), jobs: jobQueueIn(trx) })
        if (rollsBack(result)) throw new RolledBack(result)
        return result
      })
    } catch (e) {
      if (e instanceof RolledBack) return e.result as T
      throw e
    }
  },
})
