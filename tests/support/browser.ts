/**
 * Chromium for Playwright, never downloaded: Debian's (`apt-get install chromium`) where it is
 * installed, else the one shipped inside the npm package @sparticuz/chromium.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

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
