/**
 * Sending a mail once. SMTP has no idempotency: if the database goes away between the server's
 * answer and the job's completion, pg-boss hands the job out again and the mail would go twice.
 * So each mail accepted is recorded under its idempotency key before the job completes, and a job
 * that finds its record sends nothing. While the database is away the record is retried for up to
 * a minute (well inside the job's expiry). Only a crash between the server's answer and the
 * record can still send one twice, and then with the same Message-ID, which mail clients show once.
 */

import { ok, type Result } from '../../lib/result.ts'
import type { Clock, DeliveryError, Mail, Mailer, SentMailLog } from '../../ports.ts'

/** Longer than a dead letter is kept (14 days), so that one re-driven is still recognised. */
export const SENT_MAILS_KEPT_MS = 30 * 24 * 60 * 60 * 1000

export type MailDeliveryPorts = {
  mailer: Mailer
  sentMails: SentMailLog
  clock: Clock
  /** How long to wait between tries of the record, and for how long in all. */
  recordRetry?: { pauseMs: number; forMs: number }
  pause?: (ms: number) => Promise<void>
}

const DEFAULT_RECORD_RETRY = { pauseMs: 250, forMs: 60_000 }

export const sendMailOnce =
  (ports: MailDeliveryPorts) =>
  async (mail: Mail): Promise<Result<'sent' | 'sent-before', DeliveryError>> => {
    if (await ports.sentMails.wasSent(mail.idempotencyKey)) return ok('sent-before')
    const sent = await ports.mailer.send(mail)
    if (!sent.ok) return sent
    const retry = ports.recordRetry ?? DEFAULT_RECORD_RETRY
    const pause = ports.pause ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    // Patience is a duration, not a date: the monotonic clock, which no clock change moves.
    const giveUpAt = performance.now() + retry.forMs
    for (;;) {
      const at = ports.clock.now()
      try {
        await ports.sentMails.record(mail.idempotencyKey, at, new Date(at.getTime() - SENT_MAILS_KEPT_MS))
        return ok('sent')
      } catch (e) {
        // Past the patience the job fails and is retried: the mail may then go twice.
        if (performance.now() >= giveUpAt) throw e
        await pause(retry.pauseMs)
      }
    }
  }
