import type { Geps, GepsReceipt, GepsUserChange } from '../../core/ports.ts'
import { err, ok } from '../../core/result.ts'

/** GEPS in memory: takes each change once per idempotency key, and can be told to fail. */
export const memoryGeps = () => {
  const received = new Map<string, { change: GepsUserChange; receipt: GepsReceipt }>()
  const faults: ('transient' | 'permanent')[] = []
  const geps: Geps = {
    syncUserChange: async (change) => {
      const fault = faults.shift()
      if (fault) return err({ kind: fault, message: `injected ${fault} failure` })
      const known = received.get(change.idempotencyKey)
      if (known) return ok(known.receipt)
      const receipt = { receiptNumber: `G-${received.size + 1}`, receivedAt: new Date().toISOString() }
      received.set(change.idempotencyKey, { change, receipt })
      return ok(receipt)
    },
  }
  return { geps, received, failNext: (...kinds: ('transient' | 'permanent')[]) => faults.push(...kinds) }
}
