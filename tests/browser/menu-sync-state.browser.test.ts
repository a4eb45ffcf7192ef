/**
 * The menu's 手続きの状況 in Chromium: 入札 花子 updates her title while GEPS fails, sees 再試行中
 * on the menu, and 連携完了 once GEPS recovers: with JavaScript on the same page (it refreshes
 * itself), without by the reload link.
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
  'the menu with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('shows a change retrying while GEPS fails, then done', async () => {
      const portal = await startTestPortal()
      const geps = portal.gepsSimulator
      if (!geps) throw new Error('the test portal runs the GEPS simulator')
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        await page.goto(`${portal.url}/sign-in`)
        await page.getByLabel('入札 花子（代理人・ファイル）').check()
        await page.getByLabel('PIN', { exact: true }).fill('hanako-2026')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        await page.waitForURL(`${portal.url}/menu`)
        await expect(page.locator('#recent-changes').textContent()).resolves.toContain(
          'まだ手続きはありません。',
        )

        geps.faults.failNext = 1_000
        await page.getByRole('link', { name: '利用者情報更新', exact: true }).click()
        await page.getByLabel('役職名').fill('部長')
        await page.getByRole('button', { name: '確認' }).click()
        await page.locator('h1', { hasText: '利用者情報の更新確認画面' }).waitFor()
        await page.getByRole('button', { name: '更新' }).click()
        await page.locator('h1', { hasText: '利用者情報の更新完了画面' }).waitFor()
        await page.getByRole('link', { name: 'メニューへ' }).click()
        await page.waitForURL(`${portal.url}/menu`)

        const state = page.locator('#recent-changes .sync-state')
        const refreshUntil = async (text: string) => {
          if (javaScriptEnabled) return state.filter({ hasText: text }).waitFor({ timeout: 20_000 })
          for (let i = 0; i < 80 && !((await state.textContent()) ?? '').includes(text); i++) {
            await page.waitForTimeout(250)
            await page.getByRole('link', { name: '最新の状況を表示' }).click()
          }
          await expect(state.textContent()).resolves.toContain(text)
        }
        await page.evaluate(() => {
          ;(window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage = true
        })
        await refreshUntil('再試行中')
        await expect(page.locator('#recent-changes').textContent()).resolves.toContain('自動で再送しています')
        geps.faults.failNext = 0
        await refreshUntil('連携完了')
        const samePage = await page.evaluate(
          () => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage === true,
        )
        expect(samePage).toBe(javaScriptEnabled)
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    }, 60_000)
  },
)
