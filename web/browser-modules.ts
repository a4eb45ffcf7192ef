/**
 * The modules the page loads, served from their TypeScript sources with the types stripped
 * (node:module's stripTypeScriptTypes, which Node and Deno both have): the page runs the very code
 * the server runs (the PKCS#12 reader, the token's signed data), with no build step. Only the
 * files listed here are served; each import of `./x.ts` becomes `./x.js`, under /assets/modules/.
 * The packages they import (asn1js, and its own two) are served from their published ES module
 * builds under /assets/modules/vendor/, each import of one rewritten to that address.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire, stripTypeScriptTypes } from 'node:module'
import { dirname, join } from 'node:path'

export const BROWSER_MODULES = [
  'core/lib/base64',
  'core/lib/helper-token',
  'core/lib/pkcs12',
  'core/lib/result',
  'web/page/card-read',
] as const

/** The packages the page's modules import, each a single ES module file; in import order. */
export const VENDOR_PACKAGES = ['asn1js', 'pvtsutils', 'pvutils'] as const

/** A package's folder, found as the package that imports it would find it (pvutils sits under asn1js). */
const packageFolder = (name: string, from: string): string => {
  const entry = createRequire(from).resolve(name)
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir))
    if (dir.endsWith(join('node_modules', name))) return dir
  throw new Error(`cannot find the folder of ${name}`)
}

/** Each vendor package's ES module build, by name. */
const vendorModules = (): Map<string, string> => {
  const asn1js = packageFolder('asn1js', import.meta.url)
  const folders: Record<(typeof VENDOR_PACKAGES)[number], string> = {
    asn1js,
    pvtsutils: packageFolder('pvtsutils', join(asn1js, 'package.json')),
    pvutils: packageFolder('pvutils', join(asn1js, 'package.json')),
  }
  return new Map(
    VENDOR_PACKAGES.map((name) => {
      const manifest = JSON.parse(readFileSync(join(folders[name], 'package.json'), 'utf8')) as {
        module?: string
      }
      if (!manifest.module) throw new Error(`${name} publishes no ES module build`)
      return [name, readFileSync(join(folders[name], manifest.module), 'utf8')]
    }),
  )
}

/** Imports of the vendor packages, by bare name, pointed at where the page finds them. */
const pointVendorImports = (script: string): string =>
  script.replace(
    new RegExp(`(from\\s+)(['"])(${VENDOR_PACKAGES.join('|')})\\2`, 'g'),
    '$1$2/assets/modules/vendor/$3.js$2',
  )

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

/** The card helper's own page (web/card-helper): its script and the protocol's names. */
export const HELPER_MODULES = ['core/lib/helper-token', 'web/card-helper/helper-page'] as const

/** Each module's JavaScript by its path without extension, made once at start. */
export const browserModules = (paths: readonly string[] = BROWSER_MODULES): Map<string, string> =>
  new Map([
    ...paths.map((path): [string, string] => {
      // Run from its build (dist/, `npm run build`), the module is JavaScript already; from the
      // sources, its types are stripped here.
      const built = new URL(`../${path}.js`, import.meta.url)
      const script = existsSync(built)
        ? readFileSync(built, 'utf8')
        : stripQuietly(readFileSync(new URL(`../${path}.ts`, import.meta.url), 'utf8')).replace(
            /(from\s+'\.{1,2}\/[^']+)\.ts'/g,
            "$1.js'",
          )
      return [path, pointVendorImports(script)]
    }),
    ...[...vendorModules()].map(([name, script]): [string, string] => [
      `vendor/${name}`,
      pointVendorImports(script),
    ]),
  ])
