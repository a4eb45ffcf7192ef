/**
 * A simulator of one mandate-handling business (電子委任状取扱事業者): a small HTTP server of its
 * own that answers a mandate by the 委任者's 法人番号 and its reference number, as a real provider
 * does: a number of another business's mandate is unknown to whoever asks with their own 法人番号.
 * Each provider the portal is configured with is a simulator instance of its own. Faults can be
 * injected: latency, 5xx, no answer.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { Mandate } from '../../core/domain/mandates.ts'
import { mandateKey, mandateToJson } from '../mandates/mandate-json.ts'
import { simulateFaults } from './simulated-faults.ts'

const LookupBody = z.object({
  corporateNumber: z.string().max(20),
  referenceNumber: z.string().min(1).max(100),
})

export const mandateProviderSimulator = (provider: { name: string; mandates: Mandate[] }) => {
  const mandates = new Map(provider.mandates.map((m) => [mandateKey(m), m]))
  /** Each look-up, as asked: which business asked for which reference number. */
  const lookups: z.infer<typeof LookupBody>[] = []
  const app = new Hono()
  const faults = simulateFaults(app, '/api/v1/mandates/lookup')
  app.post('/api/v1/mandates/lookup', async (c) => {
    const body = LookupBody.safeParse(await c.req.json().catch(() => undefined))
    if (!body.success) return c.json({ error: 'invalid body' }, 400)
    lookups.push(body.data)
    const mandate = mandates.get(
      mandateKey({ delegator: body.data, referenceNumber: body.data.referenceNumber }),
    )
    if (!mandate) return c.json({ error: 'no such mandate' }, 404)
    return c.json(mandateToJson(mandate))
  })
  app.get('/', (c) =>
    c.html(`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>電子委任状取扱事業者シミュレータ</title></head>
<body><h1>電子委任状取扱事業者シミュレータ: ${provider.name}</h1>
<p>電子委任状 ${mandates.size}件、照会 ${lookups.length}件</p>
<p>POST /api/v1/mandates/lookup {"corporateNumber", "referenceNumber"} → 委任者の法人番号と受付番号が一致する電子委任状（JSON）、なければ 404</p>
</body></html>`),
  )
  return { app, faults, lookups, add: (m: Mandate) => mandates.set(mandateKey(m), m) }
}
