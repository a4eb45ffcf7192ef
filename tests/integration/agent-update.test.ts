/**
 * The whole slice through app.request(): 入札 花子 signs in with her virtual card, updates her user
 * information, and the change reaches the GEPS simulator over HTTP and the mail a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GEPS_NOTICE_SUBJECT } from '../../adapters/dev/geps.simulator.ts'
import { ADDRESS_CHANGED_SUBJECT, USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import type { Portal } from '../../main.ts'
import { contactInput } from '../support/contact-input.ts'
import { formClient, pathOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

const client = () => portalClient(portal)

const signedInAsHanako = async () => {
  const c = client()
  await c.get('/sign-in')
  const signIn = await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
  expect(signIn.status).toBe(303)
  return c
}

const NEW_VALUES = contactInput()

describe('an agent updates their user information (F1)', () => {
  it('says a wrong password is wrong, and signs in with the right one', async () => {
    const c = client()
    const page = await c.get('/sign-in')
    expect(page.text).toContain('入札 花子（代理人・ファイル）')
    const wrong = await c.post('/sign-in', { cardId: 'hanako-file', pin: 'nope' })
    expect(wrong.status).toBe(422)
    expect(wrong.text).toContain('<title>エラー: ログイン')
    expect(wrong.text).toContain('パスワードが正しくありません。')
    const wrongPin = await c.post('/sign-in', { cardId: 'taro-ic', pin: '9999' })
    expect(wrongPin.text).toContain('PINが正しくありません。あと4回間違えるとカードがロックされます。')
    const revoked = await c.post('/sign-in', { cardId: 'hanako-revoked', pin: 'hanako-2026' })
    expect(revoked.status).toBe(422)
    expect(revoked.text).toMatch(/この電子証明書は\d{4}年\d{1,2}月\d{1,2}日に失効しています。/)
    const right = await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
    expect(right.status).toBe(303)
    expect(pathOf(right.location)).toBe('/menu')
    expect((await c.get('/menu')).text).toContain('入札 花子 様')
  })

  it('refuses bad input field by field, in Japanese, keeping what was typed', async () => {
    const c = await signedInAsHanako()
    const page = await c.get('/user/edit')
    expect(page.text).toContain('<h1>更新する利用者情報の入力画面(代表者以外の代理人等)</h1>')
    for (const label of [
      '役職名',
      '郵便番号',
      '住所',
      '電話番号',
      'FAX番号',
      'メールアドレス',
      'メールアドレス(確認)',
    ]) {
      expect(page.text).toMatch(new RegExp(`<label for="field-[A-Za-z]+">${label.replace(/[()]/g, '\\$&')}`))
    }
    // In the manual's order: 役職名、住所、郵便番号、電話番号、FAX番号、メールアドレス.
    const at = (field: string) => page.text.indexOf(`<label for="field-${field}">`)
    const order = ['title', 'address', 'postalCode', 'phone', 'fax', 'email'].map(at)
    expect(order.every((i) => i > 0)).toBe(true)
    expect(order).toEqual([...order].sort((a, b) => a - b))
    // The menu names every field of that screen.
    expect((await c.get('/menu')).text).toContain(
      '役職名、住所、郵便番号、電話番号、FAX番号、メールアドレス、電子証明書情報を更新します。',
    )
    expect(page.text).not.toContain('商号又は名称')
    // The certificate list, read only: the holder and the issuer by name.
    expect(page.text).toMatch(/<td>入札 花子<br>株式会社サンプル商事<\/td><td>テスト民間認証局<\/td>/)
    const refused = await c.post('/user/edit', {
      ...NEW_VALUES,
      postalCode: '12-34',
      phone: 'でんわ',
      emailConfirmation: 'other@sample-shoji.example.jp',
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('<title>エラー: 更新する利用者情報の入力画面')
    expect(refused.text).toContain('id="error-summary"')
    expect(refused.text).toContain(
      '<a href="#field-postalCode">郵便番号: 郵便番号は7桁の数字で入力してください',
    )
    expect(refused.text).toContain('id="field-phone-error">電話番号は数字とハイフンで入力してください')
    expect(refused.text).toContain('メールアドレス(確認)がメールアドレスと一致しません。')
    expect(refused.text).toContain('value="12-34"')
    expect(refused.text).toContain('value="でんわ"')
    expect(refused.text).toContain('value="東京都千代田区千代田1-1"')
  })

  it('confirms, completes once, syncs to GEPS and mails both addresses and GEPS’s notice', async () => {
    const c = await signedInAsHanako()
    await c.get('/user/edit')
    // The address typed through an IME, in full width: the half-width address is registered.
    const toConfirm = await c.post('/user/edit', {
      ...NEW_VALUES,
      email: 'ｈａｎａｋｏ．ｎｅｗ＠ｓａｍｐｌｅ－ｓｈｏｊｉ．ｅｘａｍｐｌｅ．ｊｐ',
      emailConfirmation: 'hanako.new@sample-shoji.example.jp',
      // Typed without hyphens: registered, and shown before [更新], in the numbering plan's form.
      phone: '0311112222',
      fax: '0466123456',
    })
    expect(toConfirm.status).toBe(303)
    expect(pathOf(toConfirm.location)).toBe('/user/confirm')

    const confirm = await c.get('/user/confirm')
    expect(confirm.text).toContain('<h1>利用者情報の更新確認画面</h1>')
    expect(confirm.text).toMatch(
      /郵便番号 <span class="badge">変更<\/span><\/th><td>100-0013<\/td><td>100-0001<\/td>/,
    )
    expect(confirm.text).toContain('<button type="submit">更新</button>')
    expect(confirm.text).toMatch(
      /電話番号( <span class="badge">変更<\/span>)?<\/th><td>[^<]*<\/td><td>03-1111-2222<\/td>/,
    )
    expect(confirm.text).toContain('<td>0466-12-3456</td>')
    expect(confirm.text).not.toContain('0311112222')
    expect(portal.gepsSimulator?.received.size).toBe(0)

    const done = await c.post('/user/confirm', {})
    expect(done.status).toBe(303)
    const again = await c.post('/user/confirm', {})
    expect(again.location).toBe(done.location)
    const completePath = pathOf(done.location)
    expect(completePath).toMatch(/^\/user\/complete\/[0-9a-f-]{36}$/)
    const complete = await c.get(completePath)
    expect(complete.text).toContain('<h1>利用者情報の更新完了画面</h1>')
    expect(complete.text).toContain('利用者情報の更新が完了しました。')

    const sink = portal.mailSink
    if (!sink) throw new Error('the test portal runs a mail sink')
    const portalMail = await sink.waitFor((m) => m.subject === USER_UPDATED_SUBJECT)
    expect(portalMail.to).toEqual(['hanako.new@sample-shoji.example.jp'])
    expect(portalMail.text).toContain('郵便番号: 100-0013 → 100-0001')
    const oldAddress = await sink.waitFor((m) => m.subject === ADDRESS_CHANGED_SUBJECT)
    expect(oldAddress.to).toEqual(['hanako@sample-shoji.example.jp'])
    const gepsMail = await sink.waitFor((m) => m.subject === GEPS_NOTICE_SUBJECT)
    expect(gepsMail.to).toEqual(['hanako.new@sample-shoji.example.jp'])

    const received = [...(portal.gepsSimulator?.received.values() ?? [])]
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({
      requests: 1,
      user: { postalCode: '100-0001', title: '部長', name: '入札 花子' },
    })
    expect(sink.mails.filter((m) => m.subject === USER_UPDATED_SUBJECT)).toHaveLength(1)

    let status = ''
    for (let i = 0; i < 50 && !status.includes('連携完了'); i++) {
      await new Promise((r) => setTimeout(r, 100))
      status = (await c.get(completePath)).text
    }
    expect(status).toContain('連携完了')
    expect(status).toContain(received[0]?.receiptNumber ?? 'no receipt')

    // Back at the input screen, the registered values are the new ones, with no draft notice.
    const edit = await c.get('/user/edit')
    expect(edit.text).toContain('value="100-0001"')
    expect(edit.text).not.toContain('まだ更新していない')
  })
})

describe('going back from the confirm screen', () => {
  it('shows what was typed, not yet committed, until the user asks for the registered values', async () => {
    const c = await signedInAsHanako()
    await c.get('/user/edit')
    await c.post('/user/edit', { ...NEW_VALUES, title: '戻るテスト' })
    const back = await c.get('/user/edit')
    expect(back.text).toContain('value="戻るテスト"')
    expect(back.text).toContain('まだ更新していない入力内容を表示しています')
    const fresh = await c.get('/user/edit?fresh=1')
    expect(fresh.text).not.toContain('value="戻るテスト"')
    expect(fresh.text).not.toContain('まだ更新していない')
  })
})

describe('two tabs', () => {
  it('commits only what the posted confirm screen showed', async () => {
    const c = await signedInAsHanako()
    await c.get('/user/edit')
    await c.post('/user/edit', { ...NEW_VALUES, title: 'タブA' })
    const tabA = await c.get('/user/confirm')
    expect(tabA.text).toContain('タブA')
    const tabADraft = c.hiddenFields().draftId ?? ''
    await c.post('/user/edit', { ...NEW_VALUES, title: 'タブB' })
    const refused = await c.post('/user/confirm', { draftId: tabADraft })
    expect(refused.status).toBe(409)
    expect(refused.text).toContain('別の画面で入力内容が変更されました')
    const tabB = await c.get('/user/confirm')
    expect(tabB.text).toContain('タブB')
    const done = await c.post('/user/confirm', {})
    expect(done.status).toBe(303)
    expect((await c.get('/user/edit')).text).toContain('value="タブB"')
  })
})

describe('every request passes the same gates', () => {
  it('refuses a POST without the session’s CSRF token, or from another origin, and changes nothing', async () => {
    const c = await signedInAsHanako()
    await c.get('/user/edit')
    const noToken = await c.postWithoutToken('/user/edit', { ...NEW_VALUES, title: '社長' })
    expect(noToken.status).toBe(403)
    expect(noToken.text).toContain('変更は行われていません')
    const otherOrigin = await c.post(
      '/user/edit',
      { ...NEW_VALUES, title: '社長' },
      { origin: 'https://evil.example' },
    )
    expect(otherOrigin.status).toBe(403)
    expect((await c.get('/user/confirm')).status).toBe(409)
  })

  it('sends a visitor without a session to the sign-in page', async () => {
    const c = client()
    const edit = await c.get('/user/edit')
    expect(edit.status).toBe(303)
    expect(edit.location).toBe('/sign-in')
    // A form posted with no session cookie at all: the browser refuses cookies.
    const post = await c.postWithoutToken('/user/confirm', {})
    expect(post.status).toBe(303)
    expect(post.location).toBe('/sign-in?why=cookies')
    expect((await c.get('/sign-in?why=cookies')).text).toContain('この操作にはCookieが必要です')
  })

  it('says why when the session ended in the middle of a form (signed out in another tab)', async () => {
    const c = await signedInAsHanako()
    await c.get('/user/edit')
    const csrf = c.hiddenFields()._csrf ?? ''
    const other = formClient((path, init) => Promise.resolve(portal.app.request(path, init)))
    for (const [k, v] of c.cookies) other.cookies.set(k, v)
    await other.get('/menu')
    expect((await other.post('/sign-out', { _csrf: csrf })).status).toBe(303)

    const viaHtmx = await c.post('/user/edit', NEW_VALUES, { 'HX-Request': 'true' })
    expect(viaHtmx.status).toBe(204)
    expect(viaHtmx.headers.get('hx-redirect')).toBe('/sign-in?why=ended')
    const plain = await c.post('/user/edit', NEW_VALUES)
    expect(plain.location).toBe('/sign-in?why=ended')
    const page = await c.get('/sign-in?why=ended')
    expect(page.text).toContain('ログインの有効期限が切れたか、ログアウトされたため')
  })

  it('answers a full page, an htmx fragment, or a simplified page from one route', async () => {
    const c = await signedInAsHanako()
    const full = await c.get('/user/edit')
    expect(full.text).toMatch(/^<!doctype html>/)
    expect(full.text).toContain('<script src="/assets/htmx.min.js"')
    expect(full.headers.get('vary')).toContain('HX-Request')

    const fragment = await c.get('/user/edit', { 'HX-Request': 'true' })
    expect(fragment.text).not.toContain('<html')
    expect(fragment.text).toMatch(/^<title>更新する利用者情報の入力画面/)
    expect(fragment.text).toContain('<main id="main">')
    expect(fragment.headers.get('vary')).toContain('HX-Request')
    expect(fragment.headers.get('hx-push-url')).toBe('/user/edit')

    const restore = await c.get('/user/edit', { 'HX-Request': 'true', 'HX-History-Restore-Request': 'true' })
    expect(restore.text).toMatch(/^<!doctype html>/)

    const simple = await c.get('/user/edit?view=simple')
    expect(simple.text).toContain('<form method="post" action="/user/edit"')
    expect(simple.text).not.toMatch(/<script|<style|stylesheet|style="|hx-/)
    expect(simple.text).toContain('<label for="field-postalCode">郵便番号')
    // One [確認], after the fields: not the full page's hidden default button before them.
    expect(simple.text.match(/>確認<\/button>/g)).toHaveLength(1)
    expect(simple.text.indexOf('>確認</button>')).toBeGreaterThan(simple.text.indexOf('field-email'))
    expect((await c.get('/user/edit?view=full')).text).toContain('data-default-submit>確認</button>')
  })

  it('answers 404, not 500, for a change id that is not one, or is someone else’s', async () => {
    // 調達 太郎 makes a change of his own.
    const taro = client()
    await taro.get('/sign-in')
    await taro.post('/sign-in', { cardId: 'taro-ic', pin: '1234' })
    await taro.get('/user/edit')
    await taro.post('/user/edit', {
      ...contactInput({ title: '代表取締役社長', email: 'taro@sample-shoji.example.jp' }),
      nameKana: 'チョウタツ タロウ',
      department: '',
    })
    await taro.get('/user/confirm')
    const taroChange = pathOf((await taro.post('/user/confirm', {})).location)
    expect(taroChange).toMatch(/^\/user\/complete\/[0-9a-f-]{36}$/)
    expect((await taro.get(taroChange)).status).toBe(200)

    const c = await signedInAsHanako()
    for (const path of [
      taroChange,
      taroChange.replace('/user/complete/', '/user/changes/').concat('/sync'),
      '/user/complete/not-a-uuid',
      '/user/complete/00000000-0000-4000-8000-00000000ffff',
      `/user/complete/${'9'.repeat(5000)}`,
      '/user/changes/xyz/sync',
    ]) {
      const res = await c.get(path, { 'HX-Request': 'true' })
      expect(res.status, path).toBe(404)
      expect(res.headers.get('vary'), path).toContain('HX-Request')
    }
  })

  it('serves htmx from its own origin', async () => {
    const res = await portal.app.request('/assets/htmx.min.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('javascript')
    expect(await res.text()).toContain('htmx')
  })
})
