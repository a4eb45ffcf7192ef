import type { Geps, GepsReceipt, GepsUserChange } from '../../core/ports.ts'
import { err, ok } from '../../core/result.ts'

/**
 * GEPS in memory: applies each change once per idempotency key (answering a repeat with the same
 * receipt), keeps every request it was sent, and can be told to fail the next ones.
 */
export const memoryGeps = () => {
  const requests: GepsUserChange[] = []
  const received = new Map<string, { change: GepsUserChange; receipt: GepsReceipt }>()
  /** Each user as GEPS holds them: the newest version received. */
  const users = new Map<string, GepsUserChange['user']>()
  const faults: ('transient' | 'permanent')[] = []
  const geps: Geps = {
    syncUserChange: async (change) => {
      requests.push(structuredClone(change))
      const fault = faults.shift()
      if (fault) return err({ kind: fault, message: `injected ${fault} failure` })
      const known = received.get(change.idempotencyKey)
      if (known) return ok(known.receipt)
      const receipt = { receiptNumber: `G-${received.size + 1}`, receivedAt: new Date().toISOString() }
      received.set(change.idempotencyKey, { change, receipt })
      const current = users.get(change.user.userId)
      if (!current || current.version <= change.user.version) users.set(change.user.userId, change.user)
      return ok(receipt)
    },
  }
  return {
    geps,
    requests,
    received,
    users,
    failNext: (...kinds: ('transient' | 'permanent')[]) => faults.push(...kinds),
  }
}
