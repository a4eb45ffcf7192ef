/**
 * One contract for the mandate-provider port: the in-memory twin, and the HTTP adapter against a
 * simulator, with a provider that is down, slow, or answers something that is not a mandate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoMandates } from '../../adapters/dev/demo-mandates.ts'
import { mandateProviderSimulator } from '../../adapters/dev/mandate-provider.simulator.ts'
import { type Served, serveHttp } from '../../adapters/http/serve.ts'
import { httpMandateProvider } from '../../adapters/mandates/mandate-provider.http.ts'
import { memoryMandateProvider } from '../../adapters/mandates/mandate-provider.memory.ts'
import type { MandateProvider } from '../../core/ports.ts'

const NOW = new Date('2026-11-27T09:00:00Z')
const mandates = demoMandates(NOW)['sample-mandates']
const asked = { corporateNumber: '7123456789012', referenceNumber: 'POA-2026-0001' }

type Subject = { provider: MandateProvider; failNext(kind: 'transient' | 'permanent'): void }

const contract = (name: string, make: () => Promise<Subject>) =>
  describe(name, () => {
    let s: Subject
    beforeAll(async () => {
      s = await make()
    })

    it('returns the mandate under its reference number, as issued', async () => {
      expect(await s.provider.fetchMandate(asked)).toEqual({ ok: true, value: mandates[0] })
    })

    it('returns one with a flaw as it is: the portal judges it', async () => {
      const found = await s.provider.fetchMandate({ ...asked, referenceNumber: 'POA-2026-0002' })
      expect(found.ok && found.value?.delegate.name).toBe('代理 三郎')
    })

    it('answers by 法人番号 and 受付番号 together: another business’s number is not found under yours', async () => {
      expect(await s.provider.fetchMandate({ ...asked, referenceNumber: 'POA-2026-0004' })).toEqual({
        ok: true,
        value: undefined,
      })
      expect(
        await s.provider.fetchMandate({ corporateNumber: '7000012050002', referenceNumber: 'POA-2026-0001' }),
      ).toEqual({ ok: true, value: undefined })
      const theirs = await s.provider.fetchMandate({
        corporateNumber: '9234567890123',
        referenceNumber: 'POA-2026-0004',
      })
      expect(theirs.ok && theirs.value?.delegator.businessName).toBe('株式会社ほかの商事')
    })

    it('returns none for a number it never issued', async () => {
      expect(await s.provider.fetchMandate({ ...asked, referenceNumber: 'POA-1999-9999' })).toEqual({
        ok: true,
        value: undefined,
      })
    })

    it('reports a passing failure as transient and a refusal as permanent, then answers again', async () => {
      s.failNext('transient')
      expect(await s.provider.fetchMandate(asked)).toMatchObject({ ok: false, error: { kind: 'transient' } })
      s.failNext('permanent')
      expect(await s.provider.fetchMandate(asked)).toMatchObject({ ok: false, error: { kind: 'permanent' } })
      expect((await s.provider.fetchMandate(asked)).ok).toBe(true)
    })
  })

contract('in-memory mandate provider', async () => {
  const m = memoryMandateProvider({ id: 'sample-mandates', name: 'サンプル電子委任状サービス', mandates })
  return { provider: m.port, failNext: (k) => m.failNext(k) }
})

describe('a mandate provider over HTTP, against its simulator', () => {
  const sim = mandateProviderSimulator({ name: 'サンプル電子委任状サービス', mandates })
  let served: Served
  /** Answers to give the next POSTs instead of the simulator's. */
  const answerNext: Response[] = []
  beforeAll(async () => {
    served = await serveHttp((req) => (req.method === 'POST' && answerNext.shift()) || sim.app.fetch(req), {
      port: 0,
    })
  })
  afterAll(async () => served.close())
  const provider = (timeoutMs = 2000) =>
    httpMandateProvider({
      id: 'sample-mandates',
      name: 'サンプル電子委任状サービス',
      baseUrl: served.url,
      timeoutMs,
    })

  contract('the HTTP adapter', async () => ({
    provider: provider(),
    failNext: (kind) => {
      if (kind === 'transient') sim.faults.failNext++
      else answerNext.push(new Response('{"error":"from the test"}', { status: 403 }))
    },
  }))

  it('records which business asked for which number', () => {
    expect(sim.lookups).toContainEqual(asked)
  })

  it('treats a provider that is slow, down, or answers something that is not a mandate as transient', async () => {
    sim.faults.hangNext = 1
    expect(await provider(200).fetchMandate(asked)).toMatchObject({ ok: false, error: { kind: 'transient' } })
    const down = httpMandateProvider({ id: 'x', name: 'x', baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000 })
    expect(await down.fetchMandate(asked)).toMatchObject({ ok: false, error: { kind: 'transient' } })
    const malformed = [
      'not json',
      '{}',
      JSON.stringify({ ...mandates[0], validTo: 'next year' }),
      JSON.stringify({ ...mandates[0], delegator: { corporateNumber: '123' } }),
    ]
    for (const body of malformed) {
      answerNext.push(new Response(body, { status: 200 }))
      expect(await provider().fetchMandate(asked), body).toMatchObject({
        ok: false,
        error: { kind: 'transient' },
      })
    }
    for (const status of [408, 429, 500, 503]) {
      answerNext.push(new Response('', { status }))
      expect(await provider().fetchMandate(asked), String(status)).toMatchObject({
        ok: false,
        error: { kind: 'transient' },
      })
    }
  })

  it('waits out latency within its timeout', async () => {
    sim.faults.latencyMs = 100
    try {
      expect((await provider(2000).fetchMandate(asked)).ok).toBe(true)
    } finally {
      sim.faults.latencyMs = 0
    }
  })
})
