/**
 * F1 for the representative (代表者): the business's fields and their own, through app.request(),
 * on the backend under test, with the GEPS simulator over HTTP and the mail at a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { currentCycle } from '../../core/domain/qualifications.ts'
import type { Portal } from '../../main.ts'
import { pathOf, textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

const signedIn = (cardId: string, pin: string) => signedInClient(portal, cardId, pin)

/** Every field of the representative's input screen, as the demo data has them. */
const TARO_FORM = {
  businessName: '株式会社サンプル商事',
  businessNameKana: 'サンプルショウジ',
  representativeTitle: '代表取締役',
  representativeName: '調達 太郎',
  representativeNameKana: 'チョウタツ タロウ',
  businessPostalCode: '100-0013',
  businessAddress: '東京都千代田区霞が関三丁目1番1号',
  businessPhone: '03-1234-5678',
  businessFax: '03-1234-5679',
  nameKana: 'チョウタツ タロウ',
  department: '',
  title: '代表取締役',
  postalCode: '100-0013',
  address: '東京都千代田区霞が関三丁目1番1号',
  phone: '03-1234-5678',
  fax: '03-1234-5679',
  email: 'taro@sample-shoji.example.jp',
  emailConfirmation: 'taro@sample-shoji.example.jp',
}

describe('the representative’s input screen', () => {
  it('has the business section before the user section, 法人番号 shown but not editable', async () => {
    const c = await signedIn('taro-ic', '1234')
    const page = (await c.get('/user/edit')).text
    expect(page).toContain('<h1>更新する利用者情報の入力画面(代表者)</h1>')
    expect(page.indexOf('<h2>利用者基本情報(事業者情報)</h2>')).toBeLessThan(
      page.indexOf('<h2>利用者基本情報(利用者情報)</h2>'),
    )
    expect(page).toMatch(/<dt>法人番号<\/dt><dd>7123456789012<\/dd>/)
    expect(page).not.toMatch(/name="corporateNumber"/)
    for (const label of ['商号又は名称', '代表者役職', '代表者氏名', '所在地', '部署名']) {
      expect(page).toMatch(new RegExp(`<label for="field-[A-Za-z]+">${label}</label>`))
    }
    expect(page).toContain(
      '<label for="field-businessNameKana">フリガナ<span class="qualifier">（商号又は名称）</span></label>',
    )
    expect(page).toContain(
      '<label for="field-businessPostalCode">郵便番号<span class="qualifier">（事業者）</span></label>',
    )
  })

  it('refuses a character GEPS cannot store, naming it and its usual replacement, keeping the input', async () => {
    const c = await signedIn('taro-ic', '1234')
    await c.get('/user/edit')
    const refused = await c.post('/user/edit', {
      ...TARO_FORM,
      representativeName: '髙橋 太郎',
      businessNameKana: 'ｻﾝﾌﾟﾙｼｮｳｼﾞ①',
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain(
      '代表者氏名に、政府電子調達システム(GEPS)に登録できない文字「髙」が含まれています。「髙」は「高」に置き換えてください。',
    )
    expect(refused.text).toContain('<a href="#field-representativeName">代表者氏名:')
    expect(refused.text).toContain('フリガナ（商号又は名称）は全角カタカナで入力してください')
    expect(refused.text).toContain('value="髙橋 太郎"')
  })
})

describe('the representative’s update', () => {
  it('changes the business and the user together, shown side by side, synced and mailed once', async () => {
    const c = await signedIn('taro-ic', '1234')
    await c.get('/user/edit')
    const toConfirm = await c.post('/user/edit', {
      ...TARO_FORM,
      businessAddress: '東京都千代田区霞が関一丁目2番3号',
      businessPhone: '03-5555-0000',
      department: '経営企画室',
    })
    expect(toConfirm.status).toBe(303)
    const confirm = (await c.get('/user/confirm')).text
    expect(confirm).toContain('<caption>利用者基本情報(事業者情報)</caption>')
    expect(confirm).toMatch(
      /所在地 <span class="badge">変更<\/span><\/th><td>東京都千代田区霞が関三丁目1番1号<\/td><td>東京都千代田区霞が関一丁目2番3号<\/td>/,
    )
    expect(confirm).toMatch(/部署名 <span class="badge">変更<\/span><\/th><td>—<\/td><td>経営企画室<\/td>/)
    expect(confirm).toContain('（3項目を変更）')

    const done = await c.post('/user/confirm', {})
    expect(done.status).toBe(303)
    expect(pathOf(done.location)).toMatch(/^\/user\/complete\//)
    expect((await c.post('/user/confirm', {})).location).toBe(done.location)

    const sink = portal.mailSink
    if (!sink) throw new Error('the test portal runs a mail sink')
    const mail = await sink.waitFor(
      (m) => m.subject === USER_UPDATED_SUBJECT && m.to.includes('taro@sample-shoji.example.jp'),
    )
    expect(mail.text).toContain('所在地: 東京都千代田区霞が関三丁目1番1号 → 東京都千代田区霞が関一丁目2番3号')
    expect(mail.text).toContain('部署名: （なし） → 経営企画室')

    const sim = portal.gepsSimulator
    if (!sim) throw new Error('the test portal runs the GEPS simulator')
    for (let i = 0; i < 100 && !sim.businesses.get('7123456789012')?.address.includes('一丁目'); i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(sim.businesses.get('7123456789012')).toMatchObject({
      address: '東京都千代田区霞が関一丁目2番3号',
      phone: '03-5555-0000',
      version: 2,
    })
    const fromTaro = [...sim.received.values()].filter((r) => r.user.name === '調達 太郎')
    expect(fromTaro).toHaveLength(1)
    expect(fromTaro[0]?.user.department).toBe('経営企画室')
  })

  it('stops the later of two updates of the business, saying what the earlier changed', async () => {
    const first = await signedIn('taro-ic', '1234')
    const second = await signedIn('taro-ic', '1234')
    const current = (await first.get('/user/edit?fresh=1')).text
    const address = /id="field-businessAddress"[^>]*value="([^"]*)"/.exec(current)?.[1] ?? ''
    const phone = /id="field-businessPhone"[^>]*value="([^"]*)"/.exec(current)?.[1] ?? ''
    const base = { ...TARO_FORM, businessAddress: address, businessPhone: phone, department: '経営企画室' }
    await second.get('/user/edit?fresh=1')

    await first.post('/user/edit', { ...base, businessName: '株式会社サンプル商事ホールディングス' })
    await second.post('/user/edit', { ...base, businessFax: '03-5555-0001' })
    await first.get('/user/confirm')
    await second.get('/user/confirm')
    expect((await first.post('/user/confirm', {})).status).toBe(303)

    const later = await second.post('/user/confirm', {})
    expect(later.status).toBe(409)
    expect(later.text).toContain('先に更新されました')
    expect(later.text).toMatch(
      /<th scope="row">商号又は名称<\/th><td>株式会社サンプル商事<\/td><td>株式会社サンプル商事ホールディングス<\/td>/,
    )
    expect(later.text).toContain('href="/user/edit?fresh=1"')
    const again = (await second.get('/user/edit?fresh=1')).text
    expect(again).toContain('value="株式会社サンプル商事ホールディングス"')
    expect(again).not.toContain('value="03-5555-0001"')
  })
})

describe('qualifications (資格情報)', () => {
  /** The first 有効期間 the input screen offers (the current cycle), whatever the day. */
  const offeredPeriod = (page: string) => {
    const select = /<select id="field-qualificationPeriod"[^>]*>([\s\S]*?)<\/select>/.exec(page)?.[1] ?? ''
    const [, firstYear, name] = /<option value="(\d+)">([^<]+)<\/option>/.exec(select) ?? []
    if (!firstYear || !name) throw new Error('the input screen offers a 有効期間')
    return { firstYear, name }
  }
  const SALES = {
    qualificationSupplierCode: '0000012345',
    qualificationKind: '物品の販売',
    qualificationGrade: 'B',
    qualificationRegions: ['関東・甲信越', '近畿'],
  }

  it('stages [追加] and [削除] on the one form, losing nothing typed, and registers them only at [更新]', async () => {
    const c = await signedIn('taro-ic', '1234')
    const page = (await c.get('/user/edit?fresh=1')).text
    expect(page).toContain('<h2>資格情報選択</h2>')
    // The demo's qualification, of the cycle current when the demo was made (demo-data.test.ts).
    const demoPeriod =
      /<td>(令和\d+・\d+・\d+年度)<\/td><td>役務の提供等<\/td><td>A<\/td><td>関東・甲信越、近畿<\/td>/.exec(
        page,
      )?.[1]
    if (!demoPeriod) throw new Error('the input screen lists the demo qualification')
    const period = offeredPeriod(page)
    const sales = { ...SALES, qualificationPeriod: period.firstYear }
    const current = (name: string) =>
      new RegExp(`id="field-${name}"[^>]*value="([^"]*)"`).exec(page)?.[1] ?? ''
    const form = {
      ...TARO_FORM,
      businessName: current('businessName'),
      businessAddress: current('businessAddress'),
      businessPhone: current('businessPhone'),
      businessFax: current('businessFax'),
      department: '購買部',
    }

    const added = await c.post('/user/edit', { ...form, ...sales, action: 'add-qualification' })
    expect(added.status).toBe(200)
    expect(added.text).toContain(
      `${period.name} <span class="staged">（追加予定）</span></td><td>物品の販売</td><td>B</td><td>関東・甲信越、近畿</td>`,
    )
    expect(added.text).toContain('value="購買部"') // typed, not yet confirmed: kept

    const twice = await c.post('/user/edit', {
      ...form,
      ...sales,
      qualificationGrade: 'C',
      action: 'add-qualification',
    })
    expect(twice.status).toBe(422)
    expect(twice.text).toContain(`${period.name}の「物品の販売」はすでに資格情報にあります`)
    expect(twice.text).toContain('value="購買部"')

    const noD = await c.post('/user/edit', {
      ...form,
      ...sales,
      qualificationKind: '物品の買受け',
      qualificationGrade: 'D',
      action: 'add-qualification',
    })
    expect(noD.text).toContain('物品の買受けの等級はA、B、Cのいずれかです（Dはありません）。')

    const demoId = new RegExp(
      `value="remove-qualification:([0-9a-f-]{36})" aria-label="${demoPeriod} 役務の提供等を削除"`,
    ).exec(added.text)?.[1]
    expect(demoId).toBeDefined()
    const removed = await c.post('/user/edit', { ...form, action: `remove-qualification:${demoId}` })
    expect(removed.status).toBe(200)
    expect(removed.text).not.toContain('役務の提供等を削除')

    // Nothing is registered yet: another session of his sees the registered list.
    const other = await signedIn('taro-ic', '1234')
    expect((await other.get('/user/edit?fresh=1')).text).toContain('役務の提供等を削除')

    expect((await c.post('/user/edit', { ...form, action: 'confirm' })).status).toBe(303)
    const confirm = (await c.get('/user/confirm')).text
    expect(confirm).toContain('<caption>資格情報</caption>')
    expect(confirm).toContain(
      `<span class="badge">追加</span></th><td>${period.name}</td><td>物品の販売</td>`,
    )
    expect(confirm).toContain(
      `<span class="badge">削除</span></th><td>${demoPeriod}</td><td>役務の提供等</td>`,
    )

    const done = await c.post('/user/confirm', {})
    expect(done.status).toBe(303)
    const after = (await c.get('/user/edit?fresh=1')).text
    expect(after).toContain('物品の販売を削除')
    expect(after).not.toContain('役務の提供等を削除')
    expect(after).not.toContain('追加予定')

    const sink = portal.mailSink
    if (!sink) throw new Error('the test portal runs a mail sink')
    const mail = await sink.waitFor(
      (m) => m.subject === USER_UPDATED_SUBJECT && m.text.includes('資格情報（追加）'),
    )
    expect(mail.text).toContain(
      `資格情報（追加）: ${period.name} 物品の販売 B等級 関東・甲信越・近畿（業者コード 0000012345）`,
    )
    expect(mail.text).toContain(`資格情報（削除）: ${demoPeriod} 役務の提供等 A等級`)
    const sim = portal.gepsSimulator
    if (!sim) throw new Error('the test portal runs the GEPS simulator')
    let held: { kind: string }[] = []
    for (let i = 0; i < 100 && !held.some((q) => q.kind === '物品の販売'); i++) {
      await new Promise((r) => setTimeout(r, 50))
      held = [...sim.received.values()].at(-1)?.qualifications ?? []
    }
    expect(held.map((q) => q.kind)).toEqual(['物品の販売'])
  })

  it('refuses an agent who posts a qualification, changing nothing', async () => {
    const hanako = await signedIn('hanako-file', 'hanako-2026')
    await hanako.get('/user/edit')
    const refused = await hanako.post('/user/edit', {
      ...SALES,
      qualificationPeriod: String(currentCycle(new Date())), // valid: refused for who she is
      qualificationKind: '物品の製造',
      action: 'add-qualification',
    })
    expect(refused.status).toBe(403)
    // Nothing was staged for her either: her own update goes through without it.
    const page = (await hanako.get('/user/edit?fresh=1')).text
    const field = (name: string) => new RegExp(`id="field-${name}"[^>]*value="([^"]*)"`).exec(page)?.[1] ?? ''
    const own = Object.fromEntries(
      ['title', 'postalCode', 'address', 'phone', 'fax', 'email', 'emailConfirmation'].map((f) => [
        f,
        field(f),
      ]),
    )
    expect((await hanako.post('/user/edit', { ...own, title: '係長', action: 'confirm' })).status).toBe(303)
    expect((await hanako.get('/user/confirm')).text).not.toContain('<caption>資格情報</caption>')
    expect((await hanako.post('/user/confirm', {})).status).toBe(303)
    const taro = await signedIn('taro-ic', '1234')
    expect((await taro.get('/user/edit?fresh=1')).text).not.toContain('物品の製造を削除')
  })

  it('finds a clash again at [確認] when another session registered the same kind first', async () => {
    const first = await signedIn('taro-ic', '1234')
    const second = await signedIn('taro-ic', '1234')
    const page = (await first.get('/user/edit?fresh=1')).text
    await second.get('/user/edit?fresh=1')
    const form = textFieldsOf(page)
    const period = offeredPeriod(page)
    const making = { ...SALES, qualificationPeriod: period.firstYear, qualificationKind: '物品の製造' }
    expect((await first.post('/user/edit', { ...form, ...making, action: 'add-qualification' })).status).toBe(
      200,
    )
    expect(
      (await second.post('/user/edit', { ...form, ...making, action: 'add-qualification' })).status,
    ).toBe(200)
    expect((await second.post('/user/edit', { ...form, action: 'confirm' })).status).toBe(303)
    await second.get('/user/confirm')
    expect((await second.post('/user/confirm', {})).status).toBe(303)

    const clash = await first.post('/user/edit', { ...form, action: 'confirm' })
    expect(clash.status).toBe(422)
    expect(clash.text).toContain(`${period.name}の「物品の製造」はすでに資格情報にあります`)
  })
})

describe('roles on the server', () => {
  it('refuses an agent who posts business fields or fields only the representative may change, changing nothing', async () => {
    const hanako = await signedIn('hanako-file', 'hanako-2026')
    const page = (await hanako.get('/user/edit')).text
    expect(page).not.toContain('利用者基本情報(事業者情報)')
    const agentForm = {
      title: '課長',
      postalCode: '100-0013',
      address: '東京都千代田区霞が関三丁目1番1号',
      phone: '03-1234-5678',
      fax: '03-1234-5679',
      email: 'hanako@sample-shoji.example.jp',
      emailConfirmation: 'hanako@sample-shoji.example.jp',
    }
    const attempts: Record<string, string>[] = [
      { businessName: '乗っ取り商事' },
      { nameKana: 'ノットリ' },
      { department: '乗っ取り部' },
    ]
    for (const extra of attempts) {
      const refused = await hanako.post('/user/edit', { ...agentForm, title: '部長', ...extra })
      expect(refused.status, JSON.stringify(extra)).toBe(403)
      expect(refused.text).toContain('何も変更していません')
      expect((await hanako.get('/user/confirm')).status).toBe(409)
    }
    const taro = await signedIn('taro-ic', '1234')
    expect((await taro.get('/user/edit?fresh=1')).text).not.toContain('乗っ取り')
  })
})

describe('変更履歴', () => {
  it('shows the representative every committed change of the business, newest first, and no one else', async () => {
    const taro = await signedIn('taro-ic', '1234')
    // A change of its own, so that this test stands alone; the other tests' changes may precede it.
    const current = (await taro.get('/user/edit?fresh=1')).text
    const fields = textFieldsOf(current)
    await taro.post('/user/edit', { ...fields, businessFax: '03-7777-0000', action: 'confirm' })
    await taro.get('/user/confirm')
    expect((await taro.post('/user/confirm', {})).status).toBe(303)
    expect((await taro.get('/menu')).text).toContain('<a href="/business/history">変更履歴</a>')
    const page = (await taro.get('/business/history')).text
    expect(page).toContain('<h1>変更履歴</h1>')
    expect(page).toContain(`<li>FAX番号（事業者）: ${fields.businessFax || '（なし）'} → 03-7777-0000</li>`)
    expect(page).toContain('<td>調達 太郎</td>')
    // Newest first: this change stands above every earlier one.
    const rows = [...page.matchAll(/<tr>\s*<td>/g)]
    expect(rows.length).toBeGreaterThanOrEqual(1)
    expect(page.indexOf('03-7777-0000')).toBeLessThan(rows[1]?.index ?? Number.POSITIVE_INFINITY)

    const hanako = await signedIn('hanako-file', 'hanako-2026')
    expect((await hanako.get('/menu')).text).not.toContain('変更履歴')
    const refused = await hanako.get('/business/history')
    expect(refused.status).toBe(403)
    expect(refused.text).not.toContain('所在地')
  })
})
