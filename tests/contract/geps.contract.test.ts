/** One contract for the GEPS port: the in-memory twin, and the HTTP adapter against the simulator. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gepsSimulator } from '../../adapters/dev/geps.simulator.ts'
import { httpGeps } from '../../adapters/geps/geps.http.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { type Served, serveHttp } from '../../adapters/http/serve.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import type { Geps, GepsUserChange } from '../../core/ports.ts'
import { testClock } from '../support/clock.ts'
import { waitFor } from '../support/wait.ts'

const change = (key: string, version = 1, title = '部長'): GepsUserChange => ({
  idempotencyKey: key,
  portalReceiptNumber: `20261127-${key}`,
  kind: 'user-contact-updated',
  corporateNumber: '7123456789012',
  certificates: [
    {
      fingerprint: 'ab12',
      serialNumber: '01',
      issuer: 'CN=テスト民間認証局',
      notAfter: '2028-10-28T00:00:00.000Z',
    },
  ],
  qualifications: [
    {
      supplierCode: '0000012345',
      kind: '役務の提供等',
      grade: 'A',
      regions: ['関東・甲信越', '近畿'],
      firstYear: 7,
    },
  ],
  business: {
    name: '株式会社サンプル商事',
    nameKana: 'サンプルショウジ',
    representativeTitle: '代表取締役',
    representativeName: '調達 太郎',
    representativeNameKana: 'チョウタツ タロウ',
    postalCode: '100-0013',
    address: '東京都千代田区霞が関三丁目1番1号',
    phone: '03-1234-5678',
    fax: '',
    version: 1,
  },
  user: {
    userId: '00000000-0000-4000-8000-000000000012',
    name: '入札 花子',
    version,
    nameKana: 'ニュウサツ ハナコ',
    department: '営業部',
    title,
    postalCode: '100-0001',
    address: '東京都千代田区千代田1-1',
    phone: '03-1111-2222',
    fax: '',
    email: 'hanako@example.jp',
  },
})

/** GEPS's own clock, far from the machine's: a receipt shows the time of the clock it is given. */
const gepsClock = testClock(new Date('2031-06-15T03:00:00Z'))

type Subject = {
  geps: Geps
  failNext(kind: 'transient' | 'permanent'): void
  receivedCount(): number
  /** The user as GEPS now holds them. */
  heldUser(userId: string): GepsUserChange['user'] | undefined
  /** The portal's 受付番号 GEPS keeps with what it received under `idempotencyKey`. */
  portalReceiptOf(idempotencyKey: string): string | undefined
}

const contract = (name: string, make: () => Promise<Subject>) =>
  describe(name, () => {
    let s: Subject
    beforeAll(async () => {
      s = await make()
    })
    it('takes a change and answers with a receipt, stamped by the clock it runs with', async () => {
      const result = await s.geps.syncUserChange(change('k-1'))
      expect(result).toMatchObject({
        ok: true,
        value: { receiptNumber: expect.stringMatching(/\S/), receivedAt: gepsClock.now().toISOString() },
      })
    })
    it('answers a repeated idempotency key with the same receipt, applying it once', async () => {
      const before = s.receivedCount()
      const first = await s.geps.syncUserChange(change('k-2'))
      const again = await s.geps.syncUserChange(change('k-2'))
      expect(again).toEqual(first)
      expect(s.receivedCount()).toBe(before + 1)
    })
    it('keeps the newest version of a user whatever order the changes arrive in', async () => {
      const userId = change('x').user.userId
      await s.geps.syncUserChange(change('k-v3', 3, '部長（第3版）'))
      const late = await s.geps.syncUserChange(change('k-v2', 2, '課長（第2版）'))
      expect(late.ok).toBe(true)
      expect(s.heldUser(userId)).toMatchObject({ version: 3, title: '部長（第3版）' })
      await s.geps.syncUserChange(change('k-v4', 4, '次長（第4版）'))
      expect(s.heldUser(userId)).toMatchObject({ version: 4, title: '次長（第4版）' })
    })

    it('deletes a user once per idempotency key, and keeps them deleted when a change of theirs arrives late', async () => {
      const userId = '00000000-0000-4000-8000-0000000000d1'
      const theirs = (key: string, version: number) => {
        const c = change(key, version)
        return { ...c, user: { ...c.user, userId } }
      }
      await s.geps.syncUserChange(theirs('k-d-1', 1))
      expect(s.heldUser(userId)).toBeDefined()
      const deletion = {
        idempotencyKey: 'k-del-1',
        portalReceiptNumber: '20261127-000901',
        corporateNumber: '7123456789012',
        userId,
      }
      const first = await s.geps.deleteUser(deletion)
      expect(first.ok).toBe(true)
      expect(await s.geps.deleteUser(deletion)).toEqual(first)
      expect(s.portalReceiptOf('k-del-1')).toBe('20261127-000901')
      expect(s.portalReceiptOf('k-d-1')).toBe('20261127-k-d-1')
      expect(s.heldUser(userId)).toBeUndefined()
      expect((await s.geps.syncUserChange(theirs('k-d-2', 2))).ok).toBe(true)
      expect(s.heldUser(userId)).toBeUndefined()
      s.failNext('transient')
      expect(await s.geps.deleteUser({ ...deletion, idempotencyKey: 'k-del-2' })).toMatchObject({
        ok: false,
        error: { kind: 'transient' },
      })
    })

    it('reports a passing failure as transient and a refusal as permanent', async () => {
      s.failNext('transient')
      expect(await s.geps.syncUserChange(change('k-3'))).toMatchObject({
        ok: false,
        error: { kind: 'transient' },
      })
      expect((await s.geps.syncUserChange(change('k-3'))).ok).toBe(true)
      s.failNext('permanent')
      expect(await s.geps.syncUserChange(change('k-4'))).toMatchObject({
        ok: false,
        error: { kind: 'permanent' },
      })
    })
  })

contract('in-memory GEPS', async () => {
  const m = memoryGeps(gepsClock)
  return {
    geps: m.geps,
    failNext: (k) => m.failNext(k),
    receivedCount: () => m.received.size,
    heldUser: (id) => m.users.get(id),
    portalReceiptOf: (key) =>
      m.received.get(key)?.change.portalReceiptNumber ?? m.deletions.get(key)?.deletion.portalReceiptNumber,
  }
})

describe('GEPS over HTTP against the simulator', () => {
  const mail = memoryMailer()
  const sim = gepsSimulator({ mailer: mail.mailer, noticeDelayMs: 10, clock: gepsClock })
  let served: Served
  /** Statuses (or whole answers) to answer the next POSTs with, before the simulator sees them. */
  const answerNext: (number | Response)[] = []
  beforeAll(async () => {
    served = await serveHttp(
      (req) => {
        const status = req.method === 'POST' ? answerNext.shift() : undefined
        if (status instanceof Response) return status
        if (status) return new Response('{"error":"from the test"}', { status })
        return sim.app.fetch(req)
      },
      { port: 0 },
    )
  })
  afterAll(async () => {
    sim.stop()
    await served.close()
  })

  contract('the HTTP adapter', async () => ({
    geps: httpGeps({ baseUrl: served.url, timeoutMs: 2000 }),
    failNext: (kind) => {
      if (kind === 'transient') sim.faults.failNext++
      else answerNext.push(400)
    },
    receivedCount: () => sim.received.size,
    heldUser: (id) => sim.users.get(id),
    portalReceiptOf: (key) =>
      sim.received.get(key)?.portalReceiptNumber ?? sim.deletions.get(key)?.portalReceiptNumber,
  }))

  it('mails GEPS’s registration-complete notice to the user’s address a moment later', async () => {
    await httpGeps({ baseUrl: served.url }).syncUserChange(change('k-notice'))
    await new Promise((r) => setTimeout(r, 100))
    expect(mail.sent.find((m) => m.idempotencyKey === 'geps-notice:k-notice')).toMatchObject({
      to: 'hanako@example.jp',
      subject: '【政府電子調達システム】利用者情報登録完了のお知らせ',
    })
  })

  it('classes each answer as the adapter’s contract says: refused for good, or unavailable and retried', async () => {
    const geps = httpGeps({ baseUrl: served.url })
    const refused = [400, 413, 415, 422]
    // The service or its configuration: a deploy (404, 405, 410), an expired credential (401, 403),
    // the same key still in progress (409), a redirect, overload and outages.
    const unavailable = [
      301, 302, 307, 308, 401, 403, 404, 405, 408, 409, 410, 425, 429, 500, 502, 503, 504, 599,
    ]
    for (const [statuses, kind] of [
      [refused, 'permanent'],
      [unavailable, 'transient'],
    ] as const) {
      for (const status of statuses) {
        // A redirect points at GEPS's own endpoint: followed, the POST would be taken there.
        answerNext.push(
          new Response('{"error":"from the test"}', {
            status,
            headers: { location: `${served.url}/api/v1/user-changes` },
          }),
        )
        expect(await geps.syncUserChange(change(`k-status-${status}`)), String(status)).toMatchObject({
          ok: false,
          error: { kind },
        })
      }
    }
    expect([...sim.received.keys()].filter((k) => k.startsWith('k-status-'))).toEqual([])
  })

  it('closes the connection of a request it gives up on: nothing of it stays open behind the next attempt', async () => {
    let closed = false
    const server = createServer((req) => {
      // Never answers; notes when the portal's side goes away.
      req.resume()
      req.socket.once('close', () => {
        closed = true
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      const result = await httpGeps({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 300 }).syncUserChange(
        change('k-cancelled'),
      )
      expect(result).toMatchObject({ ok: false, error: { kind: 'transient' } })
      await waitFor('the connection is closed', () => closed, 1000)
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })

  it('stops reading an answer far larger than a receipt, and keeps the connections of the others', async () => {
    const sockets = new Set<unknown>()
    let sent = 0
    const server = createServer((req, res) => {
      sockets.add(req.socket)
      req.resume()
      req.on('end', () => {
        if (req.headers['idempotency-key'] === 'k-huge') {
          // 64 MB of "receipt", a chunk at a time, for as long as the portal reads.
          res.writeHead(201, { 'content-type': 'application/json' })
          const chunk = Buffer.alloc(64 * 1024, 0x20)
          const more = () => {
            while (sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length
            if (sent < 64 * 1024 * 1024) res.once('drain', more)
            else res.end()
          }
          more()
        } else {
          res.writeHead(201, { 'content-type': 'application/json' })
          res.end('{"receiptNumber":"GEPS-1","receivedAt":"2026-12-03T00:00:00Z"}')
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      const geps = httpGeps({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 })
      const huge = await geps.syncUserChange(change('k-huge'))
      expect(huge).toMatchObject({ ok: false, error: { kind: 'transient' } })
      expect(sent).toBeLessThan(16 * 1024 * 1024)
      // Ten deliveries one after another go over one kept-alive connection.
      const before = sockets.size
      for (let i = 0; i < 10; i++) expect((await geps.syncUserChange(change(`k-kept-${i}`))).ok).toBe(true)
      expect(sockets.size - before).toBe(1)
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })

  it('treats a timeout and a refused connection as transient', async () => {
    sim.faults.hangNext = 1
    const slow = await httpGeps({ baseUrl: served.url, timeoutMs: 200 }).syncUserChange(change('k-slow'))
    expect(slow).toMatchObject({ ok: false, error: { kind: 'transient' } })
    const nowhere = await httpGeps({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000 }).syncUserChange(
      change('k-x'),
    )
    expect(nowhere).toMatchObject({ ok: false, error: { kind: 'transient' } })
  })

  it('treats an answer that is no receipt as transient: the change is sent again, never lost', async () => {
    const geps = httpGeps({ baseUrl: served.url })
    for (const body of [
      'not json',
      '{}',
      '{"receiptNumber":42,"receivedAt":"2026-12-03T00:00:00Z"}',
      'null',
    ]) {
      answerNext.push(new Response(body, { status: 201 }))
      expect(await geps.syncUserChange(change(`k-garbled-${body.length}`)), body).toMatchObject({
        ok: false,
        error: { kind: 'transient' },
      })
    }
  })
})
