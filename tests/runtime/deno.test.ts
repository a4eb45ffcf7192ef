/**
 * The backend is Deno-compatible: the same main.ts, started under Deno, serves the sign-in page
 * and the agent's update end to end, on the backend under test (PGlite, or PostgreSQL when
 * DATABASE_URL is set).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { inCi, portalDatabase } from '../support/database.ts'
import { type ServerProcess, startServerProcess } from '../support/server-process.ts'
import { agentUpdateOverHttp } from '../support/slice-over-http.ts'

const deno = join(process.cwd(), 'node_modules', '.bin', 'deno')
const dataDir = mkdtempSync(join(tmpdir(), 'portal-deno-'))
let server: ServerProcess | undefined
let dropDatabase = async () => {}
afterAll(async () => {
  await server?.stop()
  await dropDatabase()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('under Deno', () => {
  it('serves the sign-in page and the agent’s update', async (ctx) => {
    if (!existsSync(deno)) {
      if (inCi) throw new Error('CI=true and Deno is not installed (npm install brings it)')
      return ctx.skip('Deno is not installed in node_modules/.bin')
    }
    const database = await portalDatabase()
    dropDatabase = database.drop
    const databaseEnv: Record<string, string> =
      database.target.backend === 'postgres'
        ? { DATABASE_URL: database.target.url, SIMULATORS: 'true', DEMO_DATA: 'true' }
        : { DATA_DIR: join(dataDir, 'pglite') }
    server = await startServerProcess(deno, ['run', '--allow-all', 'main.ts'], {
      ...databaseEnv,
      PORT: '0',
      MAIL_SINK_PORT: '0',
      GEPS_SIMULATOR_PORT: '0',
      JPKI_SIMULATOR_PORT: '0',
      GEPS_NOTICE_DELAY_MS: '50',
    })
    expect(server.output()).toContain('demo data created')
    await agentUpdateOverHttp(server.url, { title: '部長', email: 'hanako.deno@sample-shoji.example.jp' })
    // The page's modules are the core's sources with the types stripped, by Deno as by Node.
    const pageModule = await fetch(`${server.url}/assets/modules/core/lib/pkcs12.js`)
    expect(pageModule.status).toBe(200)
    expect(await pageModule.text()).toContain("from '/assets/modules/vendor/asn1js.js'")
    const vendor = await fetch(`${server.url}/assets/modules/vendor/asn1js.js`)
    expect(vendor.status).toBe(200)
    expect(await vendor.text()).toContain("from '/assets/modules/vendor/pvtsutils.js'")
    expect(await server.stop()).toBe(0)
    server = undefined
  }, 180_000)
})
