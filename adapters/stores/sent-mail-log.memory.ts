import type { SentMailLog } from '../../core/ports.ts'

/** The sent-mail log's in-memory twin. */
export const memorySentMailLog = (): SentMailLog => {
  const sent = new Map<string, Date>()
  return {
    wasSent: async (idempotencyKey) => sent.has(idempotencyKey),
    record: async (idempotencyKey, at, forgetBefore) => {
      for (const [key, sentAt] of sent) if (sentAt < forgetBefore) sent.delete(key)
      if (!sent.has(idempotencyKey)) sent.set(idempotencyKey, at)
    },
  }
}
