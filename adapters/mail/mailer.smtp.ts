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

export const smtpMailer = (config: {
  url: string
  from: string
  timeoutMs?: number
}): Mailer & { close(): void } => {
  const timeout = config.timeoutMs ?? 15_000
  const transport = nodemailer.createTransport({
    url: config.url,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
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
