/**
 * The queues and their retry rules. A job that keeps failing retries with exponential backoff up
 * to a cap, then moves to its dead-letter queue, where an operator can see and re-drive it.
 */
import type { PgBoss, Queue } from 'pg-boss'

export const QUEUES = {
  'geps-sync': {
    // A worker that dies mid-job stops its heartbeat: the job is retried within about 20 s
    // (heartbeat plus the supervision pass, see newBoss), not after its expiry.
    heartbeatSeconds: 10,
    // A new job wakes the workers at once (LISTEN/NOTIFY, where the database offers it).
    notify: true,
    retryLimit: 10,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 120,
    deadLetter: 'geps-sync-dead',
  },
  mail: {
    heartbeatSeconds: 10,
    notify: true,
    retryLimit: 10,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 120,
    deadLetter: 'mail-dead',
  },
} as const satisfies Record<string, Omit<Queue, 'name'>>

export type QueueName = keyof typeof QUEUES

/** Housekeeping run on a schedule: a missed run is simply done by the next. */
export const SCHEDULED = {
  'session-cleanup': '*/15 * * * *',
  // Hourly, so that a reminder is never a day late; each is sent once however often this runs.
  'expiry-reminders': '7 * * * *',
} as const

export const createQueues = async (boss: PgBoss): Promise<void> => {
  for (const [name, options] of Object.entries(QUEUES)) {
    if (!(await boss.getQueue(options.deadLetter)))
      await boss.createQueue(options.deadLetter, { retentionSeconds: 14 * 24 * 3600 })
    if (!(await boss.getQueue(name))) await boss.createQueue(name, options)
  }
  for (const name of Object.keys(SCHEDULED)) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name, { retryLimit: 0 })
  }
}

/** Every queue a job may be in, its dead-letter queue included. */
export const ALL_QUEUES: readonly string[] = Object.entries(QUEUES).flatMap(([name, q]) => [
  name,
  q.deadLetter,
])
