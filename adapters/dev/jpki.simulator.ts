/**
 * A JPKI simulator (公的個人認証サービス): a small HTTP server of its own that answers the
 * old-to-new link of renewed My Number cards' certificates (新旧の紐付け). Faults can be injected
 * for tests: latency, 5xx answers, and requests that never answer.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { fingerprintOf } from '../../core/domain/certificates.ts'
import { BASE64_PATTERN, fromBase64, toBase64 } from '../../core/lib/base64.ts'
import { simulateFaults } from './simulated-faults.ts'

const LinkRequest = z.object({ certificate: z.string().min(1).max(16_000).regex(BASE64_PATTERN) })

export const jpkiSimulator = () => {
  /** The certificate each renewed certificate replaced, by the renewed one's fingerprint. */
  const links = new Map<string, Uint8Array>()
  let requests = 0

  const app = new Hono()
  app.use('/api/v1/certificate-links/previous', async (_c, next) => {
    requests++
    await next()
  })
  const faults = simulateFaults(app, '/api/v1/certificate-links/previous')
  app.post('/api/v1/certificate-links/previous', async (c) => {
    const body = LinkRequest.safeParse(await c.req.json().catch(() => undefined))
    if (!body.success) return c.json({ error: 'invalid body' }, 400)
    const previous = links.get(await fingerprintOf(fromBase64(body.data.certificate)))
    if (!previous) return c.json({ error: 'no link' }, 404)
    return c.json({ previousCertificate: toBase64(previous) })
  })
  app.get('/', (c) =>
    c.html(`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>JPKIシミュレータ</title></head>
<body><h1>JPKIシミュレータ: 電子証明書の新旧の紐付け</h1>
<p>紐付け ${links.size}件、照会 ${requests}件</p>
<p>POST /api/v1/certificate-links/previous {"certificate": base64 DER} → {"previousCertificate": base64 DER}、紐付けがなければ 404</p>
</body></html>`),
  )
  return {
    app,
    faults,
    requests: () => requests,
    /** Records that `certificate` (of a renewed card) replaced `previous`. */
    link: async (certificate: Uint8Array, previous: Uint8Array) => {
      links.set(await fingerprintOf(new Uint8Array(certificate)), new Uint8Array(previous))
    },
  }
}
