/**
 * F4 in Chromium as 委任 次郎 does it, with and without JavaScript: he signs in, meets
 * マイナンバーカード電子委任状失効画面, chooses [代理人情報削除], reads his card with the
 * user-authentication PIN (a wrong one first), checks what will be deleted, deletes it, and is
 * left signed out on the completion screen while GEPS takes the deletion.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openPage } from '../support/browser.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

describe.each([{ javaScriptEnabled: true }, { javaScriptEnabled: false }])(
  'F4 with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('deletes 委任 次郎 from マイナンバーカード電子委任状失効画面 and signs him out everywhere', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        await page.goto(`${portal.url}/sign-in`)
        await page.getByLabel('委任 次郎（代理人・マイナンバーカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('4321')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        await page.waitForURL(`${portal.url}/mandate/expired`)
        await page.getByRole('button', { name: '代理人情報削除' }).click()

        await page.locator('h1', { hasText: '代理人情報削除(マイナンバーカードの読込)' }).waitFor()
        await page.getByLabel('委任 次郎（代理人・マイナンバーカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('9999')
        await page.getByRole('button', { name: '代理人情報削除' }).click()
        await page.locator('#field-pin-error, #field-cardId-error, #error-summary').first().waitFor()
        await expect(page.locator('main').textContent()).resolves.toContain('残り2回')
        await page.getByLabel('PIN', { exact: true }).fill('4321')
        await page.getByRole('button', { name: '代理人情報削除' }).click()

        await page.locator('h1', { hasText: '利用者情報削除確認(代理人・マイナンバーカード)画面' }).waitFor()
        const confirm = (await page.locator('main').textContent()) ?? ''
        expect(confirm).toContain('削除した利用者情報は元に戻せません。')
        expect(confirm).toContain('jiro@sample-shoji.example.jp')
        expect(confirm).toContain('POA-2025-0042')
        await page.getByRole('button', { name: '削除', exact: true }).click()

        await page.locator('h1', { hasText: '利用者情報削除完了(代理人・マイナンバーカード)画面' }).waitFor()
        await expect(page.locator('main').textContent()).resolves.toContain(
          '利用者情報の削除が完了しました。',
        )
        // Signed out: the header names no one.
        await expect(page.locator('header').textContent()).resolves.not.toContain('委任 次郎')
        if (javaScriptEnabled) {
          await page.locator('.sync-state', { hasText: '連携完了' }).waitFor({ timeout: 15_000 })
        } else {
          for (let i = 0; i < 60; i++) {
            if ((await page.locator('.sync-state').textContent()) === '連携完了') break
            await page.waitForTimeout(250)
            await page.getByRole('link', { name: '最新の状況を表示' }).click()
          }
          await expect(page.locator('.sync-state').textContent()).resolves.toBe('連携完了')
        }
        await page.goto(`${portal.url}/menu`)
        await page.waitForURL(/\/sign-in/)
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })
  },
)
