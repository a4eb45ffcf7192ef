import { err, ok, type Result } from '../../core/lib/result.ts'
import type {
  Clock,
  DeliveryError,
  Geps,
  GepsReceipt,
  GepsUserChange,
  GepsUserDeletion,
} from '../../core/ports.ts'

/**
 * GEPS in memory: applies each change and each deletion once per idempotency key (answering a
 * repeat with the same receipt), keeps every request it was sent, and can be told to fail the
 * next ones. A deleted user stays deleted: a change of theirs that arrives late is not applied.
 */
export const memoryGeps = (clock: Clock) => {
  const requests: GepsUserChange[] = []
  const deletionRequests: GepsUserDeletion[] = []
  const received = new Map<string, { change: GepsUserChange; receipt: GepsReceipt }>()
  const deletions = new Map<string, { deletion: GepsUserDeletion; receipt: GepsReceipt }>()
  /** Each user as GEPS holds them: the newest version received. */
  const users = new Map<string, GepsUserChange['user']>()
  const deleted = new Set<string>()
  const faults: ('transient' | 'permanent')[] = []
  let sequence = 0
  /** A fault if one is due, else the receipt known for `key`, else a new one after `apply`. */
  const answer = (known: { receipt: GepsReceipt } | undefined, apply: (receipt: GepsReceipt) => void) => {
    const fault = faults.shift()
    if (fault) return err({ kind: fault, message: `injected ${fault} failure` })
    if (known) return ok(known.receipt)
    sequence++
    const receipt = { receiptNumber: `G-${sequence}`, receivedAt: clock.now().toISOString() }
    apply(receipt)
    return ok(receipt)
  }
  const geps: Geps = {
    syncUserChange: async (change): Promise<Result<GepsReceipt, DeliveryError>> => {
      requests.push(structuredClone(change))
      return answer(received.get(change.idempotencyKey), (receipt) => {
        received.set(change.idempotencyKey, { change, receipt })
        const current = users.get(change.user.userId)
        const newer = !current || current.version <= change.user.version
        if (newer && !deleted.has(change.user.userId)) users.set(change.user.userId, change.user)
      })
    },
    deleteUser: async (deletion): Promise<Result<GepsReceipt, DeliveryError>> => {
      deletionRequests.push(structuredClone(deletion))
      return answer(deletions.get(deletion.idempotencyKey), (receipt) => {
        deletions.set(deletion.idempotencyKey, { deletion, receipt })
        users.delete(deletion.userId)
        deleted.add(deletion.userId)
      })
    },
  }
  return {
    geps,
    requests,
    deletionRequests,
    received,
    deletions,
    users,
    failNext: (...kinds: ('transient' | 'permanent')[]) => faults.push(...kinds),
  }
}
