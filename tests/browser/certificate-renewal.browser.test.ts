/**
 * F2 in Chromium as 更新 三郎 does it: sign-in with his expired IC card fails, he follows the link
 * to 電子証明書更新, reads the expired card, then the new one, confirms, and signs in with the new
 * card; once with JavaScript and once without. Each case has a portal of its own.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CERTIFICATE_RENEWED_SUBJECT } from '../../core/domain/mails.ts'
import { launchChromium, openPage } from '../support/browser.ts'
import { demoCardFile } from '../support/demo-card-files.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

describe.each([{ javaScriptEnabled: true }, { javaScriptEnabled: false }])(
  'F2 with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('renews an expired IC card without signing in, then signs in with the new one', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        await page.goto(`${portal.url}/sign-in`)
        await page.getByLabel('更新 三郎（代理人・期限切れICカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('5678')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        await page.locator('#error-summary', { hasText: '有効期限が切れています' }).waitFor()

        await page.getByRole('link', { name: '電子証明書更新', exact: true }).click()
        await page.locator('h1', { hasText: '更新する電子証明書の種別選択画面' }).waitFor()
        await page.getByLabel('更新 三郎（代理人・期限切れICカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('5678')
        await page.getByRole('button', { name: '読込', exact: true }).click()

        await page.locator('h1', { hasText: '更新する電子証明書の読み込み画面' }).waitFor()
        await page.getByLabel('更新 三郎（新しいICカード・未登録）').check()
        await page.getByLabel('PIN', { exact: true }).fill('5678')
        await page.getByRole('button', { name: '読込', exact: true }).click()

        await page.locator('h1', { hasText: '電子証明書の更新確認画面' }).waitFor()
        await expect(page.locator('h2', { hasText: '更新元電子証明書情報' }).count()).resolves.toBe(1)
        await expect(page.locator('h2', { hasText: '更新先電子証明書情報' }).count()).resolves.toBe(1)
        await page.getByRole('button', { name: '更新実行' }).click()
        await page.locator('h1', { hasText: '電子証明書更新完了画面' }).waitFor()
        await expect(page.title()).resolves.toBe('電子証明書更新完了画面 | 調達ポータル')

        await page.getByRole('link', { name: 'ログイン画面へ' }).click()
        await page.getByLabel('更新 三郎（新しいICカード・未登録）').check()
        await page.getByLabel('PIN', { exact: true }).fill('5678')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        await page.waitForURL(`${portal.url}/menu`)
        await expect(page.locator('main').textContent()).resolves.toContain('更新 三郎 様')

        const sink = portal.mailSink
        if (!sink) throw new Error('the test portal runs a mail sink')
        await sink.waitFor(
          (m) => m.subject === CERTIFICATE_RENEWED_SUBJECT && m.to.includes('saburo@sample-shoji.example.jp'),
        )
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })

    it('renews 更新 三郎 with certificate files: the expired one, then the new one', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      const fileOf = async (cardId: string) => {
        const file = await demoCardFile(portal, cardId, 'saburo-file-pass')
        return { name: file.name, mimeType: file.type, buffer: Buffer.from(await file.arrayBuffer()) }
      }
      const read = async (cardId: string) => {
        await page.getByLabel('電子証明書ファイル（.p12 / .pfx）').setInputFiles(await fileOf(cardId))
        await page.getByLabel('パスワード', { exact: true }).fill('saburo-file-pass')
        await page.getByRole('button', { name: 'ファイルを読込' }).click()
      }
      try {
        await page.goto(`${portal.url}/renewal`)
        await read('saburo-ic-expired')
        await page.locator('h1', { hasText: '更新する電子証明書の読み込み画面' }).waitFor()
        await read('saburo-ic-new')
        await page.locator('h1', { hasText: '電子証明書の更新確認画面' }).waitFor()
        await page.getByRole('button', { name: '更新実行' }).click()
        await page.locator('h1', { hasText: '電子証明書更新完了画面' }).waitFor()
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })

    it('renews 委任 次郎 with his renewed My Number card once he consents, then signs in with it', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        await page.goto(`${portal.url}/renewal`)
        await page.getByLabel('マイナンバーカード', { exact: true }).check()
        await page.getByLabel('委任 次郎（更新後のマイナンバーカード・未登録）').check()
        await page.getByLabel('PIN', { exact: true }).fill('ABC123')
        await page.getByRole('button', { name: '読込', exact: true }).click()
        await page.locator('#error-summary', { hasText: '同意が必要です' }).waitFor()
        await expect(page.getByLabel('マイナンバーカード', { exact: true }).isChecked()).resolves.toBe(true)

        await page.getByLabel(/公的個人認証サービスより取得することに同意する/).check()
        await page.getByLabel('PIN', { exact: true }).fill('ABC123')
        await page.getByRole('button', { name: '読込', exact: true }).click()
        // Screen 2 (更新する電子証明書の読み込み画面) is skipped for a My Number card.
        await page.locator('h1', { hasText: '電子証明書の更新確認画面' }).waitFor()
        await expect(page.locator('h2', { hasText: '更新先電子証明書情報' }).count()).resolves.toBe(2)
        await page.getByRole('button', { name: '更新実行' }).click()
        await page.locator('h1', { hasText: '電子証明書更新完了画面' }).waitFor()

        await page.getByRole('link', { name: 'ログイン画面へ' }).click()
        await page.getByLabel('委任 次郎（更新後のマイナンバーカード・未登録）').check()
        await page.getByLabel('PIN', { exact: true }).fill('4321')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        // Signed in; his mandate has expired, so the expired-mandate screen comes first (issue 5).
        await page.waitForURL(`${portal.url}/mandate/expired`)
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状失効画面' }).waitFor()
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })
  },
)
