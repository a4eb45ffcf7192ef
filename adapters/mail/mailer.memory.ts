import { err, ok } from '../../core/lib/result.ts'
import type { Mail, Mailer } from '../../core/ports.ts'

/** A mailer that keeps every mail it is asked to send, as an SMTP server would, and can be told to fail. */
export const memoryMailer = () => {
  const sent: Mail[] = []
  const faults: ('transient' | 'permanent')[] = []
  const mailer: Mailer = {
    send: async (mail) => {
      const fault = faults.shift()
      if (fault) return err({ kind: fault, message: `injected ${fault} failure` })
      sent.push(structuredClone(mail))
      return ok({ messageId: mail.idempotencyKey })
    },
  }
  return { mailer, sent, failNext: (...kinds: ('transient' | 'permanent')[]) => faults.push(...kinds) }
}
