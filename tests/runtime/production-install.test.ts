/**
 * The portal as a production install has it: a copy of the project whose node_modules lacks what
 * only development uses (smtp-server, mailparser) starts in production mode; and one whose
 * postgres.js lacks its mends (installed with --ignore-scripts, say) refuses to start, saying
 * why and what to run.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { POSTGRES_JS_MEND_MARK } from '../../adapters/db/postgres-js-mend.ts'
import { createPostgresDatabase, postgresServer, skipWithoutPostgres } from '../support/database.ts'
import { runToEnd, type ServerProcess, startServerProcess } from '../support/server-process.ts'

const copies = mkdtempSync(join(tmpdir(), 'portal-install-'))
const cleanUps: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp()
  rmSync(copies, { recursive: true, force: true })
})

/** The development packages a production install leaves out. */
const DEVELOPMENT_ONLY = ['smtp-server', 'mailparser', 'pino-pretty']

/** A copy of the project's code over the installed packages, less `without`; its main.ts. */
const projectCopy = (name: string, options: { without: string[]; unmendDriver?: boolean }) => {
  const root = process.cwd()
  const project = join(copies, name)
  for (const part of ['main.ts', 'package.json', 'core', 'adapters', 'web', 'jobs', 'migrations'])
    cpSync(join(root, part), join(project, part), { recursive: true })
  mkdirSync(join(project, 'node_modules'))
  for (const pkg of readdirSync(join(root, 'node_modules'))) {
    if (pkg.startsWith('.') || options.without.includes(pkg)) continue
    if (pkg === 'postgres' && options.unmendDriver) continue
    symlinkSync(join(root, 'node_modules', pkg), join(project, 'node_modules', pkg))
  }
  if (options.unmendDriver) {
    const driver = join(project, 'node_modules', 'postgres')
    cpSync(join(root, 'node_modules', 'postgres'), driver, { recursive: true })
    for (const file of ['connection.js', 'index.js', 'queue.js'].map((f) => join(driver, 'src', f)))
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll(POSTGRES_JS_MEND_MARK, ''))
  }
  return join(project, 'main.ts')
}

it('starts in production without the development packages', async (ctx) => {
  const server = await postgresServer()
  if (!server) return skipWithoutPostgres(ctx)
  const database = await createPostgresDatabase(server)
  cleanUps.push(() => database.drop())
  const main = projectCopy('production', { without: DEVELOPMENT_ONLY })
  // Nothing listens at the neighbours' addresses: without workers, the start does not call them.
  const nowhere = 'http://127.0.0.1:9'
  const portal: ServerProcess = await startServerProcess(process.execPath, [main], {
    DATABASE_URL: database.url,
    SIMULATORS: '',
    DEMO_DATA: '',
    GEPS_URL: nowhere,
    JPKI_URL: nowhere,
    MANDATE_PROVIDERS: JSON.stringify([{ id: 'a', name: '電子委任状サービスA', url: nowhere }]),
    SMTP_URL: 'smtp://127.0.0.1:9',
    WORKERS: 'false',
    PORT: '0',
    SHUTDOWN_GRACE_SECONDS: '0',
  })
  cleanUps.push(() => portal.stop())
  expect(portal.output()).not.toContain('Mailbox:')
  // Standard output is the log: JSON lines only.
  for (const line of portal.output().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow()
  expect((await fetch(`${portal.url}/sign-in`)).status).toBe(200)
  expect((await fetch(`${portal.url}/dev/mailbox`)).status).toBe(404)
  expect(await portal.stop()).toBe(0)
}, 90_000)

it('refuses to start on PostgreSQL with an unmended postgres.js, saying what to run', async () => {
  const main = projectCopy('unmended', { without: DEVELOPMENT_ONLY, unmendDriver: true })
  const started = await runToEnd(process.execPath, [main], {
    // Nothing listens there: the driver is refused before any connection is tried.
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/portal',
    SIMULATORS: 'true',
    PORT: '0',
    MAIL_SINK_PORT: '0',
    GEPS_SIMULATOR_PORT: '0',
    JPKI_SIMULATOR_PORT: '0',
  })
  expect(started.code).not.toBe(0)
  expect(started.output).toContain(
    'lacks the mends of patches/postgres+3.4.9.patch (connection.js, index.js, queue.js)',
  )
  expect(started.output).toContain('Run `npm install`')
}, 60_000)
