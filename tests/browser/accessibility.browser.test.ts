/**
 * Accessibility (issue 7, JIS X 8341-3 / WCAG 2.2 AA), in Chromium with and without JavaScript:
 * every flow done with the keyboard alone (Tab to a control, arrows in a radio group, Space,
 * Enter, typing), and axe-core run on every screen in every state the flows pass through (input,
 * input with errors, confirm, complete, each error screen): 0 violations. After each refused
 * submit, focus is on the error summary and the title starts with エラー:.
 *
 * With JavaScript off, axe cannot run in the page itself: the page as the browser holds it is
 * copied, without its scripts, into a page of the same origin (so that its style sheet applies)
 * and checked there.
 */
import axe from 'axe-core'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openPage } from '../support/browser.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

type Violation = { state: string; rule: string; impact?: string | null; targets: string[] }

/** The keyboard, and nothing else, on `page`. */
const keyboard = (page: Page) => {
  const focused = (target: Locator) => target.and(page.locator(':focus')).count()
  /** Presses Tab until `target` has the focus: a control the keyboard cannot reach fails here. */
  const tabTo = async (target: Locator, what: string) => {
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press('Tab')
      if ((await focused(target)) > 0) return
    }
    throw new Error(`${what} cannot be reached with Tab on ${page.url()}`)
  }
  return {
    /** Chooses a radio button: Tab into its group, then the arrow keys. */
    choose: async (label: string) => {
      const target = page.getByLabel(label).first()
      const name = await target.getAttribute('name')
      await tabTo(page.locator(`input[type="radio"][name="${name}"]`), `the group of ${label}`)
      for (let i = 0; i < 20 && (await focused(target)) === 0; i++) await page.keyboard.press('ArrowDown')
      if (!(await target.isChecked())) throw new Error(`${label} cannot be chosen with the arrow keys`)
    },
    check: async (label: string) => {
      await tabTo(page.getByLabel(label), label)
      await page.keyboard.press('Space')
    },
    type: async (label: string, text: string) => {
      await tabTo(page.getByLabel(label, { exact: true }), label)
      await page.keyboard.press('ControlOrMeta+A')
      await page.keyboard.press('Delete')
      await page.keyboard.type(text)
    },
    /** Presses a button, the first of that name, or the first within `within`. */
    press: async (button: string, within: Page | Locator = page) => {
      await tabTo(within.getByRole('button', { name: button, exact: true }).first(), `the button ${button}`)
      await page.keyboard.press('Enter')
    },
    follow: async (link: string) => {
      await tabTo(page.getByRole('link', { name: link }).first(), `the link ${link}`)
      await page.keyboard.press('Enter')
    },
  }
}

describe.each([{ javaScriptEnabled: true }, { javaScriptEnabled: false }])(
  'every screen with JavaScript $javaScriptEnabled',
  ({ javaScriptEnabled }) => {
    it('is used with the keyboard alone, and axe finds no violation in any state', async () => {
      const portal = await startTestPortal()
      const { context, page, scriptErrors } = await openPage(browser, javaScriptEnabled)
      const auditorContext = await browser.newContext({ locale: 'ja-JP' })
      const auditor = await auditorContext.newPage()
      const violations: Violation[] = []
      const states: string[] = []
      const keys = keyboard(page)

      /** Waits for the screen (its heading, and `text` where the heading is the one before's), then runs axe on it. */
      const audit = async (state: string, heading: string, text?: string) => {
        await page.locator('h1', { hasText: heading }).waitFor()
        if (text) await page.getByText(text).first().waitFor()
        let target = page
        if (!javaScriptEnabled) {
          const copy = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/g, '')
          await auditor.goto(`${portal.url}/health`)
          await auditor.setContent(copy, { waitUntil: 'load' })
          target = auditor
        }
        await target.evaluate(axe.source)
        const result = await target.evaluate(
          (tags) =>
            (
              window as unknown as {
                axe: {
                  run: (
                    context: Document,
                    options: object,
                  ) => Promise<{
                    violations: { id: string; impact?: string | null; nodes: { target: string[] }[] }[]
                  }>
                }
              }
            ).axe.run(document, { runOnly: { type: 'tag', values: tags } }),
          WCAG_AA,
        )
        for (const v of result.violations) {
          violations.push({
            state,
            rule: v.id,
            impact: v.impact,
            targets: v.nodes.map((n) => n.target.join(' ')),
          })
        }
        states.push(state)
      }
      /** After a refused submit: the title says so, and the focus is on the error summary. */
      const refused = async (state: string, heading: string) => {
        await page.locator('#error-summary').waitFor()
        // htmx moves the focus and takes the answer's title as it settles the swap: wait for both
        // (on a loaded machine the summary can be in place a moment before the title).
        await page.locator('#error-summary:focus').waitFor()
        await expect.poll(() => page.title()).toMatch(/^エラー: /)
        await audit(state, heading)
      }
      /** A card of the reader, its PIN, and the screen's button. */
      const readCard = async (card: string, pin: string, button: string) => {
        await keys.choose(card)
        await keys.type('PIN', pin)
        await keys.press(button)
      }
      const signIn = async (card: string, pin: string) => {
        await page.goto(`${portal.url}/sign-in`)
        await readCard(card, pin, 'ログイン')
      }
      const signOut = async () => {
        await keys.press('ログアウト')
        await page.locator('h1', { hasText: 'ログイン' }).waitFor()
      }

      try {
        // ログイン: input, a wrong PIN, then the menu.
        await page.goto(`${portal.url}/sign-in`)
        await audit('ログイン', 'ログイン')
        await readCard('入札 花子（代理人・ファイル）', 'wrong', 'ログイン')
        await refused('ログイン: PIN誤り', 'ログイン')
        await keys.type('PIN', 'hanako-2026')
        await keys.press('ログイン')
        await audit('メニュー（代理人）', 'メニュー')

        // F1 as the agent: input, errors, confirm, complete.
        await keys.follow('利用者情報更新')
        await audit('F1 代理人: 入力', '更新する利用者情報の入力画面')
        await keys.type('メールアドレス', 'hanako@')
        await keys.press('確認')
        await refused('F1 代理人: 入力エラー', '更新する利用者情報の入力画面')
        await keys.type('メールアドレス', 'hanako.new@sample-shoji.example.jp')
        await keys.type('メールアドレス(確認)', 'hanako.new@sample-shoji.example.jp')
        await keys.press('確認')
        await audit('F1: 確認', '利用者情報の更新確認画面')
        await keys.press('更新')
        await audit('F1: 完了', '利用者情報の更新完了画面')

        // Her certificates: the read for [追加], and the read for [削除], each with a refusal.
        await keys.follow('メニューへ戻る')
        await keys.follow('利用者情報更新')
        await page.locator('h1', { hasText: '更新する利用者情報の入力画面' }).waitFor()
        await keys.press('追加')
        await audit('F1 電子証明書の追加: 読込', '電子証明書の種別選択画面')
        await readCard('入札 花子（代理人・ファイル）', 'hanako-2026', '読込')
        await refused('F1 電子証明書の追加: 登録済み', '電子証明書の種別選択画面')
        await keys.follow('入力画面に戻る（追加しない）')
        await page.locator('h1', { hasText: '更新する利用者情報の入力画面' }).waitFor()
        const removal = page.getByRole('button', { name: /の電子証明書を削除$/ }).first()
        await keys.press((await removal.getAttribute('aria-label')) ?? '削除')
        await audit('F1 電子証明書の削除: 本人確認', '削除する電子証明書の本人確認画面')
        await readCard('入札 花子（代理人・ファイル）', 'wrong', '読込')
        await refused('F1 電子証明書の削除: PIN誤り', '削除する電子証明書の本人確認画面')
        await keys.follow('入力画面に戻る（削除しない）')
        await page.locator('h1', { hasText: '更新する利用者情報の入力画面' }).waitFor()

        // Error screens: not found, and forbidden.
        expect((await page.goto(`${portal.url}/nowhere`))?.status()).toBe(404)
        await audit('404', 'ページが見つかりません')
        expect((await page.goto(`${portal.url}/mandate/deletion`))?.status()).toBe(403)
        await audit('403', 'この手続きは利用できません')
        await page.goto(`${portal.url}/menu`)
        await signOut()

        // The representative: his input screen with qualifications, the history, a notice.
        await signIn('調達 太郎（代表者・ICカード）', '1234')
        await audit('メニュー（代表者）', 'メニュー')
        await keys.follow('変更履歴')
        await audit('変更履歴', '変更履歴')
        await page.goto(`${portal.url}/menu`)
        await keys.follow('調達ポータルの定期メンテナンスのお知らせ')
        await audit('お知らせ', 'お知らせ')
        await page.goto(`${portal.url}/menu`)
        await keys.follow('利用者情報更新')
        await audit('F1 代表者: 入力', '更新する利用者情報の入力画面(代表者)')
        await keys.type('業者コード', '12AB')
        await keys.press('追加')
        await refused('F1 代表者: 資格情報エラー', '更新する利用者情報の入力画面(代表者)')
        // A body over the limit (typed text of 70 KB): 413.
        await page.getByLabel('所在地', { exact: true }).fill('あ'.repeat(24_000))
        await keys.press('確認')
        await audit('413', '送信内容が大きすぎます')
        // His new card added and the old one removed, each with its card read, then [確認] and [更新].
        await page.goto(`${portal.url}/user/edit?fresh=1`)
        const input = '更新する利用者情報の入力画面(代表者)'
        await keys.press('追加', page.locator('section', { hasText: '電子証明書情報' }))
        await page.locator('h1', { hasText: '電子証明書の種別選択画面' }).waitFor()
        await readCard('調達 太郎（新しいICカード・未登録）', '1234', '読込')
        await page.locator('table.certificates .staged').waitFor()
        const old = page.getByRole('button', { name: /の電子証明書を削除$/ }).first()
        await keys.press((await old.getAttribute('aria-label')) ?? '削除')
        await page.locator('h1', { hasText: '削除する電子証明書の本人確認画面' }).waitFor()
        await readCard('調達 太郎（代表者・ICカード）', '1234', '読込')
        await page.locator('h1', { hasText: input }).waitFor()
        await keys.type('部署名', '経営企画部')
        await keys.press('確認')
        await audit('F1 代表者: 確認', '利用者情報の更新確認画面')
        await expect(page.locator('caption', { hasText: '削除する電子証明書' }).count()).resolves.toBe(1)
        await keys.press('更新')
        await audit('F1 代表者: 完了', '利用者情報の更新完了画面')
        await signOut()

        // F2 without signing in: the choice, a refusal, the new certificate, confirm, complete.
        await keys.follow('電子証明書更新')
        await audit('F2: 種別選択', '更新する電子証明書の種別選択画面')
        await keys.choose('民間電子証明書（ICカード・ファイルタイプ）')
        await readCard('更新 三郎（代理人・期限切れICカード）', '0000', '読込')
        await refused('F2: PIN誤り', '更新する電子証明書の種別選択画面')
        await keys.choose('民間電子証明書（ICカード・ファイルタイプ）')
        await readCard('更新 三郎（代理人・期限切れICカード）', '5678', '読込')
        await audit('F2: 新しい電子証明書', '更新する電子証明書の読み込み画面')
        await readCard('更新 三郎（新しいICカード・未登録）', '5678', '読込')
        await audit('F2: 確認', '電子証明書の更新確認画面')
        await keys.press('更新実行')
        await audit('F2: 完了', '電子証明書更新完了画面')
        // The second read's screen opened on its own, in a session with no renewal begun: 409.
        await context.clearCookies()
        expect((await page.goto(`${portal.url}/renewal/new`))?.status()).toBe(409)
        await audit('409', '更新する電子証明書の読み込み画面', '電子証明書更新の最初の画面から始めてください')

        // F3 for 委任 次郎: the gate, a refusal, the request with its errors, a provider down,
        // a mandate of another business, then the right one.
        const [sample] = portal.mandateSimulators ?? []
        if (!sample) throw new Error('the test portal runs the mandate simulators')
        await signIn('委任 次郎（代理人・マイナンバーカード）', '4321')
        await audit('F3: 電子委任状失効画面', 'マイナンバーカード電子委任状失効画面')
        await readCard('委任 次郎（代理人・マイナンバーカード）', 'WRONG1', '電子委任状更新')
        await refused('F3: PIN誤り', 'マイナンバーカード電子委任状失効画面')
        await readCard('委任 次郎（代理人・マイナンバーカード）', 'ABC123', '電子委任状更新')
        await audit('F3: 取得依頼', 'マイナンバーカード電子委任状取得依頼画面')
        await keys.press('取得依頼')
        await refused('F3: 取得依頼エラー', 'マイナンバーカード電子委任状取得依頼画面')
        sample.faults.failNext = 1
        await keys.type('受付番号', 'POA-2026-0001')
        await keys.press('取得依頼')
        await audit(
          '503',
          'マイナンバーカード電子委任状取得依頼画面',
          '電子委任状取扱事業者にいま接続できませんでした',
        )
        await keys.type('受付番号', 'POA-2026-0002')
        await keys.press('取得依頼')
        await audit('F3: 確認（受任者が異なる）', 'マイナンバーカード電子委任状確認画面')
        await keys.follow('取得依頼画面に戻る')
        await keys.type('受付番号', 'POA-2026-0001')
        await keys.press('取得依頼')
        await audit('F3: 確認', 'マイナンバーカード電子委任状確認画面')
        await keys.press('電子委任状更新')
        await audit('F3: 完了', 'マイナンバーカード電子委任状更新完了画面')

        // F4 for him: the read, a refusal, confirm, complete.
        await page.goto(`${portal.url}/mandate/deletion`)
        await audit('F4: 読込', 'マイナンバーカード')
        await readCard('委任 次郎（代理人・マイナンバーカード）', '0000', '代理人情報削除')
        await refused('F4: PIN誤り', '')
        await readCard('委任 次郎（代理人・マイナンバーカード）', '4321', '代理人情報削除')
        await audit('F4: 確認', '利用者情報削除確認(代理人・マイナンバーカード)画面')
        await keys.press('削除')
        await audit('F4: 完了', '利用者情報削除完了(代理人・マイナンバーカード)画面')

        expect(states.length).toBeGreaterThanOrEqual(35)
        expect(violations).toEqual([])
        expect(scriptErrors).toEqual([])
      } finally {
        await auditorContext.close()
        await context.close()
        await portal.close()
      }
    }, 300_000)
  },
)
