import { type Clock, PgBoss } from 'pg-boss'
import { type DatabaseHandle, DEFAULT_DATABASE_TIMEOUTS } from '../db/database.ts'

/**
 * A pg-boss over the portal's database. `maintenance: false` for a client that only sends, reads
 * or moves jobs (the operator command, tests): it leaves supervision and schedules to the workers.
 */
export const newBoss = (
  handle: DatabaseHandle,
  /** `clock`: pg-boss's time and timers (the system's unless a test drives them by hand). */
  options: { max?: number; maintenance: boolean; clock?: Clock },
): PgBoss => {
  // Supervision every 10 s: a job whose worker died (no heartbeat) or hung (expired) is retried soon.
  const maintenance = options.maintenance
    ? { superviseIntervalSeconds: 10, monitorIntervalSeconds: 10, queueCacheIntervalSeconds: 5 }
    : { supervise: false, schedule: false }
  return new PgBoss(
    'connectionString' in handle.boss
      ? {
          connectionString: handle.boss.connectionString,
          max: options.max ?? 16,
          // As quick as the portal's own connections to tell the database is away.
          connectionTimeoutMillis:
            (handle.target.backend === 'postgres' && handle.target.timeouts
              ? handle.target.timeouts.connectSeconds
              : DEFAULT_DATABASE_TIMEOUTS.connectSeconds) * 1000,
          useListenNotify: true,
          clock: options.clock,
          ...maintenance,
        }
      : { db: handle.boss.db, backend: 'pglite', clock: options.clock, ...maintenance },
  )
}
