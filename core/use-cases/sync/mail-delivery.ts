/**
 * Sending a mail once. SMTP has no idempotency: if the database goes away between the server's
 * answer and the job's completion, pg-boss hands the job out again and the mail would go twice.
 * So each mail accepted is recorded under its idempotency key before the job completes, and a job
 * that finds its record sends nothing. The record is written the moment the server accepts (the
 * mail's only write), and while the database is away it is tried again, as long as it takes,
 * at most two seconds apart: it lands within seconds of the database's return, while the job,
 * failed then for its missed heartbeats at the soonest, waits its retry delay (15 s at least,
 * jobs/queues.ts) before it can be handed out again. Only a worker
 * killed between the server's answer and the record still sends one twice, and then with the same
 * Message-ID, which mail clients show once (README, reliability).
 */
import { ok, type Result } from '../../lib/result.ts'
import type { Clock, DeliveryError, Mail, Mailer, SentMailLog } from '../../ports.ts'

/** Longer than a dead letter is kept (14 days), so that one re-driven is still recognised. */
export const SENT_MAILS_KEPT_MS = 30 * 24 * 60 * 60 * 1000

export type MailDeliveryPorts = {
  mailer: Mailer
  sentMails: SentMailLog
  clock: Clock
  /**
   * Whether a failed record means the store is away for now (tried again as long as it takes);
   * any other failure is tried again for `otherErrorsForTries` tries, then fails the job.
   */
  isStoreUnavailable?: (error: unknown) => boolean
  /** The pause before the record is tried again, doubled after each failed try up to `maxPauseMs`. */
  recordRetry?: { pauseMs: number; maxPauseMs: number; otherErrorsForTries: number }
  pause?: (ms: number) => Promise<void>
}

const DEFAULT_RECORD_RETRY = { pauseMs: 250, maxPauseMs: 2_000, otherErrorsForTries: 30 }

export const sendMailOnce =
  (ports: MailDeliveryPorts) =>
  async (mail: Mail): Promise<Result<'sent' | 'sent-before', DeliveryError>> => {
    if (await ports.sentMails.wasSent(mail.idempotencyKey)) return ok('sent-before')
    const sent = await ports.mailer.send(mail)
    if (!sent.ok) return sent
    const retry = ports.recordRetry ?? DEFAULT_RECORD_RETRY
    const pause = ports.pause ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    let otherErrors = 0
    for (let wait = retry.pauseMs; ; wait = Math.min(retry.maxPauseMs, wait * 2)) {
      const at = ports.clock.now()
      try {
        await ports.sentMails.record(mail.idempotencyKey, at, new Date(at.getTime() - SENT_MAILS_KEPT_MS))
        return ok('sent')
      } catch (e) {
        // The database is away: the mail went, so its record waits for it, however long. Anything
        // else (a fault of the store) fails the job after a while rather than hold it for ever.
        if (!ports.isStoreUnavailable?.(e) && ++otherErrors >= retry.otherErrorsForTries) throw e
        await pause(wait)
      }
    }
  }
