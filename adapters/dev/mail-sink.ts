/**
 * An SMTP server for development and tests that keeps every mail it receives, for the
 * development mailbox page. It listens on 127.0.0.1 only and accepts any sender and recipient.
 */
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { Clock } from '../../core/ports.ts'

export type ReceivedMail = {
  messageId: string
  from: string
  to: string[]
  subject: string
  text: string
  receivedAt: Date
}

export type MailSink = {
  port: number
  url: string
  mails: ReceivedMail[]
  /** Resolves with the first mail that matches, waiting for it up to `timeoutMs`. */
  waitFor(match: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>
  close(): Promise<void>
}

export const startMailSink = async (port: number, clock: Clock): Promise<MailSink> => {
  const mails: ReceivedMail[] = []
  const waiters = new Set<() => void>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'development mail sink',
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          mails.push({
            messageId: parsed.messageId ?? '',
            from: parsed.from?.text ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            receivedAt: clock.now(),
          })
          for (const wake of waiters) wake()
          callback()
        })
        .catch((e: Error) => callback(e))
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.server.address()
  const actualPort = typeof address === 'object' && address ? address.port : port
  return {
    port: actualPort,
    url: `smtp://127.0.0.1:${actualPort}`,
    mails,
    waitFor: (match, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = mails.find(match)
          if (!found) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(
              `no matching mail within ${timeoutMs} ms; received: ${mails.map((m) => `${m.to} ${m.subject}`).join(', ')}`,
            ),
          )
        }, timeoutMs)
        if (!check()) waiters.add(check)
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
