/**
 * 入札 花子 completes the update in Chromium as a user does: once with JavaScript (htmx swaps the
 * page's <main>), once without (plain form posts and redirects). Each case has a portal of its own.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GEPS_NOTICE_SUBJECT } from '../../adapters/dev/geps.simulator.ts'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { launchChromium, openPage } from '../support/browser.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

const EMAIL = 'hanako.new@sample-shoji.example.jp'

describe.each([{ javaScriptEnabled: true }, { javaScriptEnabled: false }])(
  'the agent’s update with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('signs in, is told of a mistake next to the field, confirms and completes', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      try {
        await page.goto(`${portal.url}/sign-in`)
        await expect(page.title()).resolves.toBe('ログイン | 調達ポータル')
        await page.getByLabel('入札 花子（代理人・ファイル）').check()
        await page.getByLabel('PIN', { exact: true }).fill('hanako-2026')
        await page.getByRole('button', { name: 'ログイン', exact: true }).click()
        await page.waitForURL(`${portal.url}/menu`)

        await page.getByRole('link', { name: '利用者情報更新', exact: true }).click()
        await page.waitForURL(`${portal.url}/user/edit`)
        await expect(page.locator('h1').textContent()).resolves.toBe(
          '更新する利用者情報の入力画面(代表者以外の代理人等)',
        )

        // A page that htmx updates in place keeps its window; a full page load would lose this mark.
        await page.evaluate(() => {
          ;(window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage = true
        })
        await page.getByLabel('役職名').fill('部長')
        await page.getByLabel('郵便番号').fill('１００ー０００１')
        await page.getByLabel('電話番号').fill('03-1111-222')
        await page.getByLabel('メールアドレス', { exact: true }).fill(EMAIL)
        await page.getByLabel('メールアドレス(確認)').fill(EMAIL)
        await page.getByRole('button', { name: '確認' }).click()
        await page.locator('#error-summary').waitFor()
        await expect(page.title()).resolves.toMatch(/^エラー: 更新する利用者情報の入力画面/)
        // The focus is on the error summary, whose items lead to their fields.
        await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('error-summary')
        await expect(page.locator('#error-summary a[href="#field-phone"]').count()).resolves.toBe(1)
        await expect(page.locator('#field-phone-error').textContent()).resolves.toContain('10桁または11桁')
        await expect(page.getByLabel('郵便番号').inputValue()).resolves.toBe('１００ー０００１')
        await expect(page.getByLabel('役職名').inputValue()).resolves.toBe('部長')

        await page.getByLabel('電話番号').fill('03-1111-2222')
        await page.getByRole('button', { name: '確認' }).click()
        await page.waitForURL(`${portal.url}/user/confirm`)
        await expect(page.locator('h1').textContent()).resolves.toBe('利用者情報の更新確認画面')
        const samePage = await page.evaluate(
          () => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage === true,
        )
        expect(samePage).toBe(javaScriptEnabled)
        await expect(page.locator('tr.changed', { hasText: '郵便番号' }).textContent()).resolves.toContain(
          '100-0001',
        )

        // Going back returns to what was typed, and the flow goes on from there. With JavaScript, by
        // the browser's Back button (htmx asks for the page again); without, by the screen's own link:
        // there the entry behind is the refused POST's answer, which the browser would post again.
        if (javaScriptEnabled) await page.goBack()
        else await page.getByRole('link', { name: '入力画面に戻る' }).click()
        await page.waitForURL(`${portal.url}/user/edit`)
        await page.locator('h1', { hasText: '更新する利用者情報の入力画面' }).waitFor()
        await expect(page.getByLabel('役職名').inputValue()).resolves.toBe('部長')
        await expect(page.getByLabel('電話番号').inputValue()).resolves.toBe('03-1111-2222')
        await page.getByRole('button', { name: '確認' }).click()
        await page.waitForURL(`${portal.url}/user/confirm`)
        await page.locator('h1', { hasText: '利用者情報の更新確認画面' }).waitFor()

        await page.getByRole('button', { name: '更新' }).click()
        await page.waitForURL(/\/user\/complete\/[0-9a-f-]{36}$/)
        await expect(page.locator('h1').textContent()).resolves.toBe('利用者情報の更新完了画面')
        await expect(page.title()).resolves.toBe('利用者情報の更新完了画面 | 調達ポータル')

        // The GEPS state: with JavaScript it refreshes itself; without, the user reloads.
        if (javaScriptEnabled) {
          await page.locator('.sync-state', { hasText: '連携完了' }).waitFor({ timeout: 10_000 })
        } else {
          let state = ''
          for (let i = 0; i < 50 && state !== '連携完了'; i++) {
            await page.waitForTimeout(100)
            await page.reload()
            state = (await page.locator('.sync-state').textContent()) ?? ''
          }
          expect(state).toBe('連携完了')
        }

        const sink = portal.mailSink
        if (!sink) throw new Error('the test portal runs a mail sink')
        await sink.waitFor((m) => m.subject === USER_UPDATED_SUBJECT && m.to.includes(EMAIL))
        await sink.waitFor((m) => m.subject === GEPS_NOTICE_SUBJECT && m.to.includes(EMAIL))
        const atGeps = [...(portal.gepsSimulator?.received.values() ?? [])]
        expect(atGeps.map((r) => r.user.email)).toEqual([EMAIL])

        // The mailbox page shows both mails.
        await page.goto(`${portal.url}/dev/mailbox`)
        await expect(page.locator('h2', { hasText: USER_UPDATED_SUBJECT }).count()).resolves.toBe(1)
        await expect(page.locator('h2', { hasText: GEPS_NOTICE_SUBJECT }).count()).resolves.toBe(1)
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
        await portal.close()
      }
    })
  },
)
