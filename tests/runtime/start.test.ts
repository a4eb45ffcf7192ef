/**
 * `npm start` as a newcomer runs it: the first start creates the demo data, a second start on the
 * same folder changes nothing, and a second process on a folder in use is refused with a message.
 * The embedded default (PGlite in a folder) is what this checks; it needs no other service.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { npmStartIn, runToEnd, type ServerProcess, startServerProcess } from '../support/server-process.ts'
import { agentUpdateOverHttp } from '../support/slice-over-http.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'portal-start-'))
const node = process.execPath
// `npm start`'s own environment, V8 flags and entry, run on the pinned Node.
const { args: npmStart, env, compileCache } = npmStartIn(dataDir)
let running: ServerProcess | undefined
afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the embedded default, started as `npm start` does', () => {
  it('starts with the demo data, refuses a second process on its folder, and starts again unchanged', async () => {
    const first = await startServerProcess(node, npmStart, env)
    running = first
    expect(first.output()).toContain('demo data created')
    expect(first.output()).toMatch(/PIN hanako-2026\s+入札 花子（代理人・ファイル）/)
    expect(first.output()).toContain('/dev/mailbox')
    console.log(`first start: ${/Ready in [^\n]*/.exec(first.output())?.[0]}`)
    await agentUpdateOverHttp(first.url, {
      title: '部長',
      email: 'hanako.start@sample-shoji.example.jp',
    }).catch((e) => {
      throw new Error(`${(e as Error).message}\nserver output:\n${first.output()}`)
    })

    const second = await runToEnd(node, npmStart, env)
    expect(second.code).not.toBe(0)
    expect(second.output).toContain('is in use by another process')

    // Another folder, but the first one's port: the message says how to choose free ports.
    const port = new URL(first.url).port
    const clash = await runToEnd(node, npmStart, { ...env, DATA_DIR: join(dataDir, 'other'), PORT: port })
    expect(clash.code).not.toBe(0)
    expect(clash.output).toContain('Another program uses that port')

    expect(await first.stop()).toBe(0)
    running = undefined
    // The code compiled by the first start is kept for the next (Node's compile cache): a warm
    // start loads its modules a third sooner.
    expect(compileCache, "npm start's compile cache").toBeDefined()
    expect(readdirSync(compileCache ?? '', { recursive: true }).length).toBeGreaterThan(0)

    const again = await startServerProcess(node, npmStart, env)
    running = again
    expect(again.output()).not.toContain('demo data created')
    expect(again.output()).toMatch(/demo data made for \S+ kept/)
    console.log(`second start: ${/Ready in [^\n]*/.exec(again.output())?.[0]}`)
    // The same cards still sign in, and the change made before the restart is still there.
    await agentUpdateOverHttp(again.url, { title: '次長', email: 'hanako.again@sample-shoji.example.jp' })
    expect(await again.stop()).toBe(0)
    running = undefined
  }, 180_000)
})
