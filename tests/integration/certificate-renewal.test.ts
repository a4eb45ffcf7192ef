/**
 * F2 電子証明書更新 without signing in, through app.request(): 更新 三郎, whose registered IC card
 * has expired, replaces it with his new card; every refusal on the way has its own message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CERTIFICATE_RENEWED_SUBJECT } from '../../core/domain/mails.ts'
import type { Portal } from '../../main.ts'
import { demoCardFile } from '../support/demo-card-files.ts'
import { pathOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient, signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

/** The certificates of every user but `name`, by fingerprint. */
const otherCertificates = async (name: string) =>
  (
    await portal.database.db
      .selectFrom('certificates')
      .innerJoin('users', 'users.id', 'certificates.user_id')
      .select('certificates.fingerprint')
      .where('users.name', '<>', name)
      .orderBy('certificates.fingerprint')
      .execute()
  ).map((r) => r.fingerprint)

describe('F2 for a private IC card', () => {
  it('is offered where sign-in with the expired card fails', async () => {
    const c = portalClient(portal)
    await c.get('/sign-in')
    const refused = await c.post('/sign-in', { cardId: 'saburo-ic-expired', pin: '5678' })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('電子証明書の有効期限が切れています')
    expect(refused.text).toContain('<a href="/renewal">電子証明書更新</a>')
  })

  it('renews the expired certificate with the new one, once, refusing each wrong card by name', async () => {
    const othersBefore = await otherCertificates('更新 三郎')
    const c = portalClient(portal)
    const choice = await c.get('/renewal')
    expect(choice.text).toContain('<h1>更新する電子証明書の種別選択画面</h1>')
    expect(choice.text).toContain('民間電子証明書（ICカード・ファイルタイプ）')

    const unregistered = await c.post('/renewal', { cardId: 'saburo-ic-new', pin: '5678' })
    expect(unregistered.status).toBe(422)
    expect(unregistered.text).toContain('この電子証明書は調達ポータルに登録されていません。')
    const revoked = await c.post('/renewal', { cardId: 'hanako-revoked', pin: 'hanako-2026' })
    expect(revoked.text).toMatch(/この電子証明書は\d{4}年\d{1,2}月\d{1,2}日に失効しています。/)

    const old = await c.post('/renewal', { cardId: 'saburo-ic-expired', pin: '5678' })
    expect(old.status).toBe(303)
    expect(old.location).toBe('/renewal/new')
    expect((await c.get('/renewal/new')).text).toContain('<h1>更新する電子証明書の読み込み画面</h1>')

    const someoneElse = await c.post('/renewal/new', { cardId: 'taro-ic-new', pin: '1234' })
    expect(someoneElse.status).toBe(422)
    expect(someoneElse.text).toContain(
      '新しい電子証明書の名義（調達 太郎）が、登録済みの電子証明書の名義（更新 三郎）と異なります。新しい代理人を登録する場合は、電子証明書更新ではなく利用者登録を行ってください。',
    )
    const stillExpired = await c.post('/renewal/new', { cardId: 'saburo-ic-expired', pin: '5678' })
    expect(stillExpired.text).toContain('更新先には、有効期間内の新しい電子証明書を読み込んでください。')

    const fresh = await c.post('/renewal/new', { cardId: 'saburo-ic-new', pin: '5678' })
    expect(fresh.status).toBe(303)
    expect(fresh.location).toBe('/renewal/confirm')
    const confirm = (await c.get('/renewal/confirm')).text
    expect(confirm).toContain('<h1>電子証明書の更新確認画面</h1>')
    for (const heading of ['更新元電子証明書情報', '更新先電子証明書情報', '事業者情報']) {
      expect(confirm).toContain(`<h2>${heading}</h2>`)
    }
    expect(confirm).toContain('<button type="submit">更新実行</button>')

    const done = await c.post('/renewal/confirm', {})
    expect(done.status).toBe(303)
    expect((await c.post('/renewal/confirm', {})).location).toBe(done.location)
    const complete = (await c.get(pathOf(done.location))).text
    expect(complete).toContain('<h1>電子証明書更新完了画面</h1>')
    // Back to the confirm screen after [更新実行]: the renewal is done, and shown as done.
    const back = await c.get('/renewal/confirm')
    expect(back.status).toBe(303)
    expect(back.location).toBe(done.location)

    // The new card signs in; the expired one is no longer registered (F2 no longer finds it).
    const signIn = portalClient(portal)
    await signIn.get('/sign-in')
    expect((await signIn.post('/sign-in', { cardId: 'saburo-ic-new', pin: '5678' })).status).toBe(303)
    // The replaced card is told it is no longer registered, not sent back to F2.
    const replaced = portalClient(portal)
    await replaced.get('/sign-in')
    expect((await replaced.post('/sign-in', { cardId: 'saburo-ic-expired', pin: '5678' })).text).toContain(
      'この電子証明書は調達ポータルに登録されていません。電子証明書を更新済みの場合は、新しい電子証明書でログインしてください。',
    )
    const again = portalClient(portal)
    await again.get('/renewal')
    expect((await again.post('/renewal', { cardId: 'saburo-ic-expired', pin: '5678' })).text).toContain(
      'この電子証明書は調達ポータルに登録されていません。',
    )

    const sink = portal.mailSink
    if (!sink) throw new Error('the test portal runs a mail sink')
    const mail = await sink.waitFor((m) => m.subject === CERTIFICATE_RENEWED_SUBJECT)
    expect(mail.to).toEqual(['saburo@sample-shoji.example.jp'])
    expect(mail.text).toContain('更新元の電子証明書: シリアル番号')
    const sim = portal.gepsSimulator
    if (!sim) throw new Error('the test portal runs the GEPS simulator')
    let received = [...sim.received.values()].filter((r) => r.kind === 'certificate-renewed')
    for (let i = 0; i < 100 && received.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      received = [...sim.received.values()].filter((r) => r.kind === 'certificate-renewed')
    }
    expect(received).toHaveLength(1)
    expect(received[0]?.certificates).toHaveLength(1)
    const audited = await portal.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'certificate-renewed')
      .execute()
    expect(audited).toHaveLength(1)
    // The business's other users keep every certificate they had.
    expect(await otherCertificates('更新 三郎')).toEqual(othersBefore)
    // The representative's history names it a renewal.
    const history = (await (await signedInClient(portal, 'taro-ic', '1234')).get('/business/history')).text
    expect(history).toContain('<li>電子証明書更新</li>')
    expect(history).toMatch(/<li>更新元の電子証明書: シリアル番号 [0-9a-f]+<\/li>/)
  })

  it('cannot skip the first read', async () => {
    const c = portalClient(portal)
    await c.get('/renewal')
    const opened = await c.get('/renewal/new')
    expect(opened.status).toBe(409)
    expect(opened.text).toContain('この画面は、登録済みの電子証明書を読み込んだ後に使います。')
    const skipped = await c.post('/renewal/new', { cardId: 'saburo-ic-new', pin: '5678' })
    expect(skipped.status).toBe(409)
    expect(skipped.text).toContain('最初からやり直してください')
  })
})

describe('F2 with a My Number card', () => {
  const renewed = { kind: 'my-number', cardId: 'jiro-mynumber-renewed-signing', pin: 'ABC123' }

  it('asks for consent, finds the registered certificates through JPKI, and replaces both', async () => {
    const othersBefore = await otherCertificates('委任 次郎')
    const jpki = portal.jpkiSimulator
    const geps = portal.gepsSimulator
    if (!jpki || !geps) throw new Error('the test portal runs the JPKI and GEPS simulators')
    const c = portalClient(portal)
    const choice = (await c.get('/renewal')).text
    expect(choice).toContain('<label for="kind-my-number">マイナンバーカード</label>')
    expect(choice).toContain('旧マイナンバーカード情報を公的個人認証サービスより取得することに同意する')
    // The signing rows of the My Number cards are offered; their user-authentication rows are not.
    expect(choice).toContain('value="jiro-mynumber-renewed-signing"')
    expect(choice).not.toContain('value="jiro-mynumber-renewed"')

    // Without consent: refused before the card is read, so no PIN try is spent; the choice is kept.
    const lookupsBefore = jpki.requests()
    const noConsent = await c.post('/renewal', renewed)
    expect(noConsent.status).toBe(422)
    expect(noConsent.text).toContain('公的個人認証サービスより取得することへの同意が必要です')
    expect(noConsent.text).toMatch(/id="kind-my-number" name="kind" value="my-number" checked/)
    expect(noConsent.text).toMatch(/value="jiro-mynumber-renewed-signing" checked/)
    expect(noConsent.text).toContain('（署名用PIN入力 残り5回）')
    expect(jpki.requests()).toBe(lookupsBefore)

    const wrongFormat = await c.post('/renewal', { ...renewed, pin: '4321', consent: 'yes' })
    expect(wrongFormat.text).toContain('署名用電子証明書のパスワードは、英字と数字の6〜16文字です。')
    const notMyNumber = await c.post('/renewal', {
      kind: 'my-number',
      cardId: 'taro-ic',
      pin: '1234',
      consent: 'yes',
    })
    expect(notMyNumber.text).toContain('マイナンバーカードの署名用電子証明書を読み込めませんでした。')
    // His current card is the registered one: the renewed card is the one to read.
    const current = await c.post('/renewal', { ...renewed, cardId: 'jiro-mynumber-signing', consent: 'yes' })
    expect(current.text).toContain('この電子証明書はすでに調達ポータルに登録されています。')
    // A My Number card read as a private certificate is sent to the My Number path.
    const asPrivate = await c.post('/renewal', {
      kind: 'private',
      cardId: 'jiro-mynumber-signing',
      pin: 'ABC123',
    })
    expect(asPrivate.text).toContain('これはマイナンバーカードの電子証明書です。')
    // A file cannot give both of a My Number card's certificates.
    const file = await c.postMultipart('/renewal', {
      kind: 'my-number',
      consent: 'yes',
      p12: await demoCardFile(portal, 'hanako-file', 'pw'),
      password: 'pw',
    })
    expect(file.text).toContain(
      'マイナンバーカードでの更新は、カードリーダでマイナンバーカードを読み込んで行います。',
    )

    jpki.faults.failNext = 1
    const down = await c.post('/renewal', { ...renewed, consent: 'yes' })
    expect(down.status).toBe(503)
    expect(down.text).toContain(
      '公的個人認証サービスにいま接続できませんでした。登録内容は変更していません。',
    )

    // Screen 2 is skipped: the review follows, with both certificates of each card.
    const read = await c.post('/renewal', { ...renewed, consent: 'yes' })
    expect(read.status).toBe(303)
    expect(read.location).toBe('/renewal/confirm')
    const confirm = (await c.get('/renewal/confirm')).text
    for (const which of ['署名用電子証明書', '利用者証明用電子証明書']) {
      expect(confirm).toContain(`<h2>更新元電子証明書情報（${which}）</h2>`)
      expect(confirm).toContain(`<h2>更新先電子証明書情報（${which}）</h2>`)
    }
    const done = await c.post('/renewal/confirm', {})
    expect(done.status).toBe(303)
    expect((await c.get(pathOf(done.location))).text).toContain('<h1>電子証明書更新完了画面</h1>')

    // The renewed card signs in with its user-authentication PIN; the old card is no longer registered.
    const signIn = portalClient(portal)
    await signIn.get('/sign-in')
    expect((await signIn.post('/sign-in', { cardId: 'jiro-mynumber', pin: '4321' })).text).toContain(
      'この電子証明書は調達ポータルに登録されていません',
    )
    expect((await signIn.post('/sign-in', { cardId: 'jiro-mynumber-renewed', pin: '4321' })).status).toBe(303)

    const sink = portal.mailSink
    if (!sink) throw new Error('the test portal runs a mail sink')
    const mail = await sink.waitFor(
      (m) => m.subject === CERTIFICATE_RENEWED_SUBJECT && m.to.includes('jiro@sample-shoji.example.jp'),
    )
    expect(mail.text.match(/更新元の電子証明書: /g)).toHaveLength(2)
    expect(mail.text.match(/更新先の電子証明書: /g)).toHaveLength(2)
    const jiroChanges = () =>
      [...geps.received.values()].filter(
        (r) => r.kind === 'certificate-renewed' && r.user.email === 'jiro@sample-shoji.example.jp',
      )
    for (let i = 0; i < 100 && jiroChanges().length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(jiroChanges()).toHaveLength(1)
    expect(jiroChanges()[0]?.certificates).toHaveLength(2)
    expect(await otherCertificates('委任 次郎')).toEqual(othersBefore)

    const audit = await portal.database.db
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('action', '=', 'jpki-link-lookup')
      .execute()
    expect(audit.length).toBeGreaterThan(0)
    expect(audit.every((a) => (a.detail as { consent?: boolean }).consent === true)).toBe(true)
  })
})
