/**
 * GEPS over HTTP. The change's id travels as the Idempotency-Key, so GEPS answers a repeated
 * request with the receipt it already gave. A 4xx is permanent (but 408 and 429); a 5xx, a timeout
 * or a refused connection is transient and worth retrying.
 */
import { z } from 'zod'
import { err, ok, type Result } from '../../core/lib/result.ts'
import type { DeliveryError, Geps, GepsReceipt } from '../../core/ports.ts'
import { endpoint, parseJson } from '../http/endpoint.ts'

/** GEPS's receipt for a change or a deletion it accepted: its number is what the portal keeps. */
const ReceiptJson = z.object({
  receiptNumber: z.string(),
  receivedAt: z.string().catch(''),
}) satisfies z.ZodType<GepsReceipt>

export const httpGeps = (config: { baseUrl: string; timeoutMs?: number }): Geps => {
  /** Posts `body` under `idempotencyKey`, and reads GEPS's receipt. */
  const post = async (
    path: string,
    idempotencyKey: string,
    body: unknown,
  ): Promise<Result<GepsReceipt, DeliveryError>> => {
    let response: Response
    try {
      response = await fetch(endpoint(config.baseUrl, path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
      })
    } catch (e) {
      return err({ kind: 'transient', message: `GEPS unreachable: ${(e as Error).message}` })
    }
    const text = await response.text().catch(() => '')
    // 408 (timed out) and 429 (too many requests) pass like a 5xx; other 4xx are refusals.
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return err({ kind: 'transient', message: `GEPS answered ${response.status}` })
    }
    if (!response.ok)
      return err({
        kind: 'permanent',
        message: `GEPS refused the request (${response.status}): ${text.slice(0, 200)}`,
      })
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
