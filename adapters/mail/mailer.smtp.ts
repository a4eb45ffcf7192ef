/**
 * Mail over SMTP with nodemailer. The Message-ID is derived from the mail's idempotency key, so a
 * mail sent again after a lost answer is recognisably the same mail. SMTP 5xx answers are
 * permanent; 4xx answers, timeouts and refused connections are transient.
 */
import nodemailer from 'nodemailer'
import { sha256Hex } from '../../core/lib/digest.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { Mailer } from '../../core/ports.ts'

export const messageIdFor = async (idempotencyKey: string, domain: string): Promise<string> =>
  `<${(await sha256Hex(idempotencyKey)).slice(0, 40)}@${domain}>`

/**
 * How long the mailer waits, as RFC 5321 §4.5.3.2 asks of a client: 5 minutes for the greeting,
 * and for every reply up to 10 minutes (the reply to the end of DATA may take that long, while the
 * server delivers the mail). Giving up sooner on a slow relay sends the mail again after it was
 * accepted. The mail queue's lease (jobs/queues.ts) is longer than a whole exchange can take.
 */
export const SMTP_TIMEOUTS_MS = {
  connection: 30_000,
  greeting: 5 * 60_000,
  reply: 10 * 60_000,
} as const

export const smtpMailer = (config: {
  url: string
  from: string
  /** One timeout for every phase instead of SMTP_TIMEOUTS_MS (tests of unanswered connections). */
  timeoutMs?: number
}): Mailer & { close(): void } => {
  const t = config.timeoutMs
  const transport = nodemailer.createTransport({
    url: config.url,
    connectionTimeout: t ?? SMTP_TIMEOUTS_MS.connection,
    greetingTimeout: t ?? SMTP_TIMEOUTS_MS.greeting,
    socketTimeout: t ?? SMTP_TIMEOUTS_MS.reply,
  })
  const domain = config.from.split('@')[1]?.replace(/>$/, '') ?? 'localhost'
  return {
    send: async (mail) => {
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: await messageIdFor(mail.idempotencyKey, domain),
        })
        return ok({ messageId: info.messageId })
      } catch (e) {
        const code = (e as { responseCode?: number }).responseCode
        const message = (e as Error).message
        return err({ kind: code !== undefined && code >= 500 ? 'permanent' : 'transient', message })
      }
    },
    close: () => transport.close(),
  }
}
