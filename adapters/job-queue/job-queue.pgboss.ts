import type { Kysely } from 'kysely'
import { fromKysely, type PgBoss } from 'pg-boss'
import type { JobQueue } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'

/** Enqueues through pg-boss inside the caller's Kysely transaction: the job commits with the change. */
export const pgBossJobQueue =
  (boss: PgBoss) =>
  (trx: Kysely<Database>): JobQueue => ({
    enqueue: async (job) => {
      await boss.send(job.queue, job.data, { db: fromKysely(trx) })
    },
  })
