/**
 * 調達 太郎, the representative, in Chromium as a user does it: he adds a qualification, adds his
 * new card's certificate and deletes the old one, changes the business's address and his e-mail,
 * confirms and completes; once with JavaScript and once without. Each case has a portal of its own.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { launchChromium, openPage } from '../support/browser.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

const EMAIL = 'taro.new@sample-shoji.example.jp'
const ADDRESS = '東京都千代田区霞が関一丁目2番3号'

describe.each([{ javaScriptEnabled: true }, { javaScriptEnabled: false }])(
  'the representative’s update with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('adds a qualification and a certificate, deletes a certificate, changes address and e-mail', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        await page.goto(`${portal.url}/sign-in`)
        await page.getByLabel('調達 太郎（代表者・ICカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('1234')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        await page.waitForURL(`${portal.url}/menu`)
        await page.getByRole('link', { name: '利用者情報更新', exact: true }).click()
        await page.locator('h1', { hasText: '更新する利用者情報の入力画面(代表者)' }).waitFor()

        await page.getByLabel('所在地').fill(ADDRESS)
        await page.getByLabel('メールアドレス', { exact: true }).fill(EMAIL)
        await page.getByLabel('メールアドレス(確認)').fill(EMAIL)

        // 資格情報選択 → [追加]: the list changes, and what was typed above stays.
        await page.getByLabel('業者コード').fill('0000012345')
        await page.getByLabel('資格の種類').selectOption('物品の販売')
        await page.getByLabel('等級').selectOption('B')
        await page.getByLabel('関東・甲信越').check()
        // The first 有効期間 offered: the cycle current on the day the test runs.
        const period = page.getByLabel('有効期間')
        await period.selectOption({ index: 1 })
        const periodName = await period.locator('option:checked').textContent()
        expect(periodName).toMatch(/^令和\d+・\d+・\d+年度$/)
        await page.getByRole('button', { name: '追加' }).first().click()
        await page.locator('table.qualifications tr', { hasText: '物品の販売' }).locator('.staged').waitFor()
        await expect(page.getByLabel('所在地').inputValue()).resolves.toBe(ADDRESS)

        // 電子証明書情報 → [追加]: the card read, then back with the certificate staged.
        await page
          .locator('section', { hasText: '電子証明書情報' })
          .getByRole('button', { name: '追加' })
          .click()
        await page.locator('h1', { hasText: '電子証明書の種別選択画面' }).waitFor()
        await page.getByLabel('調達 太郎（新しいICカード・未登録）').check()
        await page.getByLabel('PIN', { exact: true }).fill('1234')
        await page.getByRole('button', { name: '読込', exact: true }).click()
        await page.locator('table.certificates .staged').waitFor()
        await expect(page.getByLabel('所在地').inputValue()).resolves.toBe(ADDRESS)
        await expect(page.getByLabel('メールアドレス', { exact: true }).inputValue()).resolves.toBe(EMAIL)

        // [削除] of the old certificate (the row not staged): a card read of his first.
        await page
          .locator('table.certificates tbody tr')
          .filter({ hasNot: page.locator('.staged') })
          .getByRole('button', { name: /削除/ })
          .click()
        await page.locator('h1', { hasText: '削除する電子証明書の本人確認画面' }).waitFor()
        await page.getByLabel('調達 太郎（代表者・ICカード）').check()
        await page.getByLabel('PIN', { exact: true }).fill('1234')
        await page.getByRole('button', { name: '読込', exact: true }).click()
        await page.locator('h1', { hasText: '更新する利用者情報の入力画面(代表者)' }).waitFor()
        await expect(page.getByLabel('所在地').inputValue()).resolves.toBe(ADDRESS)
        await page.locator('table.certificates tbody tr').nth(1).waitFor({ state: 'detached' })
        await expect(page.locator('table.certificates tbody tr').count()).resolves.toBe(1)

        await page.getByRole('button', { name: '確認', exact: true }).click()
        await page.locator('h1', { hasText: '利用者情報の更新確認画面' }).waitFor()
        await expect(page.locator('caption', { hasText: '資格情報' }).count()).resolves.toBe(1)
        await expect(page.locator('caption', { hasText: '追加する電子証明書' }).count()).resolves.toBe(1)
        await expect(page.locator('caption', { hasText: '削除する電子証明書' }).count()).resolves.toBe(1)
        await expect(page.locator('tr.changed', { hasText: '所在地' }).textContent()).resolves.toContain(
          ADDRESS,
        )

        await page.getByRole('button', { name: '更新' }).click()
        await page.locator('h1', { hasText: '利用者情報の更新完了画面' }).waitFor()

        const sink = portal.mailSink
        if (!sink) throw new Error('the test portal runs a mail sink')
        const mail = await sink.waitFor((m) => m.subject === USER_UPDATED_SUBJECT && m.to.includes(EMAIL))
        expect(mail.text).toContain(`所在地: 東京都千代田区霞が関三丁目1番1号 → ${ADDRESS}`)
        expect(mail.text).toContain(`資格情報（追加）: ${periodName} 物品の販売 B等級 関東・甲信越`)
        expect(mail.text).toContain('電子証明書（追加）')
        expect(mail.text).toContain('電子証明書（削除）')
        await sink.waitFor((m) => m.to.includes('taro@sample-shoji.example.jp'))
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })
  },
)
