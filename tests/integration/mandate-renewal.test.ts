/**
 * The expired-mandate gate and F3 マイナンバーカード電子委任状更新 through app.request(): 委任 次郎,
 * whose mandate has expired, reaches nothing but マイナンバーカード電子委任状失効画面 until he
 * renews it with POA-2026-0001; each refusal on the way has its own message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import { MANDATE_RENEWED_SUBJECT } from '../../core/domain/mails.ts'
import type { Portal } from '../../main.ts'
import { pathOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

const errorOf = (page: string, field: string) =>
  page.match(new RegExp(`<p class="field-error" id="field-${field}-error">([^<]*)</p>`))?.[1]

describe('the expired-mandate gate', () => {
  it('sends 委任 次郎 to マイナンバーカード電子委任状失効画面 from everywhere, and no one else', async () => {
    const jiro = await signedInClient(portal, 'jiro-mynumber', '4321')
    for (const path of ['/menu', '/user/edit', '/business/history']) {
      const gated = await jiro.get(path)
      expect(gated.status, path).toBe(303)
      expect(gated.location, path).toBe('/mandate/expired')
    }
    // An htmx request is sent there as a whole page; a form post changes nothing on the way.
    const fragment = await jiro.get('/menu', { 'hx-request': 'true' })
    expect(fragment.status).toBe(204)
    expect(fragment.headers.get('hx-redirect')).toBe('/mandate/expired')
    await jiro.get('/mandate/expired') // the session's CSRF token, as any page of his carries it
    const posted = await jiro.post('/user/edit', { title: '部長', action: 'confirm' })
    expect(posted.location).toBe('/mandate/expired')
    const title = await portal.database.db
      .selectFrom('users')
      .select('title')
      .where('id', '=', DEMO_USER_IDS.jiro)
      .executeTakeFirst()
    expect(title?.title).toBe('')
    const screen = await jiro.get('/mandate/expired')
    expect(screen.text).toContain('<h1>マイナンバーカード電子委任状失効画面</h1>')
    expect(screen.text).toContain('受付番号 POA-2025-0042')
    expect(screen.text).toContain('<button type="submit">電子委任状更新</button>')

    const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
    const hers = await hanako.get('/menu')
    expect(hers.status).toBe(200)
    expect(hers.text).not.toContain('href="/mandate/expired"')
    expect((await hanako.get('/mandate/expired')).status).toBe(403)
  })
})

describe('F3 for 委任 次郎', () => {
  it('reads his own card with the signing PIN, asks the provider, refuses what does not fit, and renews once', async () => {
    const [sample, center] = portal.mandateSimulators ?? []
    const geps = portal.gepsSimulator
    if (!sample || !center || !geps) throw new Error('the test portal runs the simulators')
    const c = await signedInClient(portal, 'jiro-mynumber', '4321')
    await c.get('/mandate/expired')

    // His user-authentication certificate, then a signing certificate registered to no one.
    const auth = await c.post('/mandate/expired', { cardId: 'jiro-mynumber', pin: '4321' })
    expect(auth.status).toBe(422)
    expect(auth.text).toContain('マイナンバーカードの署名用電子証明書を読み込めませんでした。')
    const other = await c.post('/mandate/expired', { cardId: 'jiro-mynumber-renewed-signing', pin: 'ABC123' })
    expect(other.text).toContain(
      'このマイナンバーカードは、ログインしている利用者に登録されたものではありません。',
    )
    // A request before the card is read is sent back to the start.
    expect((await c.get('/mandate/renewal/request')).status).toBe(409)

    const read = await c.post('/mandate/expired', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
    expect(read.status).toBe(303)
    expect(read.location).toBe('/mandate/renewal/request')
    const form = (await c.get('/mandate/renewal/request')).text
    expect(form).toContain('<h1>マイナンバーカード電子委任状取得依頼画面</h1>')
    expect(form).toContain('value="7123456789012"')
    expect(form).toContain('サンプル電子委任状サービス')

    const invalid = await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7123456789013',
      referenceNumber: '',
    })
    expect(invalid.status).toBe(422)
    expect(errorOf(invalid.text, 'corporateNumber')).toContain('チェックデジット')
    expect(errorOf(invalid.text, 'referenceNumber')).toBe('電子委任状の受付番号を入力してください。')
    expect(invalid.text).toContain('value="7123456789013"')
    const unknown = await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-1999-0001',
    })
    expect(errorOf(unknown.text, 'referenceNumber')).toContain(
      'この受付番号の電子委任状は、選んだ電子委任状取扱事業者にありませんでした。',
    )
    sample.faults.failNext = 1
    const down = await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-2026-0001',
    })
    expect(down.status).toBe(503)
    expect(down.text).toContain('電子委任状取扱事業者にいま接続できませんでした。')

    // Another business's 法人番号 (the National Tax Agency's, valid): refused next to the field,
    // with what was typed kept, and no provider is asked.
    const askedBefore = sample.lookups.length
    const otherNumber = await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7000012050002',
      referenceNumber: 'POA-2026-0001',
    })
    expect(otherNumber.status).toBe(422)
    expect(errorOf(otherNumber.text, 'corporateNumber')).toContain(
      '法人番号は、あなたの事業者（株式会社サンプル商事）の法人番号 7123456789012 を入力してください。',
    )
    expect(otherNumber.text).toContain('value="7000012050002"')
    expect(sample.lookups.length).toBe(askedBefore)
    // Another business's mandate under our own number: the provider knows none.
    const theirs = await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-2026-0004',
    })
    expect(errorOf(theirs.text, 'referenceNumber')).toContain('選んだ電子委任状取扱事業者にありませんでした')

    // POA-2026-0002 names another agent: the confirm screen says so, and offers no [電子委任状更新].
    await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-2026-0002',
    })
    const otherAgent = (await c.get('/mandate/renewal/confirm')).text
    expect(otherAgent).toContain(
      '受任者が異なります。この電子委任状の受任者は「代理 三郎」で、ログインしている「委任 次郎」さんではありません。',
    )
    expect(otherAgent).not.toContain('<button type="submit">電子委任状更新</button>')
    // POA-2026-0003, at the other provider, lacks the procurement authority.
    await c.post('/mandate/renewal/request', {
      providerId: center.id,
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-2026-0003',
    })
    expect((await c.get('/mandate/renewal/confirm')).text).toContain(
      '代理権に「政府電子調達手続」が含まれていません',
    )

    const fetched = await c.post('/mandate/renewal/request', {
      providerId: sample.id,
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-2026-0001',
    })
    expect(fetched.location).toBe('/mandate/renewal/confirm')
    const confirm = (await c.get('/mandate/renewal/confirm')).text
    for (const heading of ['委任者情報', '受任者情報', '代理権情報'])
      expect(confirm).toContain(`<h2>${heading}</h2>`)
    expect(confirm).toContain('政府電子調達手続')
    const done = await c.post('/mandate/renewal/confirm', {})
    expect(done.status).toBe(303)
    expect((await c.post('/mandate/renewal/confirm', {})).location).toBe(done.location)
    expect((await c.get(pathOf(done.location))).text).toContain(
      '<h1>マイナンバーカード電子委任状更新完了画面</h1>',
    )

    // The gate is lifted; GEPS got the renewal once, with the new mandate; the mail went out.
    const menu = await c.get('/menu')
    expect(menu.status).toBe(200)
    // Renewing again before this one lapses: the menu leads to the same screen, named for it.
    expect(menu.text).toContain('<a href="/mandate/expired">電子委任状更新</a>')
    const early = await c.get('/mandate/expired')
    expect(early.status).toBe(200)
    expect(early.text).toContain('<h1>マイナンバーカード電子委任状更新</h1>')
    expect(early.text).toContain('有効期限が切れる前に、新しい電子委任状に更新できます。')
    const again = await c.post('/mandate/expired', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
    expect(again.location).toBe('/mandate/renewal/request')
    const stored = await portal.database.db
      .selectFrom('mandates')
      .select('reference_number')
      .where('user_id', '=', DEMO_USER_IDS.jiro)
      .executeTakeFirst()
    expect(stored?.reference_number).toBe('POA-2026-0001')
    const renewals = () => [...geps.received.values()].filter((r) => r.kind === 'mandate-renewed')
    for (let i = 0; i < 100 && renewals().length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(renewals()).toHaveLength(1)
    expect(renewals()[0]?.mandate?.referenceNumber).toBe('POA-2026-0001')
    const sink = portal.mailSink
    if (!sink) throw new Error('the test portal runs a mail sink')
    const mail = await sink.waitFor((m) => m.subject === MANDATE_RENEWED_SUBJECT)
    expect(mail.to).toEqual(['jiro@sample-shoji.example.jp'])
    expect(mail.text).toContain('受付番号 POA-2026-0001')
  })
})

describe('F3 after the mandate was asked for again', () => {
  it('refuses the 確認画面 shown before, says why, and leads to the latest one', async () => {
    const [sample] = portal.mandateSimulators ?? []
    if (!sample) throw new Error('the test portal runs the simulators')
    const c = await signedInClient(portal, 'jiro-mynumber', '4321')
    await c.get('/mandate/expired')
    expect(
      (await c.post('/mandate/expired', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })).status,
    ).toBe(303)
    const ask = { providerId: sample.id, corporateNumber: '7123456789012', referenceNumber: 'POA-2026-0001' }
    await c.get('/mandate/renewal/request')
    expect((await c.post('/mandate/renewal/request', ask)).location).toBe('/mandate/renewal/confirm')
    const shown = (await c.get('/mandate/renewal/confirm')).text
    const draftId = /name="draftId" value="([^"]+)"/.exec(shown)?.[1]
    expect(draftId).toBeDefined()
    // Another tab asks again: the screen shown first no longer stands.
    await c.post('/mandate/renewal/request', ask)
    const stale = await c.post('/mandate/renewal/confirm', { draftId: draftId ?? '' })
    expect(stale.status).toBe(409)
    expect(stale.text).toContain('電子委任状の取得依頼がやり直されたため、更新しませんでした。')
    expect(stale.text).toContain('href="/mandate/renewal/confirm"')
  })
})
