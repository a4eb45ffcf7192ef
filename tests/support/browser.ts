/**
 * Chromium for Playwright, never downloaded: Debian's (`apt-get install chromium`) where it is
 * installed, else the one shipped inside the npm package @sparticuz/chromium.
 */
import { existsSync } from 'node:fs'
import { type Browser, type BrowserContextOptions, chromium } from 'playwright-core'

const DEBIAN_CHROMIUM = '/usr/bin/chromium'
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** TEST_CHROMIUM=packaged forces the packaged one, to check the path a fresh machine takes. */
export const launchChromium = async (): Promise<Browser> => {
  if (process.env.TEST_CHROMIUM !== 'packaged' && existsSync(DEBIAN_CHROMIUM)) {
    return chromium.launch({ executablePath: DEBIAN_CHROMIUM, args: FLAGS, headless: true })
  }
  const packaged = (await import('@sparticuz/chromium')).default
  return chromium.launch({
    executablePath: await packaged.executablePath(),
    // Its --single-process is for AWS Lambda: here it takes the whole browser down with the first closed context.
    args: [...packaged.args.filter((a) => a !== '--single-process'), ...FLAGS],
    headless: true,
  })
}

/**
 * A page in a context of its own, with or without JavaScript, collecting script errors and console
 * errors (a Content-Security-Policy violation is reported there; an answer's status, such as an
 * intended 422, is reported there too and is not one).
 */
export const openPage = async (
  browser: Browser,
  javaScriptEnabled: boolean,
  /** More for the context: a certificate made for the test to accept, headers to send. */
  more: Pick<BrowserContextOptions, 'ignoreHTTPSErrors' | 'extraHTTPHeaders'> = {},
) => {
  const context = await browser.newContext({ javaScriptEnabled, locale: 'ja-JP', ...more })
  context.setDefaultTimeout(8_000)
  const page = await context.newPage()
  const scriptErrors: string[] = []
  page.on('pageerror', (e) => scriptErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) scriptErrors.push(m.text())
  })
  return { context, page, scriptErrors }
}
