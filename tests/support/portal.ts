/** A whole portal for tests: the backend under test, real SMTP sink, GEPS simulator, workers. */
import { DEFAULT_SESSION_LIMITS } from '../../core/use-cases/sessions/sessions.ts'
import { configFromEnv, type Portal, type PortalConfig, startPortal } from '../../main.ts'
import { QUICK_RETRIES } from './boss.ts'
import { portalDatabase } from './database.ts'

export const startTestPortal = async (
  options: {
    log?: (message: string, fields?: Record<string, unknown>) => void
    icCardPinTries?: PortalConfig['icCardPinTries']
    /** Whether the GEPS and mail workers run (default true); without, jobs wait where they are put. */
    workers?: boolean
    /** Whether the server reads the demo's virtual cards (default true); false: only the card helper and files. */
    virtualCardReader?: boolean
    /** Where the page finds the card helper. */
    cardHelperUrl?: string
    /** The 利用者登録 page the messages link to. */
    registrationUrl?: string
    /** Serve /metrics on this port (0: any free one). */
    metricsPort?: number
    /** Trace into this exporter (adapters/trace/tracing.ts). */
    traceExporter?: PortalConfig['traceExporter']
  } = {},
): Promise<Portal & { close(): Promise<void> }> => {
  const database = await portalDatabase()
  const portal = await startPortal({
    ...configFromEnv({}),
    development: true,
    port: 0,
    host: '127.0.0.1',
    database: database.target,
    mailFrom: '調達ポータル <noreply@portal.example.go.jp>',
    mailSinkPort: 0,
    gepsSimulatorPort: 0,
    jpkiSimulatorPort: 0,
    gepsNoticeDelayMs: 50,
    demoData: true,
    workers: options.workers ?? true,
    secureCookies: false,
    sessionLimits: DEFAULT_SESSION_LIMITS,
    log: options.log ?? (() => {}),
    queueOverrides: QUICK_RETRIES,
    ...(options.icCardPinTries === undefined ? {} : { icCardPinTries: options.icCardPinTries }),
    ...(options.virtualCardReader === undefined ? {} : { virtualCardReader: options.virtualCardReader }),
    ...(options.cardHelperUrl === undefined ? {} : { cardHelperUrl: options.cardHelperUrl }),
    ...(options.registrationUrl === undefined ? {} : { registrationUrl: options.registrationUrl }),
    ...(options.traceExporter === undefined ? {} : { traceExporter: options.traceExporter }),
    ...(options.metricsPort === undefined
      ? {}
      : { metrics: { port: options.metricsPort, host: '127.0.0.1' } }),
  })
  return {
    ...portal,
    close: async () => {
      await portal.stop()
      await database.drop()
    },
  }
}
