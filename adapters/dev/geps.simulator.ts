/**
 * A GEPS simulator: a small HTTP server of its own that takes user changes, answers with a
 * receipt (the same one for a repeated Idempotency-Key), and a moment later mails GEPS's
 * registration-complete notice to the user's address. Faults can be injected for tests:
 * latency, 5xx answers, and requests that never answer.
 */
import { Hono } from 'hono'
import { html } from 'hono/html'
import { z } from 'zod'
import { formatDateTimeJa } from '../../core/lib/format.ts'
import type { Clock, Mailer } from '../../core/ports.ts'
import { simulateFaults } from './simulated-faults.ts'

export const GEPS_NOTICE_SUBJECT = '【政府電子調達システム】利用者情報登録完了のお知らせ'

const UserChangeBody = z.object({
  portalReceiptNumber: z.string().min(1),
  kind: z.string(),
  corporateNumber: z.string(),
  business: z.object({
    name: z.string(),
    nameKana: z.string(),
    representativeTitle: z.string(),
    representativeName: z.string(),
    representativeNameKana: z.string(),
    postalCode: z.string(),
    address: z.string(),
    phone: z.string(),
    fax: z.string(),
    version: z.number().int(),
  }),
  certificates: z.array(
    z.object({ fingerprint: z.string(), serialNumber: z.string(), issuer: z.string(), notAfter: z.string() }),
  ),
  qualifications: z.array(
    z.object({
      supplierCode: z.string(),
      kind: z.string(),
      grade: z.string(),
      regions: z.array(z.string()),
      firstYear: z.number().int(),
    }),
  ),
  mandate: z
    .object({
      providerId: z.string(),
      referenceNumber: z.string(),
      validFrom: z.string(),
      validTo: z.string(),
      authorities: z.array(z.string()),
    })
    .optional(),
  user: z.object({
    userId: z.string(),
    name: z.string(),
    version: z.number().int(),
    nameKana: z.string(),
    department: z.string(),
    title: z.string(),
    postalCode: z.string(),
    address: z.string(),
    phone: z.string(),
    fax: z.string(),
    email: z.string(),
  }),
})

/** A user deleted in the portal (F4): ids only. */
const UserDeletionBody = z.object({
  portalReceiptNumber: z.string().min(1),
  corporateNumber: z.string(),
  userId: z.string(),
})

export type ReceivedChange = z.infer<typeof UserChangeBody> & {
  idempotencyKey: string
  receiptNumber: string
  receivedAt: string
  requests: number
  /** The W3C trace context the change came in (the portal's traces, adapters/trace). */
  traceparent?: string
  /** False when a newer version of the user had arrived first: received, but not applied. */
  applied: boolean
}

export const gepsSimulator = (options: { mailer: Mailer; clock: Clock; noticeDelayMs?: number }) => {
  const { clock } = options
  const received = new Map<string, ReceivedChange>()
  /** Each deletion by its idempotency key, and the users deleted. */
  const deletions = new Map<
    string,
    z.infer<typeof UserDeletionBody> & { receiptNumber: string; receivedAt: string; requests: number }
  >()
  const deletedUsers = new Set<string>()
  /** Each user as GEPS holds them: the newest version received. */
  const users = new Map<string, ReceivedChange['user']>()
  /** Each business as GEPS holds it, by 法人番号: the newest version received. */
  const businesses = new Map<string, ReceivedChange['business']>()
  const pendingNotices = new Set<ReturnType<typeof setTimeout>>()
  let sequence = 0

  const sendNotice = (change: ReceivedChange) => {
    const timer = setTimeout(async () => {
      pendingNotices.delete(timer)
      await options.mailer.send({
        idempotencyKey: `geps-notice:${change.idempotencyKey}`,
        to: change.user.email,
        subject: GEPS_NOTICE_SUBJECT,
        text: [
          `${change.user.name} 様`,
          '',
          '政府電子調達システム(GEPS)への利用者情報の登録が完了しました。',
          `受付番号: ${change.receiptNumber}`,
          `法人番号: ${change.corporateNumber}`,
          '',
          '政府電子調達システム(GEPS)',
        ].join('\n'),
      })
    }, options.noticeDelayMs ?? 1000)
    pendingNotices.add(timer)
  }

  const app = new Hono()
  const faults = simulateFaults(app, '/api/v1/user-changes', '/api/v1/user-deletions')
  app.post('/api/v1/user-changes', async (c) => {
    const key = c.req.header('idempotency-key')
    if (!key) return c.json({ error: 'Idempotency-Key header is required' }, 400)
    const body = UserChangeBody.safeParse(await c.req.json().catch(() => undefined))
    if (!body.success) return c.json({ error: 'invalid body', issues: body.error.issues }, 400)
    const known = received.get(key)
    if (known) {
      known.requests++
      return c.json({ receiptNumber: known.receiptNumber, receivedAt: known.receivedAt }, 200)
    }
    sequence++
    const current = users.get(body.data.user.userId)
    // A deleted user stays deleted: a change of theirs that arrives late is received, not applied.
    const applied =
      !deletedUsers.has(body.data.user.userId) && (!current || current.version <= body.data.user.version)
    const change: ReceivedChange = {
      ...body.data,
      idempotencyKey: key,
      receiptNumber: `GEPS-${String(sequence).padStart(8, '0')}`,
      receivedAt: clock.now().toISOString(),
      requests: 1,
      applied,
      traceparent: c.req.header('traceparent'),
    }
    received.set(key, change)
    if (applied) users.set(body.data.user.userId, body.data.user)
    const heldBusiness = businesses.get(body.data.corporateNumber)
    if (!heldBusiness || heldBusiness.version <= body.data.business.version) {
      businesses.set(body.data.corporateNumber, body.data.business)
    }
    sendNotice(change)
    return c.json({ receiptNumber: change.receiptNumber, receivedAt: change.receivedAt }, 201)
  })
  app.get('/api/v1/user-changes', (c) => c.json([...received.values()]))
  app.get('/api/v1/user-deletions', (c) =>
    c.json([...deletions.entries()].map(([idempotencyKey, d]) => ({ idempotencyKey, ...d }))),
  )
  app.post('/api/v1/user-deletions', async (c) => {
    const key = c.req.header('idempotency-key')
    if (!key) return c.json({ error: 'Idempotency-Key header is required' }, 400)
    const body = UserDeletionBody.safeParse(await c.req.json().catch(() => undefined))
    if (!body.success) return c.json({ error: 'invalid body', issues: body.error.issues }, 400)
    const known = deletions.get(key)
    if (known) {
      known.requests++
      return c.json({ receiptNumber: known.receiptNumber, receivedAt: known.receivedAt }, 200)
    }
    sequence++
    const deletion = {
      ...body.data,
      receiptNumber: `GEPS-${String(sequence).padStart(8, '0')}`,
      receivedAt: clock.now().toISOString(),
      requests: 1,
    }
    deletions.set(key, deletion)
    users.delete(body.data.userId)
    deletedUsers.add(body.data.userId)
    return c.json({ receiptNumber: deletion.receiptNumber, receivedAt: deletion.receivedAt }, 201)
  })
  app.get('/', (c) =>
    c.html(html`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>GEPSシミュレータ: 受信した利用者情報</title></head>
<body><h1>GEPSシミュレータ: 受信した利用者情報</h1>
<h2>受信した利用者情報の更新</h2>
<p>${received.size}件</p>
<table border="1"><tr><th>受付番号</th><th>調達ポータルの受付番号</th><th>受信日時</th><th>法人番号</th><th>氏名</th><th>役職名</th><th>郵便番号</th><th>住所</th><th>電話番号</th><th>FAX番号</th><th>メールアドレス</th><th>版</th><th>反映</th><th>受信回数</th></tr>
${[...received.values()]
  .reverse()
  .map(
    (r) =>
      html`<tr><td>${r.receiptNumber}</td><td>${r.portalReceiptNumber}</td><td>${formatDateTimeJa(new Date(r.receivedAt))}</td><td>${r.corporateNumber}</td><td>${r.user.name}</td><td>${r.user.title}</td><td>${r.user.postalCode}</td><td>${r.user.address}</td><td>${r.user.phone}</td><td>${r.user.fax}</td><td>${r.user.email}</td><td>${r.user.version}</td><td>${r.applied ? '反映' : '新しい版を保持中のため反映せず'}</td><td>${r.requests}</td></tr>`,
  )}
</table>
<h2>受信した利用者の削除</h2>
<p>${deletions.size}件</p>
<table border="1"><tr><th>受付番号</th><th>調達ポータルの受付番号</th><th>受信日時</th><th>法人番号</th><th>利用者ID</th><th>受信回数</th></tr>
${[...deletions.values()]
  .reverse()
  .map(
    (d) =>
      html`<tr><td>${d.receiptNumber}</td><td>${d.portalReceiptNumber}</td><td>${formatDateTimeJa(new Date(d.receivedAt))}</td><td>${d.corporateNumber}</td><td>${d.userId}</td><td>${d.requests}</td></tr>`,
  )}
</table></body></html>`),
  )

  return {
    app,
    received,
    deletions,
    users,
    businesses,
    faults,
    /** Stops the notices still waiting to be mailed. */
    stop: () => {
      for (const t of pendingNotices) clearTimeout(t)
      pendingNotices.clear()
    },
  }
}
