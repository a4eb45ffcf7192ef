/**
 * F4 利用者情報削除 through app.request(): 委任 次郎 deletes himself. Before that he renews his
 * mandate (F3), so that a change of his, its GEPS job and a mail with his name and address are
 * stored too. After [削除] the database holds none of his personal data outside the audit log,
 * every session of his has ended, GEPS received the deletion once (its first attempt failing),
 * and no one else can delete anyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/demo/demo-data.ts'
import { kyselyNoticeStore } from '../../adapters/stores/notice-store.kysely.ts'
import { MANDATE_RENEWED_SUBJECT } from '../../core/mails.ts'
import type { Portal } from '../../main.ts'
import { pathOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient, signedInClient } from '../support/portal-client.ts'
import { everythingStored } from '../support/stored-text.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

/** What is personal about 委任 次郎 (SPEC §6): his name, its reading, his address. */
const JIRO = ['委任 次郎', 'イニン ジロウ', 'jiro@sample-shoji.example.jp']

const waitUntil = async (done: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 300; i++) {
    if (await done()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting until ${what}`)
}

describe('F4 for 委任 次郎', () => {
  it('is refused to everyone but a My Number agent, and changes nothing', async () => {
    const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
    await hanako.get('/menu')
    expect((await hanako.get('/mandate/deletion')).status).toBe(403)
    expect(
      (await hanako.post('/mandate/deletion', { cardId: 'hanako-file', pin: 'hanako-2026' })).status,
    ).toBe(403)
    expect((await hanako.post('/mandate/deletion/confirm', { draftId: crypto.randomUUID() })).status).toBe(
      403,
    )
    const taro = await signedInClient(portal, 'taro-ic', '1234')
    await taro.get('/menu')
    expect((await taro.post('/mandate/deletion/confirm', { draftId: crypto.randomUUID() })).status).toBe(403)
    const users = await portal.database.db.selectFrom('users').select('id').execute()
    expect(users.map((u) => u.id)).toContain(DEMO_USER_IDS.hanako)
    expect(users.map((u) => u.id)).toContain(DEMO_USER_IDS.jiro)
  })

  it('reads his card with the user-authentication PIN, shows what goes, and deletes it all in one go', async () => {
    const geps = portal.gepsSimulator
    const [sample] = portal.mandateSimulators ?? []
    const sink = portal.mailSink
    if (!geps || !sample || !sink) throw new Error('the test portal runs the simulators and a mail sink')
    const db = portal.database.db

    // F3 first: a change of his, a GEPS job and a mail naming him are stored as well.
    const c = await signedInClient(portal, 'jiro-mynumber', '4321')
    const otherBrowser = await signedInClient(portal, 'jiro-mynumber', '4321')
    await c.get('/mandate/expired')
    await c.post('/mandate/expired', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
    await c.get('/mandate/renewal/request')
    await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-2026-0001',
    })
    await c.get('/mandate/renewal/confirm')
    expect((await c.post('/mandate/renewal/confirm', {})).status).toBe(303)
    await sink.waitFor((m) => m.subject === MANDATE_RENEWED_SUBJECT)
    expect(await everythingStored(db, ['audit_log', 'virtual_cards'])).toContain(
      'jiro@sample-shoji.example.jp',
    )

    // The confirmation screen is reached only after his own card is read with its 4-digit PIN.
    expect((await c.get('/mandate/deletion/confirm')).status).toBe(409)
    const read = (await c.get('/mandate/deletion')).text
    expect(read).toContain('<button type="submit">代理人情報削除</button>')
    expect(read).not.toContain('value="jiro-mynumber-signing"')
    const wrongPin = await c.post('/mandate/deletion', { cardId: 'jiro-mynumber', pin: '0000' })
    expect(wrongPin.status).toBe(422)
    expect(wrongPin.text).toContain('value="jiro-mynumber" checked')
    const signing = await c.post('/mandate/deletion', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
    expect(signing.text).toContain('利用者証明用電子証明書を読み込めませんでした。')
    const notHis = await c.post('/mandate/deletion', { cardId: 'jiro-mynumber-renewed', pin: '4321' })
    expect(notHis.text).toContain('ログインしている利用者に登録されたものではありません。')
    const ok = await c.post('/mandate/deletion', { cardId: 'jiro-mynumber', pin: '4321' })
    expect(ok.location).toBe('/mandate/deletion/confirm')

    const confirm = (await c.get('/mandate/deletion/confirm')).text
    expect(confirm).toContain('<h1>利用者情報削除確認(代理人・マイナンバーカード)画面</h1>')
    for (const heading of ['利用者基本情報(利用者情報)', '電子証明書情報', '電子委任状情報'])
      expect(confirm).toContain(`<h2>${heading}</h2>`)
    expect(confirm).toContain('削除した利用者情報は元に戻せません。')
    expect(confirm).toContain('jiro@sample-shoji.example.jp')
    expect(confirm).toContain('POA-2026-0001')
    expect(confirm.indexOf('元に戻せません')).toBeLessThan(confirm.indexOf('>削除</button>'))

    // GEPS fails the first attempt: the deletion waits and is sent again, and applied once.
    geps.faults.failNext = 1
    const oldCookie = c.cookies.get('sid')
    const done = await c.post('/mandate/deletion/confirm', {})
    expect(done.status).toBe(303)
    expect(c.cookies.get('sid')).not.toBe(oldCookie)
    const complete = await c.get(pathOf(done.location))
    expect(complete.text).toContain('<h1>利用者情報削除完了(代理人・マイナンバーカード)画面</h1>')
    expect(complete.text).toContain('利用者情報の削除が完了しました。')
    const changeId = pathOf(done.location).split('/').at(-1) ?? ''

    // Every session of his has ended: this one's old cookie and the other browser's.
    expect((await otherBrowser.get('/menu')).location).toBe('/sign-in?why=ended')
    const replay = portalClient(portal)
    replay.cookies.set('sid', oldCookie ?? '')
    expect((await replay.get('/menu')).location).toBe('/sign-in?why=ended')
    // The new session is no one's, and a second [削除] from the old one changes nothing.
    expect((await c.get('/menu')).location).toBe('/sign-in')
    expect((await replay.post('/mandate/deletion/confirm', {})).location).toMatch(/^\/sign-in/)
    // His card signs no one in.
    const again = portalClient(portal)
    await again.get('/sign-in')
    expect((await again.post('/sign-in', { cardId: 'jiro-mynumber', pin: '4321' })).status).toBe(422)

    await waitUntil(async () => {
      const status = await c.get(`/user-deletion/complete/${changeId}/sync`, { 'hx-request': 'true' })
      return status.text.includes('連携完了')
    }, 'GEPS took the deletion')
    const his = [...geps.deletions.values()].filter((d) => d.userId === DEMO_USER_IDS.jiro)
    expect(his).toHaveLength(1)
    expect(his[0]).toMatchObject({ corporateNumber: '7123456789012', requests: 1 })
    expect(geps.users.has(DEMO_USER_IDS.jiro)).toBe(false)

    // Nothing of him is left outside the audit log, which keeps the deletion with ids only.
    const stored = await everythingStored(db, ['audit_log', 'virtual_cards'])
    expect(stored.length).toBeGreaterThan(1000) // the search looked at real rows
    for (const datum of JIRO) expect(stored, datum).not.toContain(datum)
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'user-deleted')
      .executeTakeFirstOrThrow()
    expect(audit).toMatchObject({ user_id: DEMO_USER_IDS.jiro, outcome: 'success', detail: { changeId } })
    for (const datum of JIRO) expect(JSON.stringify(audit)).not.toContain(datum)
    // Someone else's data stays; the representative's history shows the deletion, by no name.
    expect(stored).toContain('入札 花子')
    const taro = await signedInClient(portal, 'taro-ic', '1234')
    const history = (await taro.get('/business/history')).text
    expect(history).toContain('利用者情報削除（マイナンバーカードで登録した代理人）')
    expect(history).toContain('（削除された利用者）')
  })

  it('leaves a later registration of the same person without his old notices', async () => {
    const db = portal.database.db
    expect(
      await db.selectFrom('notices').select('id').where('user_id', '=', DEMO_USER_IDS.jiro).execute(),
    ).toEqual([])
    // Registered again (there is no registration screen in this portal: the row a registration writes).
    const again = crypto.randomUUID()
    const business = await db.selectFrom('businesses').select('id').executeTakeFirstOrThrow()
    await db
      .insertInto('users')
      .values({
        id: again,
        business_id: business.id,
        role: 'agent',
        card_kind: 'my-number',
        name: '委任 次郎',
        name_kana: 'イニン ジロウ',
        department: '',
        title: '',
        postal_code: '',
        address: '',
        phone: '',
        fax: '',
        email: 'jiro@sample-shoji.example.jp',
        version: 1,
      })
      .execute()
    expect(await kyselyNoticeStore(db).listForUser(again)).toEqual([])
  })
})
