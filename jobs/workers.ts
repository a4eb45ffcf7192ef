/**
 * The workers: GEPS sync, mail, and two scheduled jobs: the clean-up of expired sessions and the
 * expiry reminders. Each job is handled by a use case of the core; a transient failure throws so
 * that pg-boss retries it later, a permanent one goes to the dead-letter queue.
 */
import type { Job, JobResult, PgBoss } from 'pg-boss'
import { inSpan, parentFrom, SpanKind } from '../adapters/trace/tracing.ts'
import type { UserMail } from '../core/ports.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import { QUEUES, SCHEDULED } from './queues.ts'

export type WorkerOptions = {
  /** The use cases the jobs run (core/use-cases/use-cases.ts's makeUseCases). */
  useCases: Pick<UseCases, 'sync' | 'sessions'>
  /** The changes still waiting for GEPS that no job will deliver (adapters/job-queue/waiting-jobs.ts). */
  findLostDeliveries: () => Promise<{ changeId: string; reason: string }[]>
  /** How many GEPS deliveries and mails run at once: 1 each on PGlite, which has one connection. */
  concurrency?: { geps: Concurrency; mail: Concurrency }
  /** Each change GEPS took now (not one it had already): for the sync-lag metric. */
  onDelivered?: (delivered: { committedAt: Date }) => void
  /** A message and its fields (job id, change id, attempt): never an address or a name. */
  log?: (message: string, fields?: Record<string, unknown>) => void
}

/**
 * Several fetchers (`localConcurrency`) each take a batch of jobs, handle the batch's jobs at once
 * and settle each job by its own outcome. A new job wakes them (the queues notify), and while a
 * backlog waits each fetches again as soon as its batch is done, so a backlog drains as fast as
 * GEPS and the mail server answer: a batch that came back full means more wait
 * (`burstWhenBatchFull`, for batches of more than one), and so does the queue's count of jobs ready
 * (`burstWhenReadyExceeds`, for batches of one). That count is pg-boss's cached statistics, seconds
 * old: alone, it left a worker started on a backlog taking one batch a poll for its first 14 s.
 * A poll each second stays as the backstop (a wake-up can be missed); without LISTEN/NOTIFY
 * (PGlite) they poll every half second.
 * A batch is recorded done when its last job is: a crash before that hands its jobs out again,
 * which GEPS (idempotency keys) and the mail (core/use-cases/sync/mail-delivery.ts) take without a second
 * delivery. GEPS may get two changes of one user out of order: it keeps the newest version (see
 * core/use-cases/sync/sync.ts).
 */
const POLLING = {
  pollingIntervalSeconds: 0.5,
  notifyPollingIntervalSeconds: 1,
  perJobResults: true,
  burstWhenBatchFull: true,
  burstWhenReadyExceeds: 1,
} as const
type Concurrency = { fetchers: number; batchSize: number }
const ONE_AT_A_TIME: Concurrency = { fetchers: 1, batchSize: 1 }
/**
 * On PostgreSQL: up to 128 GEPS deliveries in flight (4 batches of 32: a fetch and a completion
 * serve 32 deliveries; the GEPS adapter keeps as many connections), and 8 mails. A fetcher waits
 * for the last delivery of its batch before it fetches again, so the deliveries in flight fall as
 * a batch ends: 8 batches of 8 drained 860-920 changes a second from GEPS answering after 20 ms,
 * 4 of 32 1,070-1,360, and 1,800-2,300 once a batch's reads and records shared statements
 * (adapters/stores/gathered-calls.ts; 8 of 16 then 1,900-2,000, with no better lag:
 * docs/benchmarks.md).
 */
export const CONCURRENCY_ON_POSTGRES = {
  geps: { fetchers: 4, batchSize: 32 },
  mail: { fetchers: 8, batchSize: 1 },
} satisfies Record<string, Concurrency>
const workOptions = (c: Concurrency = ONE_AT_A_TIME) => ({
  ...POLLING,
  localConcurrency: c.fetchers,
  batchSize: c.batchSize,
})

/** What a job's data may carry besides its own: the trace it was made in (job-queue.pgboss.ts). */
type Traced = { trace?: Record<string, string> }

/**
 * Handles each job of a batch by itself and settles it by its own outcome. Each runs in a span
 * that continues the trace its job was made in (with tracing on), and is handed its data without
 * that trace context.
 */
const settle = async <T>(
  queue: string,
  jobs: Job<T & Traced>[],
  handle: (job: Job<T>) => Promise<'completed' | { deadletter: string }>,
): Promise<JobResult[]> =>
  Promise.all(
    jobs.map(async (tracedJob): Promise<JobResult> => {
      const { trace, ...data } = tracedJob.data
      const job = { ...tracedJob, data: data as T }
      try {
        const outcome = await inSpan(
          `job ${queue}`,
          {
            kind: SpanKind.CONSUMER,
            parent: parentFrom(trace),
            attributes: { 'messaging.destination.name': queue, 'messaging.message.id': job.id },
          },
          () => handle(job),
        )
        // A dead letter keeps why, for the operator's list (jobs/dead-letters.ts).
        return outcome === 'completed'
          ? { id: job.id, status: 'completed' }
          : { id: job.id, status: 'deadletter', output: { message: outcome.deadletter } }
      } catch (e) {
        return { id: job.id, status: 'failed', output: { message: (e as Error).message } }
      }
    }),
  )

export const startWorkers = async (boss: PgBoss, options: WorkerOptions): Promise<void> => {
  const log = options.log ?? (() => {})
  const { sync, sessions } = options.useCases

  await boss.work<{ changeId: string; userId?: string } & Traced>(
    'geps-sync',
    workOptions(options.concurrency?.geps),
    (jobs) =>
      settle('geps-sync', jobs, async (job) => {
        const finalAttempt = job.retryCount >= QUEUES['geps-sync'].retryLimit
        const result = await sync.deliverChange({
          changeId: job.data.changeId,
          userId: job.data.userId,
          finalAttempt,
        })
        const fields = { jobId: job.id, changeId: job.data.changeId, attempt: job.retryCount + 1 }
        if (result.ok) {
          log('geps-sync: delivered', { ...fields, receiptNumber: result.value.receiptNumber })
          if (!result.value.alreadyDone) options.onDelivered?.(result.value)
          return 'completed'
        }
        // One held back while GEPS is down is told once, by the gate, not once per delivery.
        if (!result.error.heldBack)
          log(`geps-sync: ${result.error.kind} failure: ${result.error.message}`, fields)
        if (result.error.kind === 'permanent') return { deadletter: result.error.message }
        throw new Error(result.error.message)
      }),
  )

  // Whatever ends a delivery's job (its handler, a lost heartbeat on the last try, an expiry, an
  // operator), the change and its users follow: one whose job is gone is 連携失敗 and told so.
  await boss.schedule('delivery-reconciliation', SCHEDULED['delivery-reconciliation'])
  await boss.work('delivery-reconciliation', async () => {
    for (const lost of await options.findLostDeliveries()) {
      if (await sync.endLostDelivery(lost))
        log(
          `geps-sync change ${lost.changeId}: its job ended without a result (${lost.reason}); the change is now 連携失敗 and its users are told. Re-drive its dead letter once the cause is fixed.`,
          { changeId: lost.changeId },
        )
    }
  })

  await boss.schedule('session-cleanup', SCHEDULED['session-cleanup'])
  await boss.work('session-cleanup', async () => {
    const ended = await sessions.endExpired()
    if (ended > 0) log(`session-cleanup: ended ${ended} expired sessions`)
  })

  await boss.schedule('expiry-reminders', SCHEDULED['expiry-reminders'])
  await boss.send('expiry-reminders', {}) // and once now, not only at the next hour
  await boss.work('expiry-reminders', async () => {
    const sent = await sync.sendExpiryReminders()
    if (sent > 0) log(`expiry-reminders: ${sent} reminders to send`)
  })

  await boss.work<UserMail & Traced>('mail', workOptions(options.concurrency?.mail), (jobs) =>
    settle('mail', jobs, async (job) => {
      const sent = await sync.sendMail(job.data)
      if (sent.ok) {
        log(`mail: ${sent.value}`, { jobId: job.id, attempt: job.retryCount + 1 })
        // A mail to someone erased (F4): its job goes as soon as the mail is out, address and all.
        if (job.data.forgetOnceSent) await boss.deleteJob('mail', job.id)
        return 'completed'
      }
      // The job's id, not the address: logs keep no one's personal data.
      log(`mail: ${sent.error.kind} failure: ${sent.error.message}`, {
        jobId: job.id,
        attempt: job.retryCount + 1,
      })
      const givingUp = sent.error.kind === 'permanent' || job.retryCount >= QUEUES.mail.retryLimit
      // A mail to someone erased (F4) that cannot be delivered goes with its job: no dead letter
      // may keep the address the portal erased.
      if (job.data.forgetOnceSent && givingUp) {
        await boss.deleteJob('mail', job.id)
        return 'completed'
      }
      if (sent.error.kind === 'permanent') return { deadletter: sent.error.message }
      throw new Error(sent.error.message)
    }),
  )
}
