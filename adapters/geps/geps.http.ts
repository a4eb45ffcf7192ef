/**
 * GEPS over HTTP. The change's id travels as the Idempotency-Key.
 *
 * The contract this adapter holds GEPS to, and what the portal does with each answer:
 * - **The real GEPS must honour the Idempotency-Key**: a request repeated under a key it has taken
 *   is answered with the receipt it gave, and applied once, even while the first is still being
 *   processed (it may then answer 409, which is retried). The portal's own guard is only that it
 *   never has two requests for one change open at once (see `GEPS_REQUEST_TIMEOUT_MS`); a request
 *   that was cancelled may still have reached GEPS, so the key is what keeps a change from being
 *   applied twice.
 * - **2xx with a receipt**: taken. A 2xx that is no receipt is retried (the change is never lost).
 * - **Refused for good** (`permanent`): the request itself is wrong and sending it again cannot
 *   help: 400, 413, 415 and 422 (422 is also a key reused with another body).
 * - **Unavailable** (`transient`, retried): everything else. 5xx, 408, 409 (the same key is still
 *   being processed) and 429; 401 and 403 (an expired or misconfigured credential); 404, 405 and
 *   410 (a deploy or a wrong address: the service or its configuration, not the change); a redirect
 *   (not followed: a POST is not re-sent elsewhere); any other status; a timeout or no connection.
 */
import { z } from 'zod'
import { err, ok, type Result } from '../../core/lib/result.ts'
import type { DeliveryError, Geps, GepsReceipt } from '../../core/ports.ts'
import { endpoint, parseJson } from '../http/endpoint.ts'
import { traceHeaders } from '../trace/tracing.ts'

/** GEPS's receipt for a change or a deletion it accepted: its number is what the portal keeps. */
const ReceiptJson = z.object({
  receiptNumber: z.string(),
  receivedAt: z.string().catch(''),
}) satisfies z.ZodType<GepsReceipt>

/** The answers that refuse the request itself: sending it again cannot help. */
export const REFUSED_FOR_GOOD: ReadonlySet<number> = new Set([400, 413, 415, 422])

/**
 * How long a request to GEPS may take before it is cancelled. Shorter than the first retry delay of
 * the geps-sync queue (jobs/queues.ts checks it), so a change's next attempt is never sent while
 * the one before may still be open.
 */
export const GEPS_REQUEST_TIMEOUT_MS = 10_000

export const httpGeps = (config: { baseUrl: string; timeoutMs?: number }): Geps => {
  /** Posts `body` under `idempotencyKey`, and reads GEPS's receipt. */
  const post = async (
    path: string,
    idempotencyKey: string,
    body: unknown,
  ): Promise<Result<GepsReceipt, DeliveryError>> => {
    // One signal for the whole exchange, the answer's body included: when it fires, the request is
    // cancelled and its connection closed, not left running behind the next attempt.
    const signal = AbortSignal.timeout(config.timeoutMs ?? GEPS_REQUEST_TIMEOUT_MS)
    let status: number
    let text: string
    try {
      const response = await fetch(endpoint(config.baseUrl, path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...traceHeaders() },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal,
      })
      status = response.status
      text = await response.text()
    } catch (e) {
      return err({ kind: 'transient', message: `GEPS unreachable: ${(e as Error).message}` })
    }
    // The status only: an answer's body may repeat the user's data, and the message is logged.
    if (REFUSED_FOR_GOOD.has(status))
      return err({ kind: 'permanent', message: `GEPS refused the request (${status})` })
    if (status < 200 || status > 299) return err({ kind: 'transient', message: `GEPS answered ${status}` })
    const receipt = ReceiptJson.safeParse(parseJson(text))
    return receipt.success
      ? ok(receipt.data)
      : err({ kind: 'transient', message: 'GEPS answered something that is not a receipt' })
  }
  return {
    syncUserChange: ({ idempotencyKey, ...body }) => post('/api/v1/user-changes', idempotencyKey, body),
    deleteUser: ({ idempotencyKey, ...body }) => post('/api/v1/user-deletions', idempotencyKey, body),
  }
}
