/**
 * One contract for the JPKI port (the old-to-new link of renewed My Number certificates): the
 * in-memory twin, and the HTTP adapter against the simulator, with its faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jpkiSimulator } from '../../adapters/dev/jpki.simulator.ts'
import { createAuthority, daysFrom, issueCertificate } from '../../adapters/dev/test-pki.ts'
import { type Served, serveHttp } from '../../adapters/http/serve.ts'
import { httpJpki } from '../../adapters/jpki/jpki.http.ts'
import { memoryJpki } from '../../adapters/jpki/jpki.memory.ts'
import type { Jpki } from '../../core/ports.ts'

type Subject = {
  jpki: Jpki
  link(certificate: Uint8Array, previous: Uint8Array): Promise<void>
  failNext(kind: 'transient' | 'permanent'): void
}

const certificates = (async () => {
  const now = new Date()
  const ca = await createAuthority('CN=テスト公的個人認証局, C=JP', now)
  const issue = async () =>
    (
      await issueCertificate(ca, 'CN=委任 次郎, C=JP', {
        notBefore: daysFrom(now, -1),
        notAfter: daysFrom(now, 30),
      })
    ).certificate
  return { old: await issue(), renewed: await issue(), unrelated: await issue() }
})()

const contract = (name: string, make: () => Promise<Subject>) =>
  describe(name, () => {
    let s: Subject
    beforeAll(async () => {
      s = await make()
      const { old, renewed } = await certificates
      await s.link(renewed, old)
    })

    it('gives the certificate a renewed one replaced, byte for byte', async () => {
      const { old, renewed } = await certificates
      const found = await s.jpki.findPreviousCertificate(renewed)
      expect(found.ok && found.value && [...found.value]).toEqual([...old])
    })

    it('gives none for a certificate that replaced none', async () => {
      const { old, unrelated } = await certificates
      expect(await s.jpki.findPreviousCertificate(unrelated)).toEqual({ ok: true, value: undefined })
      expect(await s.jpki.findPreviousCertificate(old)).toEqual({ ok: true, value: undefined })
    })

    it('reports a passing failure as transient and a refusal as permanent, then answers again', async () => {
      const { renewed } = await certificates
      s.failNext('transient')
      expect(await s.jpki.findPreviousCertificate(renewed)).toMatchObject({
        ok: false,
        error: { kind: 'transient' },
      })
      s.failNext('permanent')
      expect(await s.jpki.findPreviousCertificate(renewed)).toMatchObject({
        ok: false,
        error: { kind: 'permanent' },
      })
      expect((await s.jpki.findPreviousCertificate(renewed)).ok).toBe(true)
    })
  })

contract('in-memory JPKI', async () => {
  const m = memoryJpki()
  return { jpki: m.jpki, link: m.link, failNext: (k) => m.failNext(k) }
})

describe('JPKI over HTTP against the simulator', () => {
  const sim = jpkiSimulator()
  let served: Served
  /** Answers to give the next POSTs instead of the simulator's. */
  const answerNext: Response[] = []
  beforeAll(async () => {
    served = await serveHttp((req) => (req.method === 'POST' && answerNext.shift()) || sim.app.fetch(req), {
      port: 0,
    })
  })
  afterAll(async () => served.close())

  contract('the HTTP adapter', async () => ({
    jpki: httpJpki({ baseUrl: served.url, timeoutMs: 2000 }),
    link: sim.link,
    failNext: (kind) => {
      if (kind === 'transient') sim.faults.failNext++
      else answerNext.push(new Response('{"error":"from the test"}', { status: 400 }))
    },
  }))

  it('treats a timeout, a refused connection and an unreadable answer as transient', async () => {
    const { renewed } = await certificates
    sim.faults.hangNext = 1
    const slow = await httpJpki({ baseUrl: served.url, timeoutMs: 200 }).findPreviousCertificate(renewed)
    expect(slow).toMatchObject({ ok: false, error: { kind: 'transient' } })
    const nowhere = await httpJpki({
      baseUrl: 'http://127.0.0.1:9',
      timeoutMs: 1000,
    }).findPreviousCertificate(renewed)
    expect(nowhere).toMatchObject({ ok: false, error: { kind: 'transient' } })
    for (const body of ['not json', '{"previousCertificate":"***"}', '{}']) {
      answerNext.push(new Response(body, { status: 200 }))
      const garbled = await httpJpki({ baseUrl: served.url }).findPreviousCertificate(renewed)
      expect(garbled, body).toMatchObject({ ok: false, error: { kind: 'transient' } })
    }
  })

  it('refuses a request that carries no certificate', async () => {
    const response = await sim.app.request('/api/v1/certificate-links/previous', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ certificate: 'A' }),
    })
    expect(response.status).toBe(400)
  })
})
