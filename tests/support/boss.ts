/** pg-boss on a test database, with the portal's queues. */
import { sql } from 'kysely'
import type { Clock, PgBoss } from 'pg-boss'
import type { DatabaseHandle } from '../../adapters/db/database.ts'
import { newBoss } from '../../adapters/job-queue/boss.ts'
import { createQueues, type QueueOverrides } from '../../jobs/queues.ts'

/** Retries within a second or two, for tests that watch one happen (the portal's own wait 15 s and more). */
export const QUICK_RETRIES: QueueOverrides = { 'geps-sync': { retryDelay: 1 }, mail: { retryDelay: 1 } }

/** `clock`: pg-boss's time and timers, the system's unless given (pg-boss's TestClock holds them still). */
export const startBoss = async (handle: DatabaseHandle, clock?: Clock): Promise<PgBoss> => {
  const boss = newBoss(handle, { max: 2, maintenance: false, clock })
  boss.on('error', () => {})
  await boss.start()
  await createQueues(boss, QUICK_RETRIES)
  return boss
}

/** How many jobs of a queue exist, whatever their state. */
export const countJobs = async (handle: DatabaseHandle, queue: string): Promise<number> => {
  const { rows } = await sql<{
    n: number
  }>`select count(*)::int as n from pgboss.job where name = ${queue}`.execute(handle.db)
  return rows[0]?.n ?? 0
}
