/**
 * The card helper: run by the user on their own computer (`npm run card-helper -- --origin
 * https://portal.example.jp`), it reads an IC card or a My Number card in the user's reader through
 * PKCS#11 when a page of the portal asks, in a window of its own where the user types the PIN.
 * It listens on 127.0.0.1 only. The README's "Reading a real card" says what to install.
 *
 * Settings (flags, or the environment):
 *   --origin URL        CARD_HELPER_ORIGINS   the portal's address (PUBLIC_URL); comma-separated for more
 *   --module PATH       CARD_HELPER_MODULES   PKCS#11 modules, comma-separated (default: OpenSC's)
 *   --token-label TEXT  CARD_HELPER_TOKEN_LABEL  only the token of this label (a vendor module's)
 *   --port N            CARD_HELPER_PORT      default 24649 (the portal's CARD_HELPER_URL must match)
 */
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { pkcs11CardTokens } from './adapters/card-helper/card-tokens.pkcs11.ts'
import { type Served, serveHttp } from './adapters/http/serve.ts'
import { DEFAULT_CARD_HELPER_PORT } from './core/lib/helper-token.ts'
import type { CardTokens } from './core/ports.ts'
import { readForPage, tokensFor } from './core/use-cases/card-helper/card-helper.ts'
import { createHelperApp } from './web/card-helper/helper-app.ts'

/** Where OpenSC puts its PKCS#11 module (which reads the My Number card), by platform. */
export const OPENSC_MODULES = [
  '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
  '/usr/lib64/opensc-pkcs11.so',
  '/usr/lib/opensc-pkcs11.so',
  '/Library/OpenSC/lib/opensc-pkcs11.so',
  '/opt/homebrew/lib/opensc-pkcs11.so',
  'C:\\Windows\\System32\\opensc-pkcs11.dll',
]

/** Starts the helper on 127.0.0.1 over the tokens given. */
export const startCardHelper = async (options: {
  tokens: CardTokens
  allowedOrigins: string[]
  port?: number
}): Promise<Served> => {
  let ownOrigins: string[] = []
  const app = createHelperApp({
    useCases: {
      tokensFor: tokensFor({ tokens: options.tokens }),
      readForPage: readForPage({ tokens: options.tokens, allowedOrigins: options.allowedOrigins }),
    },
    allowedOrigins: options.allowedOrigins,
    ownOrigins: () => ownOrigins,
  })
  const served = await serveHttp(app.fetch, { port: options.port ?? DEFAULT_CARD_HELPER_PORT })
  ownOrigins = [`http://127.0.0.1:${served.port}`, `http://localhost:${served.port}`]
  return served
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')

const main = async () => {
  const { values } = parseArgs({
    options: {
      origin: { type: 'string', multiple: true },
      module: { type: 'string', multiple: true },
      'token-label': { type: 'string' },
      port: { type: 'string' },
    },
  })
  const origins = (values.origin ?? list(process.env.CARD_HELPER_ORIGINS)).map((o) => new URL(o).origin)
  if (origins.length === 0) {
    console.error('Give the portal’s address: npm run card-helper -- --origin https://portal.example.jp')
    process.exit(2)
  }
  const paths = values.module ?? list(process.env.CARD_HELPER_MODULES)
  const modules = paths.length > 0 ? paths : OPENSC_MODULES.filter((p) => existsSync(p)).slice(0, 1)
  if (modules.length === 0) {
    console.error('No PKCS#11 module: install OpenSC, or give your card vendor’s module with --module PATH.')
    process.exit(2)
  }
  const tokenLabel = values['token-label'] ?? process.env.CARD_HELPER_TOKEN_LABEL
  const tokens = await pkcs11CardTokens(modules.map((path) => ({ path, tokenLabel })))
  const port = Number(values.port ?? process.env.CARD_HELPER_PORT ?? DEFAULT_CARD_HELPER_PORT)
  const served = await startCardHelper({ tokens, allowedOrigins: origins, port })
  console.log(
    `Card helper on ${served.url}, for ${origins.join(', ')}, reading through ${modules.join(', ')}.`,
  )
  const stop = async () => {
    await served.close()
    tokens.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (import.meta.main) await main()
