/**
 * The modules the page loads, served from their TypeScript sources with the types stripped
 * (node:module's stripTypeScriptTypes, which Node and Deno both have): the page runs the very code
 * the server runs (the PKCS#12 reader, the token's signed data), with no build step. Only the
 * files listed here are served; each import of `./x.ts` becomes `./x.js`, under /assets/modules/.
 */
import { readFileSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'

export const BROWSER_MODULES = [
  'core/base64',
  'core/helper-token',
  'core/pkcs12',
  'core/result',
  'core/triple-des',
  'web/page/card-read',
] as const

/** Node warns once that the function is experimental; the output is checked by a test instead. */
const stripQuietly = (source: string): string => {
  const emitWarning = process.emitWarning
  process.emitWarning = () => {}
  try {
    return stripTypeScriptTypes(source)
  } finally {
    process.emitWarning = emitWarning
  }
}

/** Each module's JavaScript by its path without extension, made once at start. */
export const browserModules = (): Map<string, string> =>
  new Map(
    BROWSER_MODULES.map((path) => {
      const source = readFileSync(new URL(`../${path}.ts`, import.meta.url), 'utf8')
      const script = stripQuietly(source).replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'")
      return [path, script]
    }),
  )
