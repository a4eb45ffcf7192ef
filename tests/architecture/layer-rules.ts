/**
 * The layer rules, as a checker of the imports of the project's own files (tests excepted): what
 * may import what. docs/architecture.md explains them; tests/architecture/layers.test.ts runs the
 * checker over the project in `npm test`, so that a file breaking a rule fails the build.
 *
 * - core imports nothing outside core, no runtime module (node:*), and only the packages below;
 *   core/lib (what the page loads too) imports only core/lib; core/domain imports core/lib,
 *   core/domain and the types of core/ports.ts.
 * - A use case's folder (core/use-cases/<flow>) imports no other flow's: what two flows share
 *   lives in core/use-cases/shared, which imports no flow.
 * - web imports no adapter, no job and not the composition root; a screen's module
 *   (WEB_FLOWS) imports no other screen's.
 * - jobs import no web; adapters import no web, no job, and (outside adapters/dev) no development tool.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'

/**
 * The packages core may import: encoding, X.509 and the national numbering plans (Japan's area
 * codes, for 電話番号 and FAX番号), plain code that runs in the page and on every runtime. No
 * framework, no driver, not zod either: what crosses a boundary is read at the edge (adapters, web).
 */
export const CORE_PACKAGES = [
  'asn1js',
  '@peculiar/x509',
  'reflect-metadata',
  'node-forge',
  'libphonenumber-js',
]

/** The web modules (or folders) of one screen flow each; app.ts mounts them, and none imports another. */
export const WEB_FLOWS = [
  'web/sign-in.ts',
  'web/menu.ts',
  'web/user-update/',
  'web/history.ts',
  'web/certificate-renewal.ts',
  'web/mandate-renewal.ts',
  'web/user-deletion.ts',
]

export type Import = { specifier: string; typeOnly: boolean }

/** The imports of a module's source: static, re-exports, and dynamic ones with a literal specifier. */
export const importsOf = (source: string): Import[] => {
  const found: Import[] = []
  const statics = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?(['"])([^'"\n]+)\3/g
  for (const m of source.matchAll(statics)) found.push({ specifier: m[4] ?? '', typeOnly: !!m[2] })
  for (const m of source.matchAll(/\bimport\(\s*(['"])([^'"\n]+)\1\s*\)/g))
    found.push({ specifier: m[2] ?? '', typeOnly: false })
  return found
}

const isUnder = (path: string, folder: string) => path.startsWith(`${folder}/`)
const webFlowOf = (path: string) =>
  WEB_FLOWS.find((flow) => path === flow || (flow.endsWith('/') && path.startsWith(flow)))
const flowOf = (path: string) => /^core\/use-cases\/([^/]+)\//.exec(path)?.[1]

/**
 * What is wrong with one import of `file` (both as paths from the project's root; `target` is the
 * file imported, or `package:<name>` for a package, `node:<name>` for a runtime module).
 */
export const ruleBroken = (file: string, target: string, typeOnly: boolean): string | undefined => {
  const isPackage = target.startsWith('package:')
  const isRuntime = target.startsWith('node:')
  if (isUnder(file, 'core')) {
    if (isRuntime) return 'core imports no runtime module: it runs in the page and on every runtime'
    if (isPackage) {
      const name = target.slice('package:'.length)
      return CORE_PACKAGES.includes(name)
        ? undefined
        : `core imports no package but ${CORE_PACKAGES.join(', ')}`
    }
    if (!isUnder(target, 'core')) return 'core imports nothing outside core'
    if (isUnder(file, 'core/lib') && !isUnder(target, 'core/lib')) return 'core/lib imports only core/lib'
    if (isUnder(file, 'core/domain')) {
      if (target === 'core/ports.ts')
        return typeOnly ? undefined : 'core/domain imports only the types of the ports'
      if (!isUnder(target, 'core/lib') && !isUnder(target, 'core/domain'))
        return 'core/domain imports only core/lib and core/domain'
    }
    const from = flowOf(file)
    const to = flowOf(target)
    if (from && to && from !== to && to !== 'shared')
      return `a flow imports no other flow: what ${from} and ${to} share belongs in core/use-cases/shared`
    return undefined
  }
  if (isUnder(file, 'web')) {
    if (isUnder(target, 'adapters'))
      return 'web imports no adapter: it gets use cases from the composition root'
    if (isUnder(target, 'jobs')) return 'web imports no job'
    if (target === 'main.ts') return 'web imports not the composition root'
    const from = webFlowOf(file)
    const to = webFlowOf(target)
    if (from && to && from !== to)
      return "a screen's module imports no other screen's: what both show belongs in a module of its own"
    return undefined
  }
  if (isUnder(file, 'jobs') && isUnder(target, 'web')) return 'jobs import no web'
  if (isUnder(file, 'adapters')) {
    if (isUnder(target, 'web') || isUnder(target, 'jobs') || target === 'main.ts')
      return 'adapters import no web, no job and not the composition root'
    if (!isUnder(file, 'adapters/dev') && isUnder(target, 'adapters/dev'))
      return 'only the composition root wires a development tool (adapters/dev)'
  }
  return undefined
}

/** `specifier` imported by `file`, as ruleBroken names it. */
export const targetOf = (file: string, specifier: string): string => {
  if (specifier.startsWith('node:')) return specifier
  if (specifier.startsWith('.')) return normalize(join(dirname(file), specifier))
  const parts = specifier.split('/')
  return `package:${specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]}`
}

export type Violation = { file: string; specifier: string; rule: string }

/** Every broken rule among `files` (path from the root → source). */
export const layerViolations = (files: Map<string, string>): Violation[] =>
  [...files].flatMap(([file, source]) =>
    importsOf(source).flatMap(({ specifier, typeOnly }) => {
      const rule = ruleBroken(file, targetOf(file, specifier), typeOnly)
      return rule ? [{ file, specifier, rule }] : []
    }),
  )

/** The project's own modules under the layered folders, tests excepted. */
export const projectModules = (root: string): Map<string, string> => {
  const files = new Map<string, string>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (/\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name))
        files.set(relative(root, path), readFileSync(path, 'utf8'))
    }
  }
  for (const folder of ['core', 'adapters', 'web', 'jobs']) walk(join(root, folder))
  return files
}
