/**
 * The CRL distribution point port: over HTTP (production) and the development twin that answers
 * the demo certificates' points from the trust anchors. Both answer a published CRL with its
 * bytes and a URL they do not publish with a permanent refusal; over HTTP a server in trouble is
 * transient, and an answer too large or too slow is not waited for.
 */
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoCrlDistribution } from '../../adapters/dev/crl-distribution.demo.ts'
import { type Served, serveHttp } from '../../adapters/http/serve.ts'
import { httpCrlDistribution } from '../../adapters/revocation/crl-distribution.http.ts'
import type { CrlDistribution } from '../../core/ports.ts'

const CRL = new Uint8Array([0x30, 0x82, 0x01, 0x00, 1, 2, 3, 4])

let served: Served
beforeAll(async () => {
  const app = new Hono()
  app.get('/ca.crl', (c) => c.body(CRL, 200, { 'content-type': 'application/pkix-crl' }))
  app.get('/moved.crl', (c) => c.redirect('/ca.crl', 302))
  app.get('/down.crl', (c) => c.text('busy', 503))
  app.get('/huge.crl', (c) => c.body(new Uint8Array(5000), 200))
  app.get('/slow.crl', async (c) => {
    await new Promise((r) => setTimeout(r, 3000))
    return c.body(CRL, 200)
  })
  served = await serveHttp(app.fetch, { port: 0, hostname: '127.0.0.1' })
})
afterAll(async () => served?.close())

const contract = (
  name: string,
  make: () => { distribution: CrlDistribution; published: string; unpublished: string },
) =>
  describe(name, () => {
    it('answers a published CRL with its bytes, and a URL it does not publish with a permanent refusal', async () => {
      const { distribution, published, unpublished } = make()
      expect(await distribution.fetch(published)).toEqual({ ok: true, value: CRL })
      expect(await distribution.fetch(unpublished)).toMatchObject({ ok: false, error: { kind: 'permanent' } })
      expect(await distribution.fetch('not a url')).toMatchObject({ ok: false, error: { kind: 'permanent' } })
    })
  })

contract('over HTTP', () => ({
  distribution: httpCrlDistribution({ timeoutMs: 500, maxBytes: 1000 }),
  published: `${served.url}/ca.crl`,
  unpublished: `${served.url}/missing.crl`,
}))

contract('the development twin', () => ({
  distribution: demoCrlDistribution(async (anchor) => (anchor === 'private-ca' ? CRL : undefined)),
  published: 'http://crl.portal-demo.invalid/private-ca.crl',
  unpublished: 'http://crl.portal-demo.invalid/other-ca.crl',
}))

describe('over HTTP, what the real world does', () => {
  const http = () => httpCrlDistribution({ timeoutMs: 500, maxBytes: 1000 })
  it('follows a redirect, and takes a server in trouble or a slow one as transient', async () => {
    expect(await http().fetch(`${served.url}/moved.crl`)).toEqual({ ok: true, value: CRL })
    expect(await http().fetch(`${served.url}/down.crl`)).toMatchObject({
      ok: false,
      error: { kind: 'transient' },
    })
    const started = performance.now()
    expect(await http().fetch(`${served.url}/slow.crl`)).toMatchObject({
      ok: false,
      error: { kind: 'transient' },
    })
    expect(performance.now() - started).toBeLessThan(2500)
    expect(await http().fetch('http://127.0.0.1:9/ca.crl')).toMatchObject({
      ok: false,
      error: { kind: 'transient' },
    })
  })

  it('stops reading an answer larger than its limit, and asks no other scheme', async () => {
    expect(await http().fetch(`${served.url}/huge.crl`)).toMatchObject({
      ok: false,
      error: { kind: 'permanent', message: expect.stringContaining('larger than 1000 bytes') },
    })
    expect(await http().fetch('ldap://ldap.example.jp/cn=ca')).toMatchObject({
      ok: false,
      error: { kind: 'permanent' },
    })
    expect(await http().fetch('file:///etc/passwd')).toMatchObject({
      ok: false,
      error: { kind: 'permanent' },
    })
  })
})
