import type { Kysely } from 'kysely'
import { fromKysely, type PgBoss } from 'pg-boss'
import type { JobQueue } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { traceHeaders } from '../trace/tracing.ts'

const PAGE = 1000

/**
 * Enqueues through pg-boss inside the caller's Kysely transaction: the job commits with the change.
 * `queues` names every queue a job may be in (dead-letter queues too), for forgetJobsOf to search.
 */
export const pgBossJobQueue =
  (boss: PgBoss, queues: readonly string[]) =>
  (trx: Kysely<Database>): JobQueue => ({
    // With tracing on, the job carries the trace it was made in (jobs/workers.ts continues it).
    enqueue: async (job) => {
      const trace = traceHeaders()
      const data = Object.keys(trace).length > 0 ? { ...job.data, trace } : job.data
      await boss.send(job.queue, data, { db: fromKysely(trx) })
    },
    // Each page is deleted before the next is looked for, in the same transaction, so the next
    // finds the ones after it. A user has a handful of jobs; F4 is rare: no index on data is kept.
    forgetJobsOf: async (userId) => {
      const db = fromKysely(trx)
      for (const queue of queues) {
        let found: { id: string }[]
        do {
          found = await boss.findJobs(queue, { data: { userId }, limit: PAGE, db })
          if (found.length > 0)
            await boss.deleteJob(
              queue,
              found.map((job) => job.id),
              { db },
            )
        } while (found.length === PAGE)
      }
    },
  })
