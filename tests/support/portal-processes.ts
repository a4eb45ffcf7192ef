/**
 * Portals run as their own processes on one PostgreSQL database, with their outside world in this
 * process: a GEPS simulator and an SMTP sink. For the fault tests and the benchmark.
 */
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { gepsSimulator } from '../../adapters/dev/geps.simulator.ts'
import { startMailSink } from '../../adapters/dev/mail-sink.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
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
  }
  return {
    geps,
    gepsFront: served,
    sink,
    /** Starts a portal process (or another `script`) on the world's database and services. */
    start: async (extra: Record<string, string> = {}, script = 'main.ts'): Promise<ServerProcess> => {
      const p = await startServerProcess(process.execPath, [script], { ...env, ...extra })
      stops.push(() => p.stop())
      return p
    },
    /** Stops every process started and the services, the latest first. */
    stop: async () => {
      for (const step of stops.reverse()) await step().catch(() => {})
    },
  }
}
