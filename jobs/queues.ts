/**
 * The queues and their retry rules. A job that keeps failing retries with exponential backoff up
 * to a cap, then moves to its dead-letter queue, where an operator can see and re-drive it.
 */
import type { PgBoss, Queue } from 'pg-boss'

/**
 * Every delivery retries with exponential backoff (pg-boss: each delay between d·2^n and 2·d·2^n
 * seconds, capped at `retryDelayMax`) for at least `OUTAGE_SURVIVED_HOURS`: a GEPS maintenance
 * or an SMTP relay down over a weekend ends in delivery, not in 連携失敗. While GEPS is down its
 * deliveries wait without calling it, and come forward at once when it answers again
 * (adapters/geps/geps-outage-gate.ts): the long delays cost no latency.
 */
export const OUTAGE_SURVIVED_HOURS = 48

export const QUEUES = {
  'geps-sync': {
    // A worker that dies mid-job stops its heartbeat: the job is retried within about 20 s
    // (heartbeat plus the supervision pass, see newBoss), not after its expiry.
    heartbeatSeconds: 10,
    // A new job wakes the workers at once (LISTEN/NOTIFY, where the database offers it).
    notify: true,
    // At least 49 hours of tries (see shortestRetryBudgetSeconds). The first delay is longer than
    // GEPS_REQUEST_TIMEOUT_MS: a change's next attempt never starts while the one before is open.
    retryLimit: 300,
    retryDelay: 15,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 120,
    deadLetter: 'geps-sync-dead',
  },
  mail: {
    heartbeatSeconds: 10,
    notify: true,
    retryLimit: 300,
    retryDelay: 15,
    retryBackoff: true,
    retryDelayMax: 600,
    // The lease of a mail job: longer than the longest SMTP exchange the mailer waits out (RFC 5321
    // §4.5.3.2, SMTP_TIMEOUTS_MS: the connection, the greeting and five replies, 55.5 minutes), so
    // that no job is handed out again while its mail may still be accepted. A worker that dies is still noticed by its heartbeat within about 20 s.
    expireInSeconds: 60 * 60,
    deadLetter: 'mail-dead',
  },
} as const satisfies Record<string, Omit<Queue, 'name'>>

/**
 * The least time a queue's job keeps being retried before it gives up: the sum of the shortest
 * delays pg-boss may draw (its backoff is `min(max, d · 2^n · (1 + random))`, see pg-boss's
 * retryBackoff).
 */
export const shortestRetryBudgetSeconds = (q: {
  retryLimit: number
  retryDelay: number
  retryDelayMax: number
}): number => {
  let total = 0
  for (let n = 0; n < q.retryLimit; n++)
    total += Math.min(q.retryDelayMax, q.retryDelay * 2 ** Math.min(16, n))
  return total
}

export type QueueName = keyof typeof QUEUES

/** Housekeeping run on a schedule: a missed run is simply done by the next. */
export const SCHEDULED = {
  'session-cleanup': '*/15 * * * *',
  // Hourly, so that a reminder is never a day late; each is sent once however often this runs.
  'expiry-reminders': '7 * * * *',
  // Each minute: a change whose delivery job ended without its handler (a worker killed on the
  // last try, an expired or deleted job) is told as 連携失敗 (see startWorkers).
  'delivery-reconciliation': '* * * * *',
} as const

/** What a test may shorten of a queue's rules: its retry delay, to see a retry within seconds. */
export type QueueOverrides = Partial<Record<QueueName, { retryDelay?: number }>>

export const createQueues = async (boss: PgBoss, overrides: QueueOverrides = {}): Promise<void> => {
  for (const [name, rules] of Object.entries(QUEUES)) {
    const options = { ...rules, ...overrides[name as QueueName] }
    if (!(await boss.getQueue(options.deadLetter)))
      await boss.createQueue(options.deadLetter, { retentionSeconds: 14 * 24 * 3600 })
    // A database made by an earlier version takes the rules of this one.
    if (await boss.getQueue(name)) await boss.updateQueue(name, options)
    else await boss.createQueue(name, options)
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
