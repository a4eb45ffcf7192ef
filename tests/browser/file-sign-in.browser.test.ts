/**
 * 入札 花子 signs in with her certificate file (.p12) in Chromium, with and without JavaScript:
 * a wrong password is said next to the password field, the right one signs her in.
 * (With JavaScript, the file is still sent to the server: opening it in the page comes later.)
 */
import { sql } from 'kysely'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePkcs12 } from '../../adapters/card-reader/pkcs12-writer.ts'
import { launchChromium, openPage } from '../support/browser.ts'
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
          select certificate, private_key from virtual_cards where id = 'hanako-file'`.execute(
          portal.database.db,
        )
        const card = rows[0]
        if (!card) throw new Error('no demo file card')
        const p12 = {
          name: 'hanako.p12',
          mimeType: 'application/x-pkcs12',
          buffer: Buffer.from(await writePkcs12(card.certificate, card.private_key, 'hanako-2026')),
        }
        await page.goto(`${portal.url}/sign-in`)
        await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles(p12)
        await page.getByLabel('パスワード', { exact: true }).fill('hanako-2025')
        await page.getByRole('button', { name: 'ファイルでログイン' }).click()
        await expect(page.locator('#field-password-error').textContent()).resolves.toContain(
          'パスワードが正しくありません',
        )
        await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles(p12)
        await page.getByLabel('パスワード', { exact: true }).fill('hanako-2026')
        await page.getByRole('button', { name: 'ファイルでログイン' }).click()
        await page.waitForURL(`${portal.url}/menu`)
        await expect(page.locator('body').textContent()).resolves.toContain('入札 花子')
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })
  },
)
