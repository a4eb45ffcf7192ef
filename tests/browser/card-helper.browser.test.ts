/**
 * An IC card read by a local card helper, in Chromium: the test plays the helper (the Web eID
 * browser extension's window-message protocol), signing with 調達 太郎's card key; the page sends
 * the helper's token. Without a helper the page says so; without JavaScript there is no helper
 * form at all.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openPage } from '../support/browser.ts'
import { demoCardToken } from '../support/demo-card-files.ts'
import { startTestPortal } from '../support/portal.ts'

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => browser?.close())

/** In the page, before its scripts: a helper that acknowledges and answers as the extension does. */
const playHelper = () => {
  window.addEventListener('message', async (event) => {
    const request = event.data as { action?: string; challengeNonce?: string }
    if (request?.action !== 'web-eid:authenticate' || !request.challengeNonce) return
    window.postMessage({ action: 'web-eid:authenticate-ack' }, location.origin)
    const sign = (
      window as unknown as { testHelperSign(nonce: string, origin: string): Promise<Record<string, string>> }
    ).testHelperSign
    const token = await sign(request.challengeNonce, location.origin)
    window.postMessage(
      {
        action: 'web-eid:authenticate-success',
        format: 'web-eid:1.0',
        unverifiedCertificate: token.certificate,
        algorithm: token.algorithm,
        signature: token.signature,
      },
      location.origin,
    )
  })
}

describe('a card helper', () => {
  it('signs 調達 太郎 in with the token of the helper that read his IC card', async () => {
    const portal = await startTestPortal()
    const { context, page, scriptErrors } = await openPage(browser, true)
    try {
      await page.exposeFunction('testHelperSign', (nonce: string, origin: string) =>
        demoCardToken(portal, 'taro-ic', nonce, { origin }),
      )
      await page.addInitScript(playHelper)
      await page.goto(`${portal.url}/sign-in`)
      await page.getByRole('button', { name: 'カードヘルパーで読込' }).click()
      await page.waitForURL(`${portal.url}/menu`)
      await expect(page.locator('main').textContent()).resolves.toContain('調達 太郎 様')
      expect(scriptErrors).toEqual([])
    } finally {
      await context.close()
      await portal.close()
    }
  })

  it('says when no helper answers, and offers no helper without JavaScript', async () => {
    const portal = await startTestPortal()
    const withScript = await openPage(browser, true)
    const withoutScript = await openPage(browser, false)
    try {
      await withScript.page.goto(`${portal.url}/sign-in`)
      await withScript.page.getByRole('button', { name: 'カードヘルパーで読込' }).click()
      await expect(withScript.page.locator('#error-summary').textContent()).resolves.toContain(
        'カードヘルパー（Web eID）が応答しませんでした',
      )
      expect(withScript.scriptErrors).toEqual([])

      // When the page cannot even get a challenge, it says the read failed; it sends no empty form.
      await withScript.page.route('**/card-read/challenge', (route) =>
        route.fulfill({ status: 500, body: '' }),
      )
      await withScript.page.goto(`${portal.url}/sign-in`)
      await withScript.page.getByRole('button', { name: 'カードヘルパーで読込' }).click()
      await expect(withScript.page.locator('#error-summary').textContent()).resolves.toContain(
        'カードヘルパーがカードを読み込めませんでした',
      )

      await withoutScript.page.goto(`${portal.url}/sign-in`)
      await expect(withoutScript.page.locator('form[data-card-helper]').count()).resolves.toBe(1)
      await expect(
        withoutScript.page.getByRole('button', { name: 'カードヘルパーで読込' }).isVisible(),
      ).resolves.toBe(false)
    } finally {
      await withScript.context.close()
      await withoutScript.context.close()
      await portal.close()
    }
  })
})
