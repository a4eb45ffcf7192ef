/**
 * Sign-in with a certificate file (.p12) from a browser without JavaScript: the server opens the
 * file, signs the challenge and forgets the key. Each way a file can fail has its own message next
 * to its field.
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Portal } from '../../main.ts'
import { demoCardFile } from '../support/demo-card-files.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

const fileOf = (cardId: string, password: string) => demoCardFile(portal, cardId, password)
const fixture = async (name: string) =>
  new File([await readFile(new URL(`../fixtures/pkcs12/${name}`, import.meta.url))], name)

const submit = async (file: File | undefined, password: string) => {
  const c = portalClient(portal)
  const page = await c.get('/sign-in')
  expect(page.text).toContain('enctype="multipart/form-data"')
  return { c, answer: await c.postMultipart('/sign-in/file', file ? { p12: file, password } : { password }) }
}

/** The message shown next to a field of the file form. */
const errorOf = (page: string, field: 'p12' | 'password') =>
  page.match(new RegExp(`<p class="field-error" id="field-${field}-error">([^<]*)</p>`))?.[1]

describe('sign-in with a certificate file, without JavaScript', () => {
  it('signs 入札 花子 in with her .p12 and its password', async () => {
    const { c, answer } = await submit(await fileOf('hanako-file', 'hanako-2026'), 'hanako-2026')
    expect(answer.status).toBe(303)
    expect(answer.location).toBe('/menu')
    expect((await c.get('/menu')).text).toContain('入札 花子')
  })

  it('says the password is wrong, next to the password', async () => {
    const { answer } = await submit(await fileOf('hanako-file', 'hanako-2026'), 'hanako-2025')
    expect(answer.status).toBe(422)
    expect(errorOf(answer.text, 'password')).toContain('パスワードが正しくありません')
  })

  it('says a damaged file, a missing file and an oversized file are each what they are', async () => {
    const good = new Uint8Array(await (await fileOf('hanako-file', 'pw')).arrayBuffer())
    const cut = new File([good.subarray(0, 200)], 'cut.p12')
    expect(errorOf((await submit(cut, 'pw')).answer.text, 'p12')).toContain('読み取れませんでした')
    expect(errorOf((await submit(undefined, 'pw')).answer.text, 'p12')).toBe(
      '電子証明書ファイルを選択してください。',
    )
    const large = new File([new Uint8Array(40 * 1024)], 'large.p12')
    expect(errorOf((await submit(large, 'pw')).answer.text, 'p12')).toContain(
      'ファイルが大きすぎます（上限 32 KB）',
    )
  })

  it('opens a file of OpenSSL’s -legacy (RC2-40), and then judges its certificate like any other', async () => {
    // The fixture's certificate is self-signed: opened, then refused by the verifier.
    const { answer } = await submit(await fixture('rsa-rc2.p12'), 'p12-test-pass')
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('調達ポータルで利用できる認証局の電子証明書ではありません')
  })

  it('opens a legacy 3DES file, and then judges its certificate like any other', async () => {
    // The fixture's certificate is self-signed: opened, then refused by the verifier.
    const { answer } = await submit(await fixture('ec-legacy-3des.p12'), 'p12-test-pass')
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('調達ポータルで利用できる認証局の電子証明書ではありません')
  })

  it('offers the demo file in development, under its documented password', async () => {
    const c = portalClient(portal)
    const download = await portal.app.request('/dev/certificate-files/hanako-file.p12')
    expect(download.status).toBe(200)
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="hanako-file.p12"')
    const file = new File([await download.arrayBuffer()], 'hanako-file.p12')
    await c.get('/sign-in')
    expect((await c.postMultipart('/sign-in/file', { p12: file, password: 'hanako-2026' })).status).toBe(303)
    // Only file cards, and only demo ones.
    expect((await portal.app.request('/dev/certificate-files/taro-ic.p12')).status).toBe(404)
    expect((await portal.app.request('/dev/certificate-files/nobody.p12')).status).toBe(404)
  })

  it('refuses a revoked certificate in a file', async () => {
    const { answer } = await submit(await fileOf('hanako-revoked', 'hanako-2026'), 'hanako-2026')
    expect(answer.text).toContain('失効しています')
  })
})
