/**
 * F4 利用者情報削除 through app.request(): 委任 次郎 deletes himself. Before that he renews his
 * mandate (F3), so that a change of his, its GEPS job and a mail with his name and address are
 * stored too. After [削除] the database holds none of his personal data outside the audit log but
 * his name on the records of his changes, he and the representative are mailed (and the mails'
 * jobs go once sent), every session of his has ended, GEPS received the deletion once (its first
 * attempt failing), and no one else can delete anyone.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import {
  AGENT_DELETED_SUBJECT,
  MANDATE_RENEWED_SUBJECT,
  USER_DELETED_SUBJECT,
} from '../../core/domain/mails.ts'
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
    await waitUntil(
      () => [...geps.received.values()].some((r) => r.kind === 'mandate-renewed'),
      'GEPS took the renewal',
    )
    const jobsOfHis = sql<{
      n: number
    }>`select count(*)::int as n from pgboss.job where data->>'userId' = ${DEMO_USER_IDS.jiro}`
    expect((await jobsOfHis.execute(db)).rows[0]?.n).toBeGreaterThan(0)
    // F2 begun in a session that is no one's: its draft holds his renewed card's certificates.
    const renewal = portalClient(portal)
    await renewal.get('/renewal')
    const renewed = {
      kind: 'my-number',
      cardId: 'jiro-mynumber-renewed-signing',
      consent: 'yes',
      pin: 'ABC123',
    }
    expect((await renewal.post('/renewal', renewed)).status).toBe(303)

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
    // The provider by its name, as on F3's screens; never its internal id.
    expect(confirm).toContain('サンプル電子委任状サービス')
    expect(confirm).not.toContain('sample-mandates')
    expect(confirm.indexOf('元に戻せません')).toBeLessThan(confirm.indexOf('>削除</button>'))

    // The same [削除] from another browser of his at the same moment: one deletes, the other is
    // told he is deleted already (or, arriving after, that his session has ended).
    const second = await signedInClient(portal, 'jiro-mynumber', '4321')
    await second.get('/mandate/deletion')
    await second.post('/mandate/deletion', { cardId: 'jiro-mynumber', pin: '4321' })
    await second.get('/mandate/deletion/confirm')

    // GEPS fails the first attempt: the deletion waits and is sent again, and applied once.
    geps.faults.failNext = 1
    const browsers = [c, second]
    const oldCookies = browsers.map((b) => b.cookies.get('sid'))
    const answered = await Promise.all(browsers.map((b) => b.post('/mandate/deletion/confirm', {})))
    const deleted = (r: { location?: string }) => r.location?.startsWith('/user-deletion/complete/') === true
    expect(answered.filter(deleted)).toHaveLength(1)
    const winner = answered.findIndex(deleted)
    const done = answered[winner] as (typeof answered)[number]
    const raced = answered[1 - winner] as (typeof answered)[number]
    if (raced.status === 410) expect(raced.text).toContain('この利用者情報は、既に削除されています。')
    else expect(raced.location).toMatch(/^\/sign-in/)
    const oldCookie = oldCookies[winner]
    const w = browsers[winner] as typeof c
    expect(w.cookies.get('sid')).not.toBe(oldCookie)
    const complete = await w.get(pathOf(done.location))
    expect(complete.text).toContain('<h1>利用者情報削除完了(代理人・マイナンバーカード)画面</h1>')
    expect(complete.text).toContain('利用者情報の削除が完了しました。')
    const changeId = pathOf(done.location).split('/').at(-1) ?? ''
    const receipt = /受付番号: (\d{8}-\d{6,})/.exec(complete.text)?.[1]
    expect(receipt).toBeDefined()

    // Every session of his has ended: this one's old cookie and the other browser's.
    expect((await otherBrowser.get('/menu')).location).toBe('/sign-in?why=ended')
    const replay = portalClient(portal)
    replay.cookies.set('sid', oldCookie ?? '')
    expect((await replay.get('/menu')).location).toBe('/sign-in?why=ended')
    // The new session is no one's, and a second [削除] from the old one changes nothing.
    expect((await w.get('/menu')).location).toBe('/sign-in')
    expect((await replay.post('/mandate/deletion/confirm', {})).location).toMatch(/^\/sign-in/)
    // His card signs no one in.
    const again = portalClient(portal)
    await again.get('/sign-in')
    expect((await again.post('/sign-in', { cardId: 'jiro-mynumber', pin: '4321' })).status).toBe(422)

    await waitUntil(async () => {
      const status = await w.get(`/user-deletion/complete/${changeId}/sync`, { 'hx-request': 'true' })
      return status.text.includes('連携完了')
    }, 'GEPS took the deletion')
    const his = [...geps.deletions.values()].filter((d) => d.userId === DEMO_USER_IDS.jiro)
    expect(his).toHaveLength(1)
    expect(his[0]).toMatchObject({ corporateNumber: '7123456789012', requests: 1 })
    expect(geps.users.has(DEMO_USER_IDS.jiro)).toBe(false)

    // GEPS lists the deletion on its page and in its API.
    const gepsPage = await (await geps.app.request('/')).text()
    expect(gepsPage).toContain('受信した利用者の削除')
    expect(gepsPage).toContain(DEMO_USER_IDS.jiro)
    const gepsDeletions = (await (await geps.app.request('/api/v1/user-deletions')).json()) as unknown[]
    expect(gepsDeletions).toContainEqual(
      expect.objectContaining({
        idempotencyKey: changeId,
        portalReceiptNumber: receipt,
        userId: DEMO_USER_IDS.jiro,
        requests: 1,
      }),
    )

    // Two mails: to the address he had (the deletion is done) and to the representative (an
    // agent of his business deleted himself, when, what went). Their jobs go once they are sent.
    const toHim = await sink.waitFor((m) => m.subject === USER_DELETED_SUBJECT)
    expect(toHim.to).toEqual(['jiro@sample-shoji.example.jp'])
    expect(toHim.text).toContain(`受付番号: ${receipt}`)
    expect(toHim.text).toContain('サンプル電子委任状サービス（受付番号 POA-2026-0001）')
    const toTaro = await sink.waitFor((m) => m.subject === AGENT_DELETED_SUBJECT)
    expect(toTaro.to).toEqual(['taro@sample-shoji.example.jp'])
    expect(toTaro.text).toContain(
      '貴社の代理人 委任 次郎 さんの利用者情報が、調達ポータルから削除されました。',
    )
    expect(toTaro.text).toContain('削除した人: 委任 次郎（本人。マイナンバーカードで本人確認のうえ削除）')
    expect(toTaro.text).toContain(`受付番号: ${receipt}`)
    const jobsNaming = sql<{
      n: number
    }>`select count(*)::int as n from pgboss.job where data::text like ${'%jiro@%'}`
    await waitUntil(async () => (await jobsNaming.execute(db)).rows[0]?.n === 0, 'the mails’ jobs are gone')

    // Nothing of him is left outside the audit log, which keeps the deletion with ids only, but
    // his name on the records of the changes he made for the business.
    const stored = await everythingStored(db, ['audit_log', 'virtual_cards'])
    expect(stored.length).toBeGreaterThan(1000) // the search looked at real rows
    for (const datum of JIRO.filter((d) => d !== '委任 次郎')) expect(stored, datum).not.toContain(datum)
    const withoutChanges = await everythingStored(db, ['audit_log', 'virtual_cards', 'user_changes'])
    expect(withoutChanges).not.toContain('委任 次郎')
    const records = await db
      .selectFrom('user_changes')
      .select(['kind', 'made_by_name', 'before', 'after', 'sync_state'])
      .where('user_id', '=', DEMO_USER_IDS.jiro)
      .orderBy('created_at')
      .execute()
    expect(records.map((r) => [r.kind, r.made_by_name])).toEqual([
      ['mandate-renewed', '委任 次郎'],
      ['user-deleted', '委任 次郎'],
    ])
    expect((await jobsOfHis.execute(db)).rows[0]?.n).toBe(1) // the deletion's own GEPS job, ids only
    expect(
      await db.selectFrom('notices').select('id').where('user_id', '=', DEMO_USER_IDS.jiro).execute(),
    ).toEqual([])
    const audits = await db.selectFrom('audit_log').selectAll().where('action', '=', 'user-deleted').execute()
    expect(audits).toHaveLength(1)
    expect(audits[0]).toMatchObject({ user_id: DEMO_USER_IDS.jiro, outcome: 'success', detail: { changeId } })
    for (const datum of JIRO) expect(JSON.stringify(audits[0])).not.toContain(datum)
    // Someone else's data stays; the representative's history keeps that he existed, what he
    // did (his F3) and that he was deleted, by name.
    expect(stored).toContain('入札 花子')
    const taro = await signedInClient(portal, 'taro-ic', '1234')
    const history = (await taro.get('/business/history')).text
    expect(history).toContain('利用者情報削除（マイナンバーカードで登録した代理人）')
    expect(history).toContain('<td>委任 次郎（削除済みの利用者）</td>')
    expect(history.match(/委任 次郎（削除済みの利用者）/g)).toHaveLength(2)
    expect(history).toContain('<li>電子委任状更新</li>')
  })
})
