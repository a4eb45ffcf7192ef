/**
 * Real cards through the card helper, in Chromium: the portal wired as production is (no virtual
 * card reader), the helper run as a user runs it (`card-helper.ts`, its own process) over SoftHSM2
 * tokens made of the demo cards through a PKCS#11 module that counts PINs as a card does. Every
 * card read of the manual goes through the helper's window, with the PIN typed there: sign-in, F1
 * add, F2 with a private IC card and with a My Number card, F3 and F4. A wrong PIN counts down and
 * locks the token; no PIN reaches the portal (its requests, its log, its database). A page of
 * another origin gets nothing from the helper's window. Without JavaScript the screens say what
 * the card path needs, and offer the file path.
 */
import { sql } from 'kysely'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openPage } from '../support/browser.ts'
import {
  type DemoToken,
  demoSoftCards,
  freePort,
  type HelperProcess,
  startHelperProcess,
} from '../support/card-helper-process.ts'
import { startTestPortal } from '../support/portal.ts'
import { softhsmAvailable } from '../support/softhsm.ts'

const available = softhsmAvailable()
let browser: Browser
beforeAll(async () => {
  if (available) browser = await launchChromium()
})
afterAll(async () => browser?.close())

/** A UUID anywhere in a text. */
const ANY_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

/** PINs no demo data holds, so that finding one anywhere in the portal means it leaked. */
const PINS = { taro: 'Q7ZK4M2P91', saburo: 'K8XW3N6R27', jiroAuth: '7391', jiroSigning: 'SIGN7Q4Z9X' }

const JIRO_CARD: DemoToken[] = [
  { cardId: 'jiro-mynumber', label: 'JPKI (User Authentication PIN)', pin: PINS.jiroAuth, id: '01' },
  {
    cardId: 'jiro-mynumber-signing',
    label: 'JPKI (Digital Signature PIN)',
    pin: PINS.jiroSigning,
    id: '02',
    certificateIsPrivate: true,
  },
]

type Scene = {
  portal: Awaited<ReturnType<typeof startTestPortal>>
  helper: HelperProcess
  page: Page
  scriptErrors: string[]
  /** Every request the page made to the portal: its URL and body. */
  sent: string[]
  logs: string[]
}

/** A production-wired portal, a helper over `tokens`, and a page with JavaScript; then the checks of every scene. */
const scene = async (
  tokens: DemoToken[],
  body: (s: Scene) => Promise<void>,
  options: { tries?: number } = {},
) => {
  const helperPort = await freePort()
  const logs: string[] = []
  // With their fields, for a failure's message only: a field's number (a duration, say) may read
  // as a 4-digit PIN, so the PIN checks look at the messages (`logs`).
  const logged: string[] = []
  const portal = await startTestPortal({
    virtualCardReader: false,
    cardHelperUrl: `http://127.0.0.1:${helperPort}`,
    log: (m, fields) => {
      logs.push(m)
      logged.push(fields ? `${m} ${JSON.stringify(fields)}` : m)
    },
  })
  const helper = await startHelperProcess({
    cards: await demoSoftCards(portal, tokens),
    portalUrl: portal.url,
    port: helperPort,
    tries: options.tries,
  }).catch(async (e) => {
    await portal.close()
    throw e
  })
  const { context, page, scriptErrors } = await openPage(browser, true)
  // The helper's window answers after a PKCS#11 login in another process: more than the usual
  // wait on a machine busy with the other test files.
  context.setDefaultTimeout(20_000)
  const sent: string[] = []
  page.on('request', (r) => {
    if (r.url().startsWith(portal.url)) sent.push(`${r.url()}\n${r.postData() ?? ''}`)
  })
  try {
    await body({ portal, helper, page, scriptErrors, sent, logs }).catch(async (e: Error) => {
      e.message += `\n${await whereItStood(page, helper, logged)}`
      throw e
    })
    // The PIN went to the helper only: not in what the page sent, not in the log, not stored.
    // A PIN as a value of its own: a 4-digit one may well stand inside a hex fingerprint by chance,
    // and be a group of a random id (one in 65,536 ids of the ~90 a scene stores and sends), so ids
    // are taken out first: a PIN is never kept in the shape of an id.
    const rows = await storedText(portal)
    for (const pin of Object.values(PINS)) {
      const holds = (text: string) =>
        new RegExp(`(^|[^0-9A-Za-z])${pin}([^0-9A-Za-z]|$)`).test(text.replace(ANY_UUID, 'id'))
      expect(sent.filter(holds)).toEqual([])
      expect(logs.filter(holds)).toEqual([])
      expect(rows.filter(holds)).toEqual([])
    }
    expect(scriptErrors, scriptErrors.join('\n')).toEqual([])
  } finally {
    await context.close()
    await helper.stop()
    await portal.close()
  }
}

/**
 * Where a failed scene stood, for the failure's message: each window's address, heading and
 * status, what the helper process printed and what the portal last logged.
 */
const whereItStood = async (page: Page, helper: HelperProcess, logged: string[]): Promise<string> => {
  const windows = await Promise.all(
    page
      .context()
      .pages()
      .map(async (p) => {
        const said = await p
          .evaluate(() =>
            ['h1', '#status', '#error-summary', '.field-error']
              .flatMap((s) => [...document.querySelectorAll(s)].map((e) => e.textContent?.trim()))
              .join(' | '),
          )
          .catch((e: Error) => `(unreadable: ${e.message.split('\n')[0]})`)
        return `window ${p.url()}: ${said}`
      }),
  )
  return [
    ...windows,
    `helper printed: ${helper.output().slice(-1500)}`,
    `portal logged (last 15): ${logged.slice(-15).join('\n')}`,
  ].join('\n')
}

/** Every row of every table of the portal's database, as text. */
const storedText = async (portal: Scene['portal']): Promise<string[]> => {
  const db = portal.database.db
  const { rows: tables } = await sql<{ schema: string; name: string }>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(db)
  const found: string[] = []
  for (const t of tables) {
    const { rows } = await sql<{
      row: string
    }>`select t::text as row from ${sql.table(`${t.schema}.${t.name}`)} t`.execute(db)
    found.push(...rows.map((r) => r.row))
  }
  expect(found.length).toBeGreaterThan(0)
  return found
}

/** The card read through the helper's window: the card chosen there and its PIN(s) typed there. */
const readWithHelper = async (
  page: Page,
  choice: { token: string | RegExp; pin: string; authenticationPin?: string; button?: string },
) => {
  const opened = page.waitForEvent('popup')
  await page.getByRole('button', { name: choice.button ?? 'カードヘルパーで読込' }).click()
  const helper = await opened
  await helper.locator('#status', { hasText: 'カードを選び' }).waitFor()
  await helper.getByRole('radio', { name: choice.token }).check()
  await helper.locator('#pin').fill(choice.pin)
  if (choice.authenticationPin) await helper.locator('#authenticationPin').fill(choice.authenticationPin)
  await helper.getByRole('button', { name: '読込', exact: true }).click()
  return helper
}

/** As readWithHelper, until the helper's window has handed the token over and closed. */
const readAndClose = async (page: Page, choice: Parameters<typeof readWithHelper>[1]) => {
  const helper = await readWithHelper(page, choice)
  if (!helper.isClosed()) await helper.waitForEvent('close')
}

const signIn = (page: Page, portalUrl: string, token: string | RegExp, pin: string) =>
  page.goto(`${portalUrl}/sign-in`).then(() => readAndClose(page, { token, pin }))

// Each scene starts a portal, a helper process and its tokens inside the test: on a loaded CI
// machine that alone can take most of the default 30 s.
describe.skipIf(!available)(
  'real cards through the card helper (SoftHSM2 over PKCS#11)',
  { timeout: 90_000 },
  () => {
    it('signs 調達 太郎 in with his IC card, and adds his new IC card in F1', async () => {
      const tokens: DemoToken[] = [
        { cardId: 'taro-ic', label: 'TARO-CARD-1', pin: PINS.taro },
        { cardId: 'taro-ic-new', label: 'TARO-CARD-2', pin: PINS.taro },
      ]
      await scene(tokens, async ({ portal, page }) => {
        await signIn(page, portal.url, /TARO-CARD-1/, PINS.taro)
        await page.waitForURL(`${portal.url}/menu`)
        await expect(page.locator('main').textContent()).resolves.toContain('調達 太郎 様')

        await page.getByRole('link', { name: '利用者情報更新', exact: true }).click()
        await page
          .locator('section', { hasText: '電子証明書情報' })
          .getByRole('button', { name: '追加' })
          .click()
        await page.locator('h1', { hasText: '電子証明書の種別選択画面' }).waitFor()
        await readAndClose(page, { token: /TARO-CARD-2/, pin: PINS.taro })
        await page.locator('table.certificates .staged').waitFor()
        await page.getByRole('button', { name: '確認', exact: true }).click()
        await page.locator('caption', { hasText: '追加する電子証明書' }).waitFor()
        await page.getByRole('button', { name: '更新' }).click()
        await page.locator('h1', { hasText: '利用者情報の更新完了画面' }).waitFor()
      })
    })

    it('renews 更新 三郎’s expired IC card with his new one (F2, private certificate)', async () => {
      const tokens: DemoToken[] = [
        { cardId: 'saburo-ic-expired', label: 'SABURO-OLD', pin: PINS.saburo },
        { cardId: 'saburo-ic-new', label: 'SABURO-NEW', pin: PINS.saburo },
      ]
      await scene(tokens, async ({ portal, page }) => {
        await page.goto(`${portal.url}/renewal`)
        await readAndClose(page, { token: /SABURO-OLD/, pin: PINS.saburo })
        await page.locator('h1', { hasText: '更新する電子証明書の読み込み画面' }).waitFor()
        await readAndClose(page, { token: /SABURO-NEW/, pin: PINS.saburo })
        await page.locator('h1', { hasText: '電子証明書の更新確認画面' }).waitFor()
        await page.getByRole('button', { name: '更新実行' }).click()
        await page.locator('h1', { hasText: '電子証明書更新完了画面' }).waitFor()
        await signIn(page, portal.url, /SABURO-NEW/, PINS.saburo)
        await page.waitForURL(`${portal.url}/menu`)
      })
    })

    it('renews 委任 次郎’s My Number card (F2): both certificates, each with its PIN, then signs in with it', async () => {
      const renewed: DemoToken[] = [
        {
          cardId: 'jiro-mynumber-renewed',
          label: 'JPKI (User Authentication PIN)',
          pin: PINS.jiroAuth,
          id: '01',
        },
        {
          cardId: 'jiro-mynumber-renewed-signing',
          label: 'JPKI (Digital Signature PIN)',
          pin: PINS.jiroSigning,
          id: '02',
          certificateIsPrivate: true,
        },
      ]
      await scene(renewed, async ({ portal, page }) => {
        await page.goto(`${portal.url}/renewal`)
        await page.getByLabel('マイナンバーカード', { exact: true }).check()
        await page.getByLabel(/公的個人認証サービスより取得することに同意する/).check()
        await readAndClose(page, {
          token: /署名用電子証明書/,
          pin: PINS.jiroSigning,
          authenticationPin: PINS.jiroAuth,
        })
        await page.locator('h1', { hasText: '電子証明書の更新確認画面' }).waitFor()
        await expect(page.locator('h2', { hasText: '更新先電子証明書情報' }).count()).resolves.toBe(2)
        await page.getByRole('button', { name: '更新実行' }).click()
        await page.locator('h1', { hasText: '電子証明書更新完了画面' }).waitFor()
        await signIn(page, portal.url, /利用者証明用電子証明書/, PINS.jiroAuth)
        await page.waitForURL(`${portal.url}/mandate/expired`)
      })
    })

    it('renews 委任 次郎’s mandate (F3, signing PIN) and deletes him (F4, user-authentication PIN)', async () => {
      await scene(JIRO_CARD, async ({ portal, page }) => {
        await signIn(page, portal.url, /利用者証明用電子証明書/, PINS.jiroAuth)
        await page.waitForURL(`${portal.url}/mandate/expired`)
        await readAndClose(page, { token: /署名用電子証明書/, pin: PINS.jiroSigning })
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状取得依頼画面' }).waitFor()
        await page.getByLabel('受付番号').fill('POA-2026-0001')
        await page.getByRole('button', { name: '取得依頼' }).click()
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状確認画面' }).waitFor()
        await page.getByRole('button', { name: '電子委任状更新' }).click()
        await page.locator('h1', { hasText: 'マイナンバーカード電子委任状更新完了画面' }).waitFor()

        await page.goto(`${portal.url}/mandate/expired`)
        await page.getByRole('button', { name: '代理人情報削除' }).click()
        await page.locator('h1', { hasText: '代理人情報削除(マイナンバーカードの読込)' }).waitFor()
        await readAndClose(page, { token: /利用者証明用電子証明書/, pin: PINS.jiroAuth })
        await page.locator('h1', { hasText: '利用者情報削除確認(代理人・マイナンバーカード)画面' }).waitFor()
        await page.getByRole('button', { name: '削除', exact: true }).click()
        await page.locator('h1', { hasText: '利用者情報削除完了(代理人・マイナンバーカード)画面' }).waitFor()
      })
    })

    it('counts wrong PINs down in the helper’s window and locks the card; the portal never sees a PIN', async () => {
      const tokens: DemoToken[] = [{ cardId: 'taro-ic', label: 'TARO-CARD-1', pin: PINS.taro }]
      await scene(
        tokens,
        async ({ portal, page }) => {
          await page.goto(`${portal.url}/sign-in`)
          const helper = await readWithHelper(page, { token: /TARO-CARD-1/, pin: 'WRONG-PIN-01' })
          await helper.locator('.field-error', { hasText: 'PINが正しくありません' }).waitFor()
          await helper.locator('#pin').fill('WRONG-PIN-02')
          await helper.getByRole('button', { name: '読込', exact: true }).click()
          await helper
            .locator('.field-error', { hasText: 'あと1回間違えるとカードがロックされます' })
            .waitFor()
          await helper.locator('#pin').fill('WRONG-PIN-03')
          await helper.getByRole('button', { name: '読込', exact: true }).click()
          await helper.locator('.field-error', { hasText: 'ロックされています' }).waitFor()
          // Locked: the right PIN no longer opens it, and the card is offered no more.
          await expect(helper.getByRole('radio', { name: /TARO-CARD-1/ }).isDisabled()).resolves.toBe(true)
          await helper.getByRole('button', { name: 'キャンセル' }).click()
          await page.locator('#error-summary', { hasText: '取り消されました' }).waitFor()
          await expect(page.url()).toContain('/sign-in')
        },
        { tries: 3 },
      )
    })

    it('gives a page of another origin nothing: no ready, no read of its challenge', async () => {
      await scene(
        [{ cardId: 'taro-ic', label: 'TARO-CARD-1', pin: PINS.taro }],
        async ({ portal, helper, page }) => {
          // The same portal under another name is another origin, which the helper was not set up for.
          const otherOrigin = portal.url.replace('127.0.0.1', 'localhost')
          await page.goto(`${otherOrigin}/sign-in`)
          const received = await page.evaluate(async (helperUrl) => {
            const messages: unknown[] = []
            window.addEventListener('message', (e) => messages.push(e.data))
            // It names the real portal as its origin: the helper's window believes the browser, not the URL.
            const w = window.open(
              `${helperUrl}/read?origin=${encodeURIComponent(location.origin.replace('localhost', '127.0.0.1'))}&use=authentication`,
            )
            await new Promise((r) => setTimeout(r, 1500))
            w?.postMessage({ action: 'card-helper:read', nonce: 'a'.repeat(43) }, '*')
            await new Promise((r) => setTimeout(r, 500))
            return messages
          }, helper.url)
          expect(received).toEqual([])
          const [helperWindow] = page
            .context()
            .pages()
            .filter((p) => p.url().startsWith(helper.url))
          if (!helperWindow) throw new Error('the helper’s window did not open')
          await expect(helperWindow.locator('#read-button').isDisabled()).resolves.toBe(true)
          await expect(helperWindow.locator('input[name="nonce"]').inputValue()).resolves.toBe('')
          await helperWindow.close()
        },
      )
    })
  },
)

describe.skipIf(!available)(
  'the card path where the helper is not there, or JavaScript is off',
  { timeout: 90_000 },
  () => {
    it('says when no helper answers, and without JavaScript says what a card needs and offers the file', async () => {
      const portal = await startTestPortal({
        virtualCardReader: false,
        cardHelperUrl: `http://127.0.0.1:${await freePort()}`,
      })
      const withScript = await openPage(browser, true)
      const withoutScript = await openPage(browser, false)
      try {
        await withScript.page.goto(`${portal.url}/sign-in`)
        await expect(withScript.page.locator('[data-card-helper-needs-script]').isVisible()).resolves.toBe(
          false,
        )
        await withScript.page.getByRole('button', { name: 'カードヘルパーで読込' }).click()
        await withScript.page
          .locator('#error-summary', { hasText: 'カードヘルパーが応答しませんでした' })
          .waitFor({ timeout: 20_000 })

        await withoutScript.page.goto(`${portal.url}/sign-in`)
        await expect(
          withoutScript.page.getByRole('button', { name: 'カードヘルパーで読込' }).isVisible(),
        ).resolves.toBe(false)
        await expect(
          withoutScript.page.locator('[data-card-helper-needs-script]').textContent(),
        ).resolves.toContain('カードヘルパーと、ブラウザのJavaScriptが必要です')
        await expect(
          withoutScript.page.getByRole('button', { name: 'ファイルでログイン' }).isVisible(),
        ).resolves.toBe(true)
      } finally {
        await withScript.context.close()
        await withoutScript.context.close()
        await portal.close()
      }
    })
  },
)
