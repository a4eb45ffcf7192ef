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
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
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

/** GEPS's answer is a receipt: anything much larger is not one, and is not read further. */
const MAX_ANSWER_BYTES = 1_000_000

/**
 * One POST over a kept-alive connection: the status and the body as text. `timeoutMs` bounds the
 * whole exchange, the answer's body included; when it passes, the request is destroyed and its
 * connection closed (never handed back to the pool), so nothing of it runs behind the next try.
 */
const postOnce = (
  agent: HttpAgent,
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    let timer: ReturnType<typeof setTimeout> | undefined
    const fail = (e: Error) => {
      clearTimeout(timer)
      req.destroy()
      reject(e)
    }
    const req = send(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_ANSWER_BYTES) fail(new Error('the answer is too large to be a receipt'))
          else chunks.push(chunk)
        })
        res.on('error', fail)
        res.on('close', () => {
          if (!res.complete) return fail(new Error('the connection closed before the answer was complete'))
          clearTimeout(timer)
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
        })
      },
    )
    timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    req.on('error', fail)
    req.end(body)
  })

export const httpGeps = (config: { baseUrl: string; timeoutMs?: number }): Geps => {
  // Connections kept open between deliveries (a drain sends thousands): no new TCP or TLS
  // handshake per change, and node:http's client costs less per request than fetch.
  const https = new URL(config.baseUrl).protocol === 'https:'
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: 128 })
    : new HttpAgent({ keepAlive: true, maxSockets: 128 })
  /** Posts `body` under `idempotencyKey`, and reads GEPS's receipt. */
  const post = async (
    path: string,
    idempotencyKey: string,
    body: unknown,
  ): Promise<Result<GepsReceipt, DeliveryError>> => {
    let status: number
    let text: string
    try {
      ;({ status, text } = await postOnce(
        agent,
        new URL(endpoint(config.baseUrl, path)),
        { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...traceHeaders() },
        JSON.stringify(body),
        config.timeoutMs ?? GEPS_REQUEST_TIMEOUT_MS,
      ))
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
