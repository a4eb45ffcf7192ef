import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { assertPostgresJsMended, POSTGRES_JS_MEND_MARK, UnmendedDriverError } from './postgres-js-mend.ts'

const copy = mkdtempSync(join(tmpdir(), 'postgres-js-'))
afterAll(() => rmSync(copy, { recursive: true, force: true }))

describe('the postgres.js mend check', () => {
  it('passes the driver npm install patched', () => {
    expect(() => assertPostgresJsMended()).not.toThrow()
  })

  it('refuses a build without the mends, naming each file that lacks them', () => {
    const installed = new URL('.', import.meta.resolve('postgres'))
    for (const name of ['connection.js', 'index.js', 'queue.js']) {
      const text = readFileSync(new URL(name, installed), 'utf8')
      writeFileSync(join(copy, name), name === 'index.js' ? text.replaceAll(POSTGRES_JS_MEND_MARK, '') : text)
    }
    const entry = pathToFileURL(join(copy, 'index.js')).href
    expect(() => assertPostgresJsMended(entry)).toThrow(UnmendedDriverError)
    expect(() => assertPostgresJsMended(entry)).toThrow(
      /lacks the mends of patches\/postgres\+3\.4\.9\.patch \(index\.js\)/,
    )
    rmSync(join(copy, 'connection.js'))
    expect(() => assertPostgresJsMended(entry)).toThrow(/\(connection\.js, index\.js\)/)
  })
})
