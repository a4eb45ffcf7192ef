/**
 * F3 in Chromium as 委任 次郎 does it, with and without JavaScript: he signs in, meets
 * マイナンバーカード電子委任状失効画面, reads his card with the signing PIN, asks for POA-2026-0002
 * (refused: another agent), then POA-2026-0001, renews, and reaches the menu.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MANDATE_RENEWED_SUBJECT } from '../../core/domain/mails.ts'
import { launchChromium, openPage } from '../support/browser.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

describe.each([{ javaScriptEnabled: true }, { javaScriptEnabled: false }])(
  'F3 with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('renews 委任 次郎’s expired mandate, refusing one of another business on the way', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        await page.goto(`${portal.url}/sign-in`)
        await page.getByLabel('委任 次郎（代理人・マイナンバーカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('4321')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        await page.waitForURL(`${portal.url}/mandate/expired`)
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状失効画面' }).waitFor()

        await page.getByLabel('委任 次郎（代理人・マイナンバーカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('ABC123')
        await page.getByRole('button', { name: '電子委任状更新' }).click()
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状取得依頼画面' }).waitFor()

        await page.getByLabel('受付番号').fill('POA-2026-0002')
        await page.getByRole('button', { name: '取得依頼' }).click()
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状確認画面' }).waitFor()
        await expect(page.locator('#error-summary').textContent()).resolves.toContain('受任者が異なります')
        await page.getByRole('link', { name: '取得依頼画面に戻る' }).click()

        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状取得依頼画面' }).waitFor()
        await page.getByLabel('受付番号').fill('POA-2026-0001')
        await page.getByRole('button', { name: '取得依頼' }).click()
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状確認画面' }).waitFor()
        await expect(page.locator('main').textContent()).resolves.toContain('政府電子調達手続')
        await page.getByRole('button', { name: '電子委任状更新' }).click()
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状更新完了画面' }).waitFor()

        await page.getByRole('link', { name: 'メニューへ' }).click()
        await page.waitForURL(`${portal.url}/menu`)
        await expect(page.locator('main').textContent()).resolves.toContain('委任 次郎 様')
        const sink = portal.mailSink
        if (!sink) throw new Error('the test portal runs a mail sink')
        await sink.waitFor((m) => m.subject === MANDATE_RENEWED_SUBJECT)
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })
  },
)
