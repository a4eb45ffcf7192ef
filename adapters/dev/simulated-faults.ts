/**
 * The faults a simulator (GEPS, JPKI) can be told to show, for tests and for trying the portal
 * out: latency on every request, and the next requests answered 503, 400 or never answered.
 */
import type { Hono, MiddlewareHandler } from 'hono'
import { z } from 'zod'

/**
 * `failNext` answers 503 (a transient failure), `rejectNext` 400 (a permanent one: the request is
 * refused as it is), `hangNext` never answers.
 */
export type SimulatedFaults = { latencyMs: number; failNext: number; rejectNext: number; hangNext: number }

const count = z.number().int().min(0).max(1000)
const FaultSettings = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000),
    failNext: count,
    rejectNext: count,
    hangNext: count,
  })
  .partial()
  .strict()

/**
 * Applies the faults to POSTs of the `apiPaths` before the simulator's own answer, and lets
 * `POST /_simulator/faults` set them.
 */
export const simulateFaults = (app: Hono, ...apiPaths: string[]): SimulatedFaults => {
  const faults: SimulatedFaults = { latencyMs: 0, failNext: 0, rejectNext: 0, hangNext: 0 }
  const inject: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== 'POST') return next()
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs))
    if (faults.hangNext > 0) {
      faults.hangNext--
      await new Promise((r) => setTimeout(r, 60_000))
    }
    if (faults.failNext > 0) {
      faults.failNext--
      return c.json({ error: 'injected failure' }, 503)
    }
    if (faults.rejectNext > 0) {
      faults.rejectNext--
      return c.json({ error: 'injected rejection' }, 400)
    }
    await next()
  }
  for (const path of apiPaths) app.use(path, inject)
  // Only a test or a developer's own tools may flip the switch, not a page they happen to visit:
  // a cross-site form or fetch sends another Origin, or (to skip the preflight) no JSON.
  app.post('/_simulator/faults', async (c) => {
    const origin = c.req.header('origin')
    if (origin !== undefined && origin !== new URL(c.req.url).origin)
      return c.json({ error: 'cross-origin requests are refused' }, 403)
    if (c.req.header('content-type')?.split(';')[0]?.trim() !== 'application/json')
      return c.json({ error: 'send application/json' }, 415)
    const body = FaultSettings.safeParse(await c.req.json().catch(() => undefined))
    if (!body.success) return c.json({ error: 'unknown fault settings' }, 400)
    Object.assign(faults, body.data)
    return c.json(faults)
  })
  return faults
}
