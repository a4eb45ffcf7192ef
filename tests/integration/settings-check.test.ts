/**
 * Settings that fail fast: every malformed or missing one is named at once, with what to set, by
 * `npm run ops -- check-config` and by a start, which exits non-zero without listening.
 */
import { expect, it } from 'vitest'
import { settingsProblems } from '../../main.ts'
import { createPostgresDatabase, postgresServer, skipWithoutPostgres } from '../support/database.ts'
import { runToEnd } from '../support/server-process.ts'

const production = {
  DATABASE_URL: 'postgres://portal@127.0.0.1:9/portal',
  GEPS_URL: 'https://geps.example.go.jp/',
  JPKI_URL: 'https://jpki.example.go.jp/',
  MANDATE_PROVIDERS: '[{"id":"a","name":"A","url":"https://a.example.jp"}]',
  SMTP_URL: 'smtp://relay.example.go.jp:25',
}

it('names every malformed and every missing setting at once', () => {
  expect(settingsProblems(production)).toEqual([])
  expect(settingsProblems({})).toEqual([])
  const problems = settingsProblems({
    ...production,
    PORT: 'eighty',
    DATABASE_QUERY_TIMEOUT_SECONDS: '-1',
    JPKI_URL: '',
    SMTP_URL: '',
  })
  expect(problems).toHaveLength(3)
  expect(problems[0]).toMatch(/^PORT: .* \(it is "eighty"\)$/)
  expect(problems[1]).toMatch(/^DATABASE_QUERY_TIMEOUT_SECONDS: .* \(it is "-1"\)$/)
  expect(problems[2]).toContain('JPKI_URL, SMTP_URL are not set')
  expect(problems[2]).toContain('Set them, or set SIMULATORS=true')
})

it('says so without starting (npm run ops -- check-config), and a start refuses with the same', async () => {
  const env = { ...production, PORT: 'eighty', SMTP_URL: '' }
  const checked = await runToEnd(process.execPath, ['jobs/ops.ts', 'check-config'], env)
  expect(checked.code).toBe(1)
  expect(checked.output).toContain('- PORT:')
  expect(checked.output).toContain('SMTP_URL is not set')
  const started = await runToEnd(process.execPath, ['main.ts'], env)
  expect(started.code).toBe(1)
  expect(started.output).toContain('Could not start: the settings need fixing')
  expect(started.output).toContain('- PORT:')
  expect(started.output).toContain('SMTP_URL is not set')
  const fine = await runToEnd(process.execPath, ['jobs/ops.ts', 'check-config'], production)
  expect(fine).toMatchObject({ code: 0 })
  expect(fine.output).toContain('complete for production')
})

it('runs the migrations as a step of their own (npm run ops -- migrate), once', async (ctx) => {
  const server = await postgresServer()
  if (!server) return skipWithoutPostgres(ctx)
  const database = await createPostgresDatabase(server)
  try {
    const first = await runToEnd(process.execPath, ['jobs/ops.ts', 'migrate'], { DATABASE_URL: database.url })
    expect(first).toMatchObject({ code: 0 })
    expect(first.output).toMatch(/^Ran 0001-accounts, 0002-/)
    const again = await runToEnd(process.execPath, ['jobs/ops.ts', 'migrate'], { DATABASE_URL: database.url })
    expect(again).toMatchObject({ code: 0, output: 'The database is up to date.\n' })
  } finally {
    await database.drop()
  }
})
