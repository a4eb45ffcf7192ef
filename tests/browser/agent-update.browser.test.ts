/**
 * 入札 花子 completes the update in Chromium as a user does: once with JavaScript (htmx swaps the
 * page's <main>), once without (plain form posts and redirects).
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GEPS_NOTICE_SUBJECT } from '../../adapters/geps/geps.simulator.ts'
import { USER_UPDATED_SUBJECT } from '../../core/mails.ts'
import type { Portal } from '../../main.ts'
import { launchChromium } from '../support/browser.ts'
import { startTestPortal } from '../support/portal.ts'

let portal: Portal & { close(): Promise<void> }
let browser: Browser
beforeAll(async () => {
  ;[portal, browser] = await Promise.all([startTestPortal(), launchChromium()])
})
afterAll(async () => {
  await browser?.close()
  await portal?.close()
})

describe.each([
  {
    javaScriptEnabled: true,
    email: 'hanako.js@sample-shoji.example.jp',
    title: '部長',
    typedPostal: '１００ー０００１',
    storedPostal: '100-0001',
  },
  {
    javaScriptEnabled: false,
    email: 'hanako.nojs@sample-shoji.example.jp',
    title: '次長',
    typedPostal: '１００ー０００２',
    storedPostal: '100-0002',
  },
])(
  'the agent’s update with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled, email, title, typedPostal, storedPostal }) => {
    it('signs in, is told of a mistake next to the field, confirms and completes', async () => {
      const context = await browser.newContext({ javaScriptEnabled, locale: 'ja-JP' })
      context.setDefaultTimeout(8_000)
      const page = await context.newPage()
      const scriptErrors: string[] = []
      page.on('pageerror', (e) => scriptErrors.push(e.message))
      try {
        await page.goto(`${portal.url}/sign-in`)
        await expect(page.title()).resolves.toBe('ログイン | 調達ポータル')
        await page.getByLabel('入札 花子（代理人・ファイル）').check()
        await page.getByLabel('PIN', { exact: true }).fill('hanako-2026')
        await page.getByRole('button', { name: 'ログイン' }).click()
        await page.waitForURL(`${portal.url}/menu`)

        await page.getByRole('link', { name: '利用者情報更新' }).click()
        await page.waitForURL(`${portal.url}/user/edit`)
        await expect(page.locator('h1').textContent()).resolves.toBe(
          '更新する利用者情報の入力画面(代表者以外の代理人等)',
        )

        // A page that htmx updates in place keeps its window; a full page load would lose this mark.
        await page.evaluate(() => {
          ;(window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage = true
        })
        await page.getByLabel('役職名').fill(title)
        await page.getByLabel('郵便番号').fill(typedPostal)
        await page.getByLabel('電話番号').fill('03-1111-222')
        await page.getByLabel('メールアドレス', { exact: true }).fill(email)
        await page.getByLabel('メールアドレス(確認)').fill(email)
        await page.getByRole('button', { name: '確認' }).click()
        await page.locator('#error-summary').waitFor()
        await expect(page.title()).resolves.toMatch(/^エラー: 更新する利用者情報の入力画面/)
        await expect(page.locator('#field-phone-error').textContent()).resolves.toContain('10桁または11桁')
        await expect(page.getByLabel('郵便番号').inputValue()).resolves.toBe(typedPostal)
        await expect(page.getByLabel('役職名').inputValue()).resolves.toBe(title)

        await page.getByLabel('電話番号').fill('03-1111-2222')
        await page.getByRole('button', { name: '確認' }).click()
        await page.waitForURL(`${portal.url}/user/confirm`)
        await expect(page.locator('h1').textContent()).resolves.toBe('利用者情報の更新確認画面')
        const samePage = await page.evaluate(
          () => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage === true,
        )
        expect(samePage).toBe(javaScriptEnabled)
        await expect(page.locator('tr.changed', { hasText: '郵便番号' }).textContent()).resolves.toContain(
          storedPostal,
        )

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
        await sink.waitFor((m) => m.subject === USER_UPDATED_SUBJECT && m.to.includes(email))
        await sink.waitFor((m) => m.subject === GEPS_NOTICE_SUBJECT && m.to.includes(email))
        const atGeps = [...(portal.gepsSimulator?.received.values() ?? [])].filter(
          (r) => r.user.email === email,
        )
        expect(atGeps).toHaveLength(1)

        // The mailbox page shows both mails.
        await page.goto(`${portal.url}/dev/mailbox`)
        await expect(page.locator('h2', { hasText: USER_UPDATED_SUBJECT }).count()).resolves.toBeGreaterThan(
          0,
        )
        await expect(page.locator('h2', { hasText: GEPS_NOTICE_SUBJECT }).count()).resolves.toBeGreaterThan(0)
        expect(scriptErrors).toEqual([])
      } finally {
        await context.close()
      }
    })
  },
)
