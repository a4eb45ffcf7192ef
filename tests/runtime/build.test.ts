/**
 * The build production runs (`npm run build`, then `npm run start:production`, whose Node options
 * it starts with): TypeScript compiled to JavaScript, so that no process strips types as it
 * starts. Built into a folder of its own inside the project (the packages are found from there as
 * from dist/), it starts, serves the sign-in page and the page's modules as the compiled
 * JavaScript, and completes an agent's update.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import {
  embeddedSettings,
  nodeCommandOfScript,
  type ServerProcess,
  startServerProcess,
} from '../support/server-process.ts'
import { agentUpdateOverHttp } from '../support/slice-over-http.ts'

const root = join(import.meta.dirname, '../..')
mkdirSync(join(root, '.test-data'), { recursive: true })
const out = mkdtempSync(join(root, '.test-data', 'build-'))
const dataDir = mkdtempSync(join(tmpdir(), 'portal-build-'))
let running: ServerProcess | undefined
afterAll(async () => {
  await running?.stop()
  rmSync(out, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

it('builds to JavaScript that starts, serves its modules compiled, and completes an update', async () => {
  const tsc = join(root, 'node_modules', '.bin', 'tsc')
  execFileSync(tsc, ['-p', join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'pipe' })
  // Relative imports point at the compiled files; nothing of the tests is shipped.
  const main = readFileSync(join(out, 'main.js'), 'utf8')
  expect(main).toMatch(/from '\.\/adapters\/db\/database\.js'/)
  expect(main).not.toMatch(/\.ts'/)
  expect(() => readFileSync(join(out, 'tests', 'support', 'portal.js'))).toThrow()

  // With the production start's own options and environment (package.json's start:production), so
  // that the pinned Node is shown to take them.
  const production = nodeCommandOfScript('start:production')
  expect(production.entry).toBe('dist/main.js')
  running = await startServerProcess(process.execPath, [...production.options, join(out, 'main.js')], {
    ...production.env,
    ...embeddedSettings(join(dataDir, 'pglite')),
  })
  const signIn = await fetch(`${running.url}/sign-in`)
  expect(signIn.status).toBe(200)
  expect(await signIn.text()).toContain('ログイン')
  // The page's modules are the build's JavaScript (no type left to strip), imports pointed at .js.
  const module = await fetch(`${running.url}/assets/modules/core/lib/pkcs12.js`)
  expect(module.status).toBe(200)
  const script = await module.text()
  expect(script).toBe(
    readFileSync(join(out, 'core', 'lib', 'pkcs12.js'), 'utf8').replace(
      /(from\s+)(['"])(asn1js|pvtsutils|pvutils)\2/g,
      '$1$2/assets/modules/vendor/$3.js$2',
    ),
  )
  expect((await fetch(`${running.url}/assets/htmx.min.js`)).status).toBe(200)
  await agentUpdateOverHttp(running.url, { title: '部長', email: 'hanako.build@sample-shoji.example.jp' })
  expect(await running.stop()).toBe(0)
  running = undefined
}, 120_000)
