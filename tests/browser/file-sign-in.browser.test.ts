/**
 * 入札 花子 signs in with her certificate file (.p12) in Chromium, with and without JavaScript:
 * a wrong password is said next to the password field, the right one signs her in. With
 * JavaScript the page opens the file itself: neither the file nor the password leaves the page,
 * only the certificate and a signature (or why the file did not open). Without it, the form
 * sends the file to the server.
 */
import { readFile } from 'node:fs/promises'
import { sql } from 'kysely'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePkcs12 } from '../../adapters/dev/pkcs12-writer.ts'
import { launchChromium, openPage } from '../support/browser.ts'
import { OPENSSL_FORMATS, opensslAvailable, opensslPkcs12 } from '../support/openssl-files.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

describe.each([{ javaScriptEnabled: true }, { javaScriptEnabled: false }])(
  'sign-in with a certificate file, JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('refuses a wrong password next to its field, then signs in', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        const { rows } = await sql<{ certificate: Uint8Array; private_key: Uint8Array }>`
          select certificate, private_key from development.virtual_cards where id = 'hanako-file'`.execute(
          portal.database.db,
        )
        const card = rows[0]
        if (!card) throw new Error('no demo file card')
        const p12 = {
          name: 'hanako.p12',
          mimeType: 'application/x-pkcs12',
          buffer: Buffer.from(await writePkcs12(card.certificate, card.private_key, 'hanako-2026')),
        }
        const posted: string[] = []
        page.on('request', (request) => {
          if (request.method() === 'POST') posted.push(request.postDataBuffer()?.toString('latin1') ?? '')
        })
        /** Presses [ファイルでログイン] and waits for the answer (with JavaScript, the page opens the file first). */
        const press = async () => {
          const answered = page.waitForResponse((r) => r.request().method() === 'POST')
          await page.getByRole('button', { name: 'ファイルでログイン' }).click()
          await answered
          await page.waitForLoadState('domcontentloaded')
        }
        await page.goto(`${portal.url}/sign-in`)
        // Nothing chosen, then no password: each is said at the first press, next to its field.
        await press()
        await expect(page.locator('#field-p12-error').textContent()).resolves.toBe(
          '電子証明書ファイルを選択してください。',
        )
        await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles(p12)
        await press()
        await expect(page.locator('#field-password-error').textContent()).resolves.toBe(
          'パスワードを入力してください。',
        )
        await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles(p12)
        await page.getByLabel('パスワード', { exact: true }).fill('hanako-2025')
        await press()
        await expect(page.locator('#field-password-error').textContent()).resolves.toContain(
          'パスワードが正しくありません',
        )
        await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles(p12)
        await page.getByLabel('パスワード', { exact: true }).fill('hanako-2026')
        await press()
        await page.waitForURL(`${portal.url}/menu`)
        await expect(page.locator('body').textContent()).resolves.toContain('入札 花子')
        expect(posted).toHaveLength(4)
        // (Chromium does not show a body with a file in it, so without JavaScript there is nothing to read.)
        const [, , wrongPassword, signedIn] = posted
        if (javaScriptEnabled) {
          for (const body of posted) {
            expect(body).not.toContain('filename="hanako.p12"')
            expect(body).not.toContain('hanako-202')
          }
          expect(wrongPassword).toContain('name="fileError"\r\n\r\nwrong-password')
          expect(signedIn).toContain('name="tokenSignature"')
        }
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })

    it('opens legacy (3DES) and RSA files, and says when a file is damaged', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      const fixture = async (name: string) => ({
        name,
        mimeType: 'application/x-pkcs12',
        buffer: await readFile(new URL(`../fixtures/pkcs12/${name}`, import.meta.url)),
      })
      const submit = async (file: { name: string; mimeType: string; buffer: Buffer }) => {
        await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles(file)
        await page.getByLabel('パスワード', { exact: true }).fill('p12-test-pass')
        const answered = page.waitForResponse((r) => r.request().method() === 'POST')
        if (javaScriptEnabled) await page.evaluate(() => Object.assign(window, { beforeAnswer: true }))
        await page.getByRole('button', { name: 'ファイルでログイン' }).click()
        await answered
        await page.waitForLoadState('domcontentloaded')
        // The answer's own document, with its script ready: a file chosen in the one before it
        // (still shown a moment after the answer arrived) would go out unprepared.
        if (javaScriptEnabled)
          await page.waitForFunction(
            () => !('beforeAnswer' in window) && document.documentElement.dataset.cardRead === 'ready',
          )
      }
      const posted: string[] = []
      page.on('request', (request) => {
        if (request.method() === 'POST') posted.push(request.postDataBuffer()?.toString('latin1') ?? '')
      })
      try {
        await page.goto(`${portal.url}/sign-in`)
        // The fixtures' authority is not one the portal trusts: opened, signed, then refused by the verifier.
        for (const name of ['ec-legacy-3des.p12', 'rsa-legacy-3des.p12', 'rsa-modern.p12']) {
          await submit(await fixture(name))
          await expect(page.locator('#error-summary').textContent(), name).resolves.toContain(
            '調達ポータルで利用できる認証局の電子証明書ではありません',
          )
        }
        const damaged = await fixture('ec-modern.p12')
        await submit({ ...damaged, buffer: damaged.buffer.subarray(0, 200) })
        await expect(page.locator('#field-p12-error').textContent()).resolves.toContain(
          '電子証明書ファイル（.p12 / .pfx）として読み取れませんでした',
        )
        if (javaScriptEnabled) {
          // The page opened the modern file (a token) and the damaged one (the reason); the 3DES
          // files, whose cipher WebCrypto lacks, went to the server as files (Chromium shows no
          // body with a file in it), which opened them.
          expect(
            posted.map((body) => /name="(tokenSignature|fileError)"/.exec(body)?.[1] ?? 'the file itself'),
          ).toEqual(['the file itself', 'the file itself', 'tokenSignature', 'fileError'])
        }
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })

    it.skipIf(!opensslAvailable())(
      'signs in with files openssl writes: the page opens the modern one, the server the -legacy one',
      async () => {
        const portal = await startTestPortal()
        const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
        try {
          const { rows } = await sql<{
            certificate: Uint8Array
            private_key: Uint8Array
            authority: Uint8Array
          }>`
          select c.certificate, c.private_key, a.certificate as authority
          from development.virtual_cards c, trust_anchors a
          where c.id = 'hanako-file' and a.name = 'private-ca'`.execute(portal.database.db)
          const row = rows[0]
          if (!row) throw new Error('no demo file card')
          const card = { certificate: row.certificate, privateKey: row.private_key, authority: row.authority }
          const posted: string[] = []
          page.on('request', (request) => {
            if (request.method() === 'POST' && new URL(request.url()).pathname.startsWith('/sign-in'))
              posted.push(request.postDataBuffer()?.toString('latin1') ?? '')
          })
          for (const name of ['OpenSSL 3 default', 'OpenSSL -legacy']) {
            const format = OPENSSL_FORMATS.find((f) => f.name.startsWith(name))
            if (!format) throw new Error(`no format ${name}`)
            await page.goto(`${portal.url}/sign-in`)
            await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles({
              name: 'hanako.p12',
              mimeType: 'application/x-pkcs12',
              buffer: Buffer.from(opensslPkcs12(card, format)),
            })
            await page.getByLabel('パスワード', { exact: true }).fill(format.password)
            await page.getByRole('button', { name: 'ファイルでログイン' }).click()
            await page.waitForURL(`${portal.url}/menu`)
            await expect(page.locator('body').textContent(), name).resolves.toContain('入札 花子')
            await page.getByRole('button', { name: 'ログアウト' }).click()
            await page.waitForLoadState('domcontentloaded')
          }
          // With JavaScript, only a token left the page for the modern file, and the -legacy one (RC2,
          // which WebCrypto lacks) went to the server as the file itself (Chromium shows no body with
          // a file in it). Without JavaScript both went as files.
          expect(posted.map((body) => body.includes('name="tokenSignature"'))).toEqual([
            javaScriptEnabled,
            false,
          ])
          expect(scriptErrors).toEqual([])
        } finally {
          await context.close()
          await portal.close()
        }
      },
    )
  },
)
