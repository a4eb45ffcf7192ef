/**
 * The menu shows what expires within 60 days, and the worker mails the reminder due on its first
 * scan. The menu shows the user's own latest changes with their GEPS state and times: 再試行中 while
 * GEPS fails (saying that nothing is lost), then 連携完了 with GEPS's receipt. The list refreshes
 * itself through htmx while a change is on its way and stops when all are final.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import { CERTIFICATE_EXPIRY_SUBJECT } from '../../core/domain/mails.ts'
import type { Portal } from '../../main.ts'
import { textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

const HTMX = { 'hx-request': 'true' }

it('shows each change’s GEPS state on the menu, refreshing itself until it is final', async () => {
  const geps = portal.gepsSimulator
  if (!geps) throw new Error('the test portal runs the GEPS simulator')
  const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
  expect((await hanako.get('/menu')).text).toContain('まだ手続きはありません。')

  geps.faults.failNext = 1_000
  const page = (await hanako.get('/user/edit')).text
  await hanako.post('/user/edit', { ...textFieldsOf(page), title: '部長', action: 'confirm' })
  await hanako.get('/user/confirm')
  expect((await hanako.post('/user/confirm', {})).status).toBe(303)

  const poll = async (until: string) => {
    for (let i = 0; i < 400; i++) {
      const fragment = await hanako.get('/menu/changes', HTMX)
      if (fragment.text.includes(until)) return fragment.text
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`the menu never showed ${until}`)
  }
  const retrying = await poll('再試行中')
  expect(retrying).toContain('<td>利用者情報更新</td>')
  expect(retrying).toContain('自動で再送しています。手続きの内容は失われません。')
  expect(retrying).toContain('hx-trigger="every 2s"')

  geps.faults.failNext = 0
  const done = await poll('連携完了')
  expect(done).toMatch(/GEPS受付番号 GEPS-\d{8}/)
  expect(done).not.toContain('hx-get') // final: the refresh stops
  const menu = await hanako.get('/menu')
  expect(menu.text).toContain('<h2>手続きの状況</h2>')
  expect(menu.text).toContain('連携完了')
  // Without htmx the refresh URL is the menu itself; another user sees none of hers.
  expect((await hanako.get('/menu/changes')).location).toBe('/menu')
  const taro = await signedInClient(portal, 'taro-ic', '1234')
  expect((await taro.get('/menu')).text).toContain('まだ手続きはありません。')
}, 60_000)

it('shows what expires soon on the menu, and mails the reminder due once', async () => {
  const sink = portal.mailSink
  if (!sink) throw new Error('the test portal runs a mail sink')
  const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
  const menu = (await hanako.get('/menu')).text
  expect(menu).toContain('<h2>有効期限が近いもの</h2>')
  expect(menu).toMatch(
    /電子証明書（シリアル番号 [0-9a-fA-F]+）: 有効期限 \d{4}年\d{1,2}月\d{1,2}日（<strong>あと25日<\/strong>）/,
  )
  expect(menu).toContain('<a href="/user/edit">利用者情報更新の画面で追加</a>してください。')
  const jiro = await signedInClient(portal, 'jiro-mynumber', '4321')
  expect((await jiro.get('/menu')).location).toBe('/mandate/expired')
  const taro = await signedInClient(portal, 'taro-ic', '1234')
  expect((await taro.get('/menu')).text).not.toContain('有効期限が近いもの')

  // The workers scan when they start: 入札 花子 gets the 30-day reminder, once.
  const mail = await sink.waitFor((m) => m.subject === CERTIFICATE_EXPIRY_SUBJECT)
  expect(mail.to).toEqual(['hanako@sample-shoji.example.jp'])
  expect(mail.text).toContain('（あと25日）')
  const rows = await portal.database.db.selectFrom('expiry_reminders').selectAll().execute()
  expect(rows.map((r) => [r.user_id, r.days_before])).toEqual([[expect.any(String), 30]])
  expect(sink.mails.filter((m) => m.subject === CERTIFICATE_EXPIRY_SUBJECT)).toHaveLength(1)

  // Her other registered file is newer but revoked: it takes over nothing (above). Once a newer
  // certificate of hers that stands is registered, the expiring one is nothing to act on.
  const db = portal.database.db
  const hers = await db
    .selectFrom('certificates')
    .selectAll()
    .where('user_id', '=', DEMO_USER_IDS.hanako)
    .orderBy('not_after')
    .executeTakeFirstOrThrow()
  await db
    .insertInto('certificates')
    .values({
      ...hers,
      id: crypto.randomUUID(),
      fingerprint: 'f'.repeat(64),
      serial_number: '7e57',
      not_before: new Date(),
      not_after: new Date(new Date(hers.not_after).getTime() + 365 * 86_400_000),
    })
    .execute()
  expect((await hanako.get('/menu')).text).not.toContain('有効期限が近いもの')
})
