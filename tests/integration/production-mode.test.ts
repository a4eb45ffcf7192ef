/**
 * Production mode (DATABASE_URL set, SIMULATORS unset) runs no part of the development toolkit:
 * it refuses to start without the address of every neighbour, mounts no /dev/* page, starts no
 * simulator or mail sink, lists no virtual card, and leaves no table of test keys in the
 * database, even one a development start made before on the same database.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { gepsSimulator } from '../../adapters/dev/geps.simulator.ts'
import { jpkiSimulator } from '../../adapters/dev/jpki.simulator.ts'
import { type MailSink, startMailSink } from '../../adapters/dev/mail-sink.ts'
import { mandateProviderSimulator } from '../../adapters/dev/mandate-provider.simulator.ts'
import { type Served, serveHttp } from '../../adapters/http/serve.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { DEFAULT_SESSION_LIMITS } from '../../core/use-cases/sessions/sessions.ts'
import { configFromEnv, SettingsError, startPortal } from '../../main.ts'
import { createPostgresDatabase, postgresServer, skipWithoutPostgres } from '../support/database.ts'

let server: string | undefined
let database: { url: string; drop(): Promise<void> } | undefined
const neighbours: Served[] = []
let mailSink: MailSink | undefined
/** The production settings: every neighbour is a server of the test's own, none the portal's. */
let productionEnv: Record<string, string> = {}

beforeAll(async () => {
  server = await postgresServer()
  if (!server) return
  database = await createPostgresDatabase(server)
  const geps = gepsSimulator({ mailer: memoryMailer().mailer, clock: systemClock })
  const jpki = jpkiSimulator()
  const provider = mandateProviderSimulator({ name: '模擬委任状事業者', mandates: [] })
  for (const app of [geps.app, jpki.app, provider.app])
    neighbours.push(await serveHttp(app.fetch, { port: 0, hostname: '127.0.0.1' }))
  mailSink = await startMailSink(0, systemClock)
  const [gepsAt, jpkiAt, providerAt] = neighbours.map((n) => n.url)
  productionEnv = {
    DATABASE_URL: database.url,
    PORT: '0',
    GEPS_URL: gepsAt ?? '',
    JPKI_URL: jpkiAt ?? '',
    MANDATE_PROVIDERS: JSON.stringify([{ id: 'test', name: '模擬委任状事業者', url: providerAt }]),
    SMTP_URL: mailSink.url,
  }
})
afterAll(async () => {
  for (const n of neighbours) await n.close()
  await mailSink?.close()
  await database?.drop()
})

const quiet = { log: () => {}, sessionLimits: DEFAULT_SESSION_LIMITS }

describe('production mode', () => {
  it('refuses to start without the address of each neighbour, naming the ones unset', async (ctx) => {
    if (!database) return skipWithoutPostgres(ctx)
    for (const unset of ['GEPS_URL', 'JPKI_URL', 'MANDATE_PROVIDERS', 'SMTP_URL']) {
      const config = { ...configFromEnv({ ...productionEnv, [unset]: '' }), ...quiet }
      expect(config.development).toBe(false)
      const started = startPortal(config)
      await expect(started).rejects.toThrow(SettingsError)
      await expect(started).rejects.toThrow(unset)
    }
    const onlyTheDatabase = startPortal({ ...configFromEnv({ DATABASE_URL: database.url }), ...quiet })
    await expect(onlyTheDatabase).rejects.toThrow(
      /GEPS_URL, JPKI_URL, MANDATE_PROVIDERS, SMTP_URL are not set/,
    )
    await expect(
      startPortal({ ...configFromEnv({ ...productionEnv, DEMO_DATA: 'true' }), ...quiet }),
    ).rejects.toThrow(/DEMO_DATA=true needs the development parts/)
  })

  it('serves no development part, and removes the virtual cards a development start left', async (ctx) => {
    if (!database) return skipWithoutPostgres(ctx)
    // A development instance first, on the same database: demo data, virtual cards, simulators.
    const development = await startPortal({
      ...configFromEnv({ DATABASE_URL: database.url, SIMULATORS: 'true', DEMO_DATA: 'true', PORT: '0' }),
      mailSinkPort: 0,
      gepsSimulatorPort: 0,
      jpkiSimulatorPort: 0,
      ...quiet,
    })
    expect(development.gepsSimulator).toBeDefined()
    expect((await fetch(`${development.url}/dev/mailbox`)).status).toBe(200)
    expect(await fetch(`${development.url}/sign-in`).then((r) => r.text())).toContain(
      '開発用の仮想カードリーダ',
    )
    await development.stop()

    const logged: string[] = []
    const production = await startPortal({ ...configFromEnv(productionEnv), log: (m) => logged.push(m) })
    try {
      expect(logged).toContain(
        'removed the development parts (the virtual cards and their test keys) from the database',
      )
      expect(production.mailSink).toBeUndefined()
      expect(production.gepsSimulator).toBeUndefined()
      expect(production.jpkiSimulator).toBeUndefined()
      expect(production.mandateSimulators).toBeUndefined()
      for (const path of ['/dev/mailbox', '/dev/certificate-files/hanako-file.p12'])
        expect((await fetch(`${production.url}${path}`)).status, path).toBe(404)
      const { rows } = await sql<{ name: string }>`select table_schema || '.' || table_name as name
        from information_schema.tables where table_name = 'virtual_cards' or table_schema = 'development'`.execute(
        production.database.db,
      )
      expect(rows).toEqual([])
      // The sign-in page offers the certificate file and the card helper, no server-side card.
      const page = await fetch(`${production.url}/sign-in`).then((r) => r.text())
      expect(page).not.toContain('開発用の仮想カードリーダ')
      expect(page).toContain('電子証明書ファイル')
      expect(page).toContain('data-card-helper')
      // 電子証明書更新 says why a My Number card cannot be read here, rather than hide the choice.
      expect(await fetch(`${production.url}/renewal`).then((r) => r.text())).toContain(
        'このサーバではいまカードを読み込めません',
      )
    } finally {
      await production.stop()
    }
    // Starting again in production finds nothing to remove.
    const again: string[] = []
    const second = await startPortal({ ...configFromEnv(productionEnv), log: (m) => again.push(m) })
    await second.stop()
    expect(again.join('\n')).not.toContain('removed the')
  })
})

describe('SIMULATORS=true with DATABASE_URL', () => {
  it('is a development instance: simulators in place of the unset neighbours', () => {
    const config = configFromEnv({ DATABASE_URL: 'postgres://127.0.0.1/x', SIMULATORS: 'true' })
    expect(config.development).toBe(true)
    expect(config.demoData).toBe(false)
    expect(configFromEnv({}).development).toBe(true)
    expect(configFromEnv({ SIMULATORS: 'false' }).development).toBe(false)
  })
})

describe("a simulator's fault switch", () => {
  it('refuses a cross-site post, and a post that is not JSON', async () => {
    const jpki = jpkiSimulator()
    const served = await serveHttp(jpki.app.fetch, { port: 0, hostname: '127.0.0.1' })
    try {
      const post = (headers: Record<string, string>) =>
        fetch(`${served.url}/_simulator/faults`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ failNext: 5 }),
        })
      expect(
        (await post({ 'content-type': 'application/json', origin: 'https://evil.example' })).status,
      ).toBe(403)
      // A cross-site form can send text/plain without a preflight, and some browsers no Origin.
      expect((await post({ 'content-type': 'text/plain' })).status).toBe(415)
      expect(jpki.faults.failNext).toBe(0)
      expect((await post({ 'content-type': 'application/json', origin: served.url })).status).toBe(200)
      expect(jpki.faults.failNext).toBe(5)
    } finally {
      await served.close()
    }
  })
})
