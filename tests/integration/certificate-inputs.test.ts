/**
 * Every card-read screen takes every input: a card and its PIN, a certificate file sent to the
 * server (no JavaScript), the token the page makes for a file it opened itself, and the reason
 * the page could not open one. Certificate add (F1) and renewal (F2) go through the same reads
 * and the same verifier as sign-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Portal } from '../../main.ts'
import { demoCardFile, demoCardToken } from '../support/demo-card-files.ts'
import type { formClient } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient, signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

/** The page's token for the card `cardId`, over a fresh challenge, as its script posts it. */
const pageToken = async (
  c: ReturnType<typeof formClient>,
  cardId: string,
  options: Parameters<typeof demoCardToken>[3] = {},
) => {
  const { nonce } = JSON.parse((await c.get('/card-read/challenge')).text) as { nonce: string }
  const token = await demoCardToken(portal, cardId, nonce, options)
  return {
    tokenCertificate: token.certificate,
    tokenAlgorithm: token.algorithm,
    tokenSignature: token.signature,
  }
}

const errorOf = (page: string, field: string) =>
  page.match(new RegExp(`<p class="field-error" id="field-${field}-error">([^<]*)</p>`))?.[1]

describe('certificate add (F1) with a file', () => {
  it('stages a certificate file sent to the server, refusing a wrong password next to its field', async () => {
    const c = await signedInClient(portal, 'taro-ic', '1234')
    await c.get('/user/edit')
    const page = await c.get('/user/certificates/add')
    expect(page.text).toContain('enctype="multipart/form-data" data-certificate-file')
    const file = await demoCardFile(portal, 'taro-ic-new', 'taro-file-pass')
    const wrong = await c.postMultipart('/user/certificates/add', { p12: file, password: 'nope' })
    expect(wrong.status).toBe(422)
    expect(errorOf(wrong.text, 'password')).toContain('パスワードが正しくありません。')
    const none = await c.postMultipart('/user/certificates/add', { password: 'taro-file-pass' })
    expect(errorOf(none.text, 'p12')).toBe('電子証明書ファイルを選択してください。')
    const noPassword = await c.postMultipart('/user/certificates/add', { p12: file, password: '' })
    expect(errorOf(noPassword.text, 'password')).toBe('パスワードを入力してください。')
    // A file's refusal stands by the file field, not by the card list.
    const someoneElse = await c.postMultipart('/user/certificates/add', {
      p12: await demoCardFile(portal, 'hanako-file', 'pw'),
      password: 'pw',
    })
    expect(errorOf(someoneElse.text, 'p12')).toContain(
      'この電子証明書の名義（入札 花子）が、利用者（調達 太郎）と異なります。',
    )
    expect(errorOf(someoneElse.text, 'cardId')).toBeUndefined()
    const added = await c.postMultipart('/user/certificates/add', { p12: file, password: 'taro-file-pass' })
    expect(added.status).toBe(303)
    expect((await c.get('/user/edit')).text).toContain('追加予定')
  })

  it('stages the certificate of a file the page opened, from its token; refuses one signed for another origin', async () => {
    const c = await signedInClient(portal, 'taro-ic', '1234')
    await c.get('/user/edit')
    await c.get('/user/certificates/add')
    const relayed = await c.post(
      '/user/certificates/add',
      await pageToken(c, 'taro-ic-new', { origin: 'https://chotatsu-portal.example.com' }),
    )
    expect(relayed.status).toBe(422)
    expect(relayed.text).toContain('署名を確認できませんでした')
    const added = await c.post('/user/certificates/add', await pageToken(c, 'taro-ic-new'))
    expect(added.status).toBe(303)
  })

  it('shows the reason the page could not open a file, next to its field, with nothing of the file sent', async () => {
    const c = await signedInClient(portal, 'taro-ic', '1234')
    await c.get('/user/edit')
    await c.get('/user/certificates/add')
    const wrong = await c.post('/user/certificates/add', { fileError: 'wrong-password' })
    expect(errorOf(wrong.text, 'password')).toContain('パスワードが正しくありません。')
    const unsupported = await c.post('/user/certificates/add', {
      fileError: 'unsupported-algorithm',
      fileErrorDetail: 'RC4-128',
    })
    expect(errorOf(unsupported.text, 'p12')).toContain('調達ポータルが扱えない暗号方式（RC4-128）')
  })
})

describe('renewal (F2) with files', () => {
  it('renews 更新 三郎 from his expired certificate file to his new one, without JavaScript', async () => {
    const c = portalClient(portal)
    const choice = await c.get('/renewal')
    expect(choice.text).toContain('enctype="multipart/form-data" data-certificate-file')
    const old = await c.postMultipart('/renewal', {
      p12: await demoCardFile(portal, 'saburo-ic-expired', 'saburo-pass'),
      password: 'saburo-pass',
    })
    expect(old.status).toBe(303)
    expect(old.location).toBe('/renewal/new')
    await c.get('/renewal/new')
    const relayed = await c.post(
      '/renewal/new',
      await pageToken(c, 'saburo-ic-new', { origin: 'https://chotatsu-portal.example.com' }),
    )
    expect(relayed.text).toContain('署名を確認できませんでした')
    // His renewed card may not be a My Number card's, even sent by hand.
    const myNumber = await c.post('/renewal/new', { cardId: 'jiro-mynumber-renewed-signing', pin: 'ABC123' })
    expect(myNumber.text).toContain('これはマイナンバーカードの電子証明書です。')
    const fresh = await c.post('/renewal/new', await pageToken(c, 'saburo-ic-new'))
    expect(fresh.status).toBe(303)
    expect(fresh.location).toBe('/renewal/confirm')
    expect((await c.get('/renewal/confirm')).text).toContain('<h2>更新先電子証明書情報</h2>')
  })
})

describe('sign-in with the page’s token for a file it opened', () => {
  it('signs 入札 花子 in from the token the page made, and never with another card’s signature', async () => {
    const c = portalClient(portal)
    await c.get('/sign-in')
    const forged = await c.post('/sign-in/file', await pageToken(c, 'hanako-file', { signAs: 'taro-ic' }))
    expect(forged.status).toBe(422)
    const signedIn = await c.post('/sign-in/file', await pageToken(c, 'hanako-file'))
    expect(signedIn.status).toBe(303)
    expect((await c.get('/menu')).text).toContain('入札 花子')
  })
})

describe('which certificate each screen takes', () => {
  it('signs no one in with a My Number card’s signing certificate, even sent by hand', async () => {
    const c = portalClient(portal)
    await c.get('/sign-in')
    const signing = await c.post('/sign-in', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
    expect(signing.status).toBe(422)
    expect(signing.text).toContain('署名用電子証明書ではログインできません。')
    expect((await c.get('/menu')).status).toBe(303)
  })

  it('adds no My Number card’s certificate in F1', async () => {
    const c = await signedInClient(portal, 'taro-ic', '1234')
    await c.get('/user/edit')
    await c.get('/user/certificates/add')
    const refused = await c.post('/user/certificates/add', { cardId: 'jiro-mynumber-renewed', pin: '4321' })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('マイナンバーカードの電子証明書は、ここでは追加できません。')
  })

  it('says a token it cannot read is unreadable, not that a file is missing', async () => {
    const c = portalClient(portal)
    await c.get('/sign-in')
    const broken = await c.post('/sign-in', {
      tokenCertificate: '',
      tokenAlgorithm: 'ES256',
      tokenSignature: '',
    })
    expect(broken.status).toBe(422)
    expect(broken.text).toContain('電子証明書と署名を読み取れませんでした。')
  })
})

describe('a card helper that gave no token', () => {
  it('says why, in words, and reads nothing', async () => {
    const c = portalClient(portal)
    await c.get('/sign-in')
    const cancelled = await c.post('/sign-in', { helperError: 'cancelled' })
    expect(cancelled.status).toBe(422)
    expect(cancelled.text).toContain(
      'カードの読み込みが取り消されました（カードヘルパーの画面が閉じられました）。',
    )
    const failed = await c.post('/sign-in', {
      helperError: 'failed',
      helperErrorDetail: 'ERR_WEBEID_NATIVE_FATAL',
    })
    expect(failed.text).toContain('カードヘルパーがカードを読み込めませんでした（ERR_WEBEID_NATIVE_FATAL）。')
    const odd = await c.post('/sign-in', { helperError: 'failed', helperErrorDetail: '<script>' })
    expect(odd.text).toContain('カードヘルパーがカードを読み込めませんでした。')
  })
})
