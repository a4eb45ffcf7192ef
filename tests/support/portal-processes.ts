/**
 * Portals run as their own processes on one PostgreSQL database, with their outside world in this
 * process: a GEPS simulator and an SMTP sink. For the fault tests and the benchmark.
 */
import postgres from 'postgres'
import { afterAll } from 'vitest'
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { gepsSimulator } from '../../adapters/dev/geps.simulator.ts'
import { startMailSink } from '../../adapters/dev/mail-sink.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { createPostgresDatabase, postgresServer, skipWithoutPostgres } from './database.ts'
import { serveFaultyGeps } from './faulty-geps.ts'
import { type ServerProcess, startServerProcess } from './server-process.ts'

export const startPortalWorld = async (databaseUrl: string) => {
  const stops: (() => Promise<unknown>)[] = []
  const geps = gepsSimulator({ mailer: memoryMailer().mailer, clock: systemClock })
  // Behind a front that a test may make faulty (tests/support/faulty-geps.ts).
  const served = await serveFaultyGeps(geps.app.fetch)
  stops.push(
    async () => served.close(),
    async () => geps.stop(),
  )
  const sink = await startMailSink(0, systemClock)
  stops.push(() => sink.close())
  const env = {
    DATABASE_URL: databaseUrl,
    // A development instance on PostgreSQL: the demo cards, and simulators for JPKI and the providers.
    SIMULATORS: 'true',
    DEMO_DATA: 'true',
    PORT: '0',
    MAIL_SINK_PORT: '0',
    JPKI_SIMULATOR_PORT: '0',
    GEPS_URL: served.url,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    // A test stops its processes at once (SIGTERM without the grace a proxy needs).
    SHUTDOWN_GRACE_SECONDS: '0',
  }
  return {
    geps,
    gepsFront: served,
    sink,
    /**
     * Starts a portal process (or another `script`, with Node's `options`) on the world's database
     * and services.
     */
    start: async (
      extra: Record<string, string> = {},
      script = 'main.ts',
      options: string[] = [],
    ): Promise<ServerProcess> => {
      const p = await startServerProcess(process.execPath, [...options, script], { ...env, ...extra })
      stops.push(() => p.stop())
      return p
    },
    /** Stops every process started and the services, the latest first. */
    stop: async () => {
      for (const step of stops.reverse()) await step().catch(() => {})
    },
  }
}

/** Steps run after the file's tests, the latest first, each whatever the others did. */
export const stepsAfterAll = (): ((step: () => Promise<unknown>) => void) => {
  const steps: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const step of steps.reverse()) await step().catch(() => {})
  })
  return (step) => void steps.push(step)
}

/**
 * A world on a fresh database of the PostgreSQL server, stopped and dropped after the file's tests
 * (`cleanUp`), with `sql` to look into it. Without a server the test is skipped (under CI it fails).
 */
export const startWorldOnFreshPostgres = async (
  ctx: { skip: (note?: string) => void },
  cleanUp: (step: () => Promise<unknown>) => void,
) => {
  const server = await postgresServer()
  if (!server) {
    skipWithoutPostgres(ctx)
    throw new Error('skipped')
  }
  const database = await createPostgresDatabase(server)
  cleanUp(database.drop)
  const world = await startPortalWorld(database.url)
  cleanUp(world.stop)
  const sql = postgres(database.url, { max: 1, onnotice: () => {} })
  cleanUp(() => sql.end({ timeout: 1 }))
  return { ...world, databaseUrl: database.url, sql }
}
