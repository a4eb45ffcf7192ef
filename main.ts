/**
 * The composition root: reads the settings, builds the adapters, and hands them to the web app
 * and the workers. With no settings it runs the embedded default: PGlite in ./.data, the demo
 * data, a GEPS simulator, and an SMTP sink with a development mailbox page.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { SpanExporter } from '@opentelemetry/sdk-trace'
import { sql } from 'kysely'
import type { PoolCounts } from 'pg-boss'
import { z } from 'zod'
import { noCardReader } from './adapters/card-reader/no-card-reader.ts'
import { systemClock } from './adapters/clock/system-clock.ts'
import {
  type DatabaseHandle,
  type DatabaseTarget,
  DEFAULT_DATABASE_TIMEOUTS,
  isDatabaseUnavailable,
  migrateDevelopmentParts,
  migrateToLatest,
  migrationsCurrent,
  openDatabase,
  removeDevelopmentParts,
} from './adapters/db/database.ts'
import { databaseOutageLog } from './adapters/db/outage-log.ts'
import { demoCrlDistribution, trustTableCrls } from './adapters/dev/crl-distribution.demo.ts'
import {
  DEMO_CARDS,
  DEMO_DATA_KEPT_DAYS,
  type DemoDataLoad,
  demoCertificateFile,
  loadDemoData,
  removeDemoData,
} from './adapters/dev/demo-data.ts'
import { DEMO_MANDATE_PROVIDERS, demoMandates } from './adapters/dev/demo-mandates.ts'
import { gepsSimulator } from './adapters/dev/geps.simulator.ts'
import { jpkiSimulator } from './adapters/dev/jpki.simulator.ts'
import type { MailSink } from './adapters/dev/mail-sink.ts'
import { mandateProviderSimulator } from './adapters/dev/mandate-provider.simulator.ts'
import {
  DEFAULT_IC_CARD_PIN_TRIES,
  linksOfRenewedCards,
  virtualCardReader,
} from './adapters/dev/virtual-card-reader.ts'
import { kyselyVirtualCardStore } from './adapters/dev/virtual-card-store.kysely.ts'
import { httpGeps } from './adapters/geps/geps.http.ts'
import { withOutageGate } from './adapters/geps/geps-outage-gate.ts'
import { isTrustedProxy, remoteAddressOf, type Served, serveHttp } from './adapters/http/serve.ts'
import { newBoss } from './adapters/job-queue/boss.ts'
import { pgBossJobQueue } from './adapters/job-queue/job-queue.pgboss.ts'
import { bringWaitingJobsForward, changesWithoutDelivery } from './adapters/job-queue/waiting-jobs.ts'
import { httpJpki } from './adapters/jpki/jpki.http.ts'
import { createLogger, type Log, logTo } from './adapters/log/logger.ts'
import { smtpMailer } from './adapters/mail/mailer.smtp.ts'
import { httpMandateProvider } from './adapters/mandates/mandate-provider.http.ts'
import { countJobs } from './adapters/metrics/job-counts.ts'
import { createMetrics, type Metrics, metricsHandler } from './adapters/metrics/metrics.ts'
import { kyselyCrlCache } from './adapters/revocation/crl-cache.ts'
import { httpCrlDistribution } from './adapters/revocation/crl-distribution.http.ts'
import { withDistributedCrls } from './adapters/revocation/distributed-crls.ts'
import { kyselyFailureLog } from './adapters/stores/failure-log.kysely.ts'
import { kyselyTrustAnchors } from './adapters/stores/trust-store.kysely.ts'
import { kyselyPorts } from './adapters/stores/unit-of-work.kysely.ts'
import {
  requestSpan,
  startTracing,
  statementSpan,
  tracedPort,
  tracedUseCases,
} from './adapters/trace/tracing.ts'
import { DEFAULT_CARD_HELPER_URL } from './core/lib/helper-token.ts'
import type { Clock } from './core/ports.ts'
import { makeUseCases, type UseCases } from './core/use-cases/use-cases.ts'
import { DEAD_LETTER_OF } from './jobs/dead-letters.ts'
import { ALL_QUEUES, createQueues, QUEUES, type QueueOverrides } from './jobs/queues.ts'
import { CONCURRENCY_ON_POSTGRES, startWorkers } from './jobs/workers.ts'
import { createApp, type Readiness } from './web/app.ts'

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')

/**
 * The settings: what the environment may set (every one has a default that runs the embedded
 * default), and the portal's configuration made of them. PortalConfig is this schema's output.
 */
const Settings = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    DATABASE_URL: z.string().url().optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    DATABASE_CONNECT_TIMEOUT_SECONDS: z.coerce
      .number()
      .positive()
      .max(300)
      .default(DEFAULT_DATABASE_TIMEOUTS.connectSeconds),
    DATABASE_QUERY_TIMEOUT_SECONDS: z.coerce
      .number()
      .positive()
      .max(3600)
      .default(DEFAULT_DATABASE_TIMEOUTS.querySeconds),
    DATA_DIR: z.string().default('./.data/pglite'),
    SMTP_URL: z.string().url().optional(),
    MAIL_FROM: z.string().default('調達ポータル <noreply@portal.example.go.jp>'),
    MAIL_SINK_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
    GEPS_URL: z.string().url().optional(),
    GEPS_SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
    GEPS_NOTICE_DELAY_MS: z.coerce.number().int().min(0).default(1000),
    JPKI_URL: z.string().url().optional(),
    JPKI_SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(3002),
    MANDATE_PROVIDERS: z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown
        } catch {
          ctx.addIssue({ code: 'custom', message: 'MANDATE_PROVIDERS must be JSON' })
          return z.NEVER
        }
      })
      .pipe(
        z.array(z.object({ id: z.string().min(1), name: z.string().min(1), url: z.string().url() })).min(1),
      )
      .optional(),
    DEMO_DATA: flag.optional(),
    SIMULATORS: flag.optional(),
    WORKERS: flag.default(true),
    SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(300).default(5),
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_HOST: z.string().default('127.0.0.1'),
    // OpenTelemetry's own settings: with an endpoint, traces go there over OTLP/HTTP (the exporter
    // reads OTEL_EXPORTER_OTLP_HEADERS and the rest itself).
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('chotatsu-portal'),
    SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(25),
    PUBLIC_URL: z.string().url().optional(),
    SESSION_IDLE_MINUTES: z.coerce.number().positive().default(30),
    SESSION_MAX_HOURS: z.coerce.number().positive().default(12),
    SECURE_COOKIES: flag.optional(),
    // true: any peer is the proxy; or the proxies' addresses, comma-separated: X-Forwarded-For is
    // believed only from them (a request that reaches a web process past the proxy is not).
    TRUST_PROXY: z
      .string()
      .transform((text, ctx): boolean | string[] => {
        const asFlag = flag.safeParse(text)
        if (asFlag.success) return asFlag.data
        const addresses = text.split(',').map((a) => a.trim())
        if (addresses.every((a) => z.union([z.ipv4(), z.ipv6()]).safeParse(a).success)) return addresses
        ctx.addIssue({
          code: 'custom',
          message: 'TRUST_PROXY must be true, false, or the proxies’ IP addresses',
        })
        return z.NEVER
      })
      .default(false),
    IC_CARD_PIN_TRIES: z.coerce.number().int().min(1).max(15).default(DEFAULT_IC_CARD_PIN_TRIES),
    CARD_HELPER_URL: z.string().url().default(DEFAULT_CARD_HELPER_URL),
    // http or https only: it becomes a link on the portal's pages.
    REGISTRATION_URL: z.url({ protocol: /^https?$/ }).optional(),
    VIRTUAL_CARD_READER: flag.optional(),
  })
  .transform((s) => {
    // The embedded default is for development; with DATABASE_URL the portal is in production
    // unless SIMULATORS=true says otherwise (startPortal then checks that it has what it needs).
    const development = s.SIMULATORS ?? !s.DATABASE_URL
    const database: DatabaseTarget = s.DATABASE_URL
      ? {
          backend: 'postgres',
          url: s.DATABASE_URL,
          poolSize: s.DATABASE_POOL_SIZE,
          timeouts: {
            connectSeconds: s.DATABASE_CONNECT_TIMEOUT_SECONDS,
            querySeconds: s.DATABASE_QUERY_TIMEOUT_SECONDS,
          },
        }
      : { backend: 'pglite', dataDir: s.DATA_DIR }
    return {
      /**
       * Whether the development parts run: a simulator for every neighbour whose address is unset,
       * the SMTP sink and its mailbox page, the virtual card reader and its table of test keys,
       * /dev/*. Without them (production), every neighbour's address must be set.
       */
      development,
      port: s.PORT,
      host: s.HOST,
      database: database as DatabaseTarget,
      smtpUrl: s.SMTP_URL,
      mailFrom: s.MAIL_FROM,
      mailSinkPort: s.MAIL_SINK_PORT,
      gepsUrl: s.GEPS_URL,
      gepsSimulatorPort: s.GEPS_SIMULATOR_PORT,
      gepsNoticeDelayMs: s.GEPS_NOTICE_DELAY_MS,
      jpkiUrl: s.JPKI_URL,
      jpkiSimulatorPort: s.JPKI_SIMULATOR_PORT,
      /** The mandate-handling businesses; unset, a simulator of each demo provider runs. */
      mandateProviders: s.MANDATE_PROVIDERS,
      demoData: s.DEMO_DATA ?? !s.DATABASE_URL,
      workers: s.WORKERS,
      /**
       * On SIGTERM: how long readiness fails before new connections are refused (the proxy stops
       * sending users meanwhile), then how long requests in flight and jobs have to finish; a job
       * still running then is handed back to the queue.
       */
      shutdown: { graceMs: s.SHUTDOWN_GRACE_SECONDS * 1000, timeoutMs: s.SHUTDOWN_TIMEOUT_SECONDS * 1000 },
      /** Where Prometheus scrapes /metrics: a port of its own, never the users' (unset: none). */
      metrics: s.METRICS_PORT === undefined ? undefined : { port: s.METRICS_PORT, host: s.METRICS_HOST },
      /** Traces (adapters/trace/tracing.ts), only where an OTLP endpoint is set. */
      tracing: s.OTEL_EXPORTER_OTLP_ENDPOINT ? { serviceName: s.OTEL_SERVICE_NAME } : undefined,
      // Secure cookies whenever users reach the portal over HTTPS, unless told otherwise.
      secureCookies: s.SECURE_COOKIES ?? s.PUBLIC_URL?.startsWith('https:') ?? false,
      publicOrigin: s.PUBLIC_URL ? new URL(s.PUBLIC_URL).origin : undefined,
      /**
       * Behind a proxy: the client's address is the last hop of X-Forwarded-For, which it appends;
       * from any peer (true) or from the proxies' addresses only.
       */
      trustProxy: s.TRUST_PROXY,
      /** Wrong PINs in a row before a virtual private IC card locks (real cards keep their own). */
      icCardPinTries: s.IC_CARD_PIN_TRIES,
      /** Where the users' card helper listens (the page opens its window there). */
      cardHelperUrl: new URL(s.CARD_HELPER_URL).origin,
      /** The 利用者登録 page (of the procurement portal proper), linked from the messages that send users there. */
      registrationUrl: s.REGISTRATION_URL,
      /**
       * Whether the server reads the demo's virtual cards (development only, on by default there);
       * VIRTUAL_CARD_READER=false leaves a development instance only the card helper and files, as
       * production has.
       */
      virtualCardReader: development && (s.VIRTUAL_CARD_READER ?? true),
      sessionLimits: { idleMs: s.SESSION_IDLE_MINUTES * 60_000, absoluteMs: s.SESSION_MAX_HOURS * 3_600_000 },
    }
  })

/** The portal's configuration (see Settings), and what a test or an embedder may add: a clock, a log. */
export type PortalConfig = z.output<typeof Settings> & {
  clock?: Clock
  /** Where the log goes instead of standard output (JSON lines; readable on a terminal in development). */
  log?: Log
  /** Shorter retry delays, for tests that watch a retry happen. */
  queueOverrides?: QueueOverrides
  /** Where the spans go instead of OTLP, each as it ends (a test's in-memory exporter); turns tracing on. */
  traceExporter?: SpanExporter
}

/** Settings the portal cannot start with; the message says which and what to set. */
export class SettingsError extends Error {}

/** Why a production configuration cannot start: a neighbour without an address, or demo data. */
const productionProblems = (config: PortalConfig): string[] => {
  if (config.development) return []
  const unset = Object.entries({
    GEPS_URL: config.gepsUrl,
    JPKI_URL: config.jpkiUrl,
    MANDATE_PROVIDERS: config.mandateProviders,
    SMTP_URL: config.smtpUrl,
  }).flatMap(([name, value]) => (value === undefined ? [name] : []))
  return [
    ...(unset.length > 0
      ? [
          `In production (DATABASE_URL set, SIMULATORS unset) the portal needs the address of every neighbour; ${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set. ` +
            'Set them, or set SIMULATORS=true for a development instance with simulators in their place.',
        ]
      : []),
    ...(config.demoData
      ? [
          'DEMO_DATA=true needs the development parts (the demo cards): set SIMULATORS=true, or leave DEMO_DATA unset.',
        ]
      : []),
  ]
}

/** The settings that are set (an empty one counts as unset). */
const setIn = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<
    string,
    string
  >

export const configFromEnv = (env: Record<string, string | undefined>): PortalConfig => {
  const parsed = Settings.safeParse(setIn(env))
  if (!parsed.success)
    throw new SettingsError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('\n'),
    )
  return parsed.data
}

/**
 * Everything wrong with the settings at once, each naming the setting and what to set: the
 * malformed ones, and what production lacks (judged without the malformed ones). Empty when the
 * portal can start. `npm run ops -- check-config` prints it; a start refuses on any.
 */
export const settingsProblems = (env: Record<string, string | undefined>): string[] => {
  const set = setIn(env)
  const parsed = Settings.safeParse(set)
  if (parsed.success) return productionProblems(parsed.data)
  const malformed = new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '')))
  const rest = Settings.safeParse(Object.fromEntries(Object.entries(set).filter(([k]) => !malformed.has(k))))
  return [
    ...parsed.error.issues.map(
      (i) =>
        `${i.path.join('.') || 'settings'}: ${i.message} (it is ${JSON.stringify(set[String(i.path[0])] ?? '')})`,
    ),
    ...(rest.success ? productionProblems(rest.data) : []),
  ]
}

export type Portal = {
  url: string
  app: ReturnType<typeof createApp>
  /** The database, for operator commands and for tests that inspect what was stored. */
  database: DatabaseHandle
  mailSink?: MailSink
  gepsSimulator?: ReturnType<typeof gepsSimulator> & { url: string }
  jpkiSimulator?: ReturnType<typeof jpkiSimulator> & { url: string }
  mandateSimulators?: (ReturnType<typeof mandateProviderSimulator> & {
    id: string
    name: string
    url: string
  })[]
  /** Stops the portal; with `graceMs`, readiness fails that long first (SIGTERM, see PortalConfig.shutdown). */
  stop(options?: { graceMs?: number }): Promise<void>
  /** The portal's log. */
  log: Log
  /** Where /metrics is served (METRICS_PORT), if it is. */
  metricsUrl?: string
}

const htmxScript = () =>
  // Found as a package, from main.ts or from its build (dist/main.js) alike.
  readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'), 'utf8')

export const startPortal = async (config: PortalConfig): Promise<Portal> => {
  const clock = config.clock ?? systemClock
  const log: Log =
    config.log ?? logTo(await createLogger({ pretty: config.development && process.stdout.isTTY === true }))
  const problems = productionProblems(config)
  if (problems.length > 0) throw new SettingsError(problems.join('\n'))
  const { development } = config
  const stops: (() => Promise<void>)[] = []
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e) => log(`while stopping: ${(e as Error).message}`))
  }
  try {
    // First in, last out: the spans of the stop are sent too.
    const tracing =
      config.tracing || config.traceExporter
        ? await startTracing({
            serviceName: config.tracing?.serviceName ?? 'chotatsu-portal',
            exporter: config.traceExporter,
            batch: !config.traceExporter,
          })
        : undefined
    if (tracing) stops.push(tracing.shutdown)
    const database = await openDatabase(config.database, {
      onStatement: tracing ? statementSpan : undefined,
      say: log,
    })
    stops.push(() => database.close())
    await migrateToLatest(database.unbounded)
    if (development) await migrateDevelopmentParts(database.unbounded)

    let mailSink: MailSink | undefined
    let smtpUrl = config.smtpUrl
    if (!smtpUrl) {
      // Development only (productionProblems): the sink and its parser are development packages.
      const { startMailSink } = await import('./adapters/dev/mail-sink.ts')
      const sink = await startMailSink(config.mailSinkPort, clock)
      stops.push(() => sink.close())
      mailSink = sink
      smtpUrl = sink.url
    }
    // The metrics (adapters/metrics/metrics.ts): the neighbours' calls are timed where they are made.
    let jobsPool: () => PoolCounts | null = () => null
    const metrics = config.metrics
      ? createMetrics({
          countJobs: () => countJobs(database.db, DEAD_LETTER_OF),
          poolCounts: () => jobsPool(),
        })
      : undefined
    const timedOnly: Metrics['timed'] = metrics?.timed ?? ((_, port) => port)
    // Each call to a neighbour timed (metrics) and, with tracing, in a span of its own.
    const timed: Metrics['timed'] = tracing
      ? (service, port, methods) => tracedPort(service, timedOnly(service, port, methods), methods)
      : timedOnly
    const mailer = timed('smtp', smtpMailer({ url: smtpUrl, from: config.mailFrom }), ['send'])
    stops.push(async () => mailer.close())

    let simulator: Portal['gepsSimulator']
    let gepsUrl = config.gepsUrl
    if (!gepsUrl) {
      const gepsMailer = smtpMailer({
        url: smtpUrl,
        from: '政府電子調達システム <noreply@geps.example.go.jp>',
      })
      const sim = gepsSimulator({ mailer: gepsMailer, noticeDelayMs: config.gepsNoticeDelayMs, clock })
      const served: Served = await serveHttp(sim.app.fetch, {
        port: config.gepsSimulatorPort,
        hostname: '127.0.0.1',
      })
      stops.push(async () => {
        sim.stop()
        await served.close()
        gepsMailer.close()
      })
      simulator = { ...sim, url: served.url }
      gepsUrl = served.url
    }
    // An outage is logged in two lines, not one per failed query, poll and heartbeat.
    const outage = databaseOutageLog({
      log,
      isUnavailable: isDatabaseUnavailable,
      probe: () => sql`select 1`.execute(database.db),
    })
    stops.push(async () => outage.stop())
    // The workers' queues, stopped before the GEPS simulator and the mail sink they deliver to.
    const boss = newBoss(database, { maintenance: true })
    jobsPool = () => boss.getDb().poolCounts?.() ?? null
    boss.on('error', (e) => outage.error('pg-boss', e))
    await boss.start()
    stops.push(() => boss.stop({ graceful: true, timeout: config.shutdown.timeoutMs }))
    await createQueues(boss, config.queueOverrides)
    const jobQueue = pgBossJobQueue(boss, ALL_QUEUES)

    if (config.demoData) log(describeDemoLoad(await loadDemoData(database.db, clock.now(), jobQueue)))
    if (!development) {
      // A database a development start used: its demo users, their certificates and the test
      // PKI's anchors go first (their keys were handed out), then the virtual cards' schema.
      if (await removeDemoData(database.db, jobQueue))
        log(
          'removed the demo data (its business, users, certificates and test trust anchors) from the database',
        )
      if (await removeDevelopmentParts(database.db))
        log('removed the development parts (the virtual cards and their test keys) from the database')
    }

    // While GEPS is down its deliveries wait without calling it, and come forward when it is back.
    const geps = withOutageGate(
      timed('geps', httpGeps({ baseUrl: gepsUrl }), ['syncUserChange', 'deleteUser']),
      {
        onProbeDue: () => bringWaitingJobsForward(database.db, 'geps-sync', 1),
        onReturn: () => bringWaitingJobsForward(database.db, 'geps-sync'),
        log,
      },
    )
    stops.push(async () => geps.stop())
    const virtualCards = development ? kyselyVirtualCardStore(database.db) : undefined

    let jpkiSim: Portal['jpkiSimulator']
    let jpkiUrl = config.jpkiUrl
    if (!jpkiUrl) {
      const sim = jpkiSimulator()
      // The simulator knows the renewed virtual cards (the demo's) as JPKI would.
      for (const link of linksOfRenewedCards((await virtualCards?.list()) ?? []))
        await sim.link(link.certificate, link.previous)
      const served = await serveHttp(sim.app.fetch, {
        port: config.jpkiSimulatorPort ?? 0,
        hostname: '127.0.0.1',
      })
      stops.push(() => served.close())
      jpkiSim = { ...sim, url: served.url }
      jpkiUrl = served.url
    }
    const jpki = timed('jpki', httpJpki({ baseUrl: jpkiUrl }), ['findPreviousCertificate'])

    let mandateSimulators: Portal['mandateSimulators']
    let providerSettings = config.mandateProviders
    if (!providerSettings) {
      const issued = demoMandates(clock.now())
      mandateSimulators = []
      for (const provider of DEMO_MANDATE_PROVIDERS) {
        const sim = mandateProviderSimulator({ name: provider.name, mandates: issued[provider.id] })
        const served = await serveHttp(sim.app.fetch, { port: 0, hostname: '127.0.0.1' })
        stops.push(() => served.close())
        mandateSimulators.push({ ...sim, ...provider, url: served.url })
      }
      providerSettings = mandateSimulators
    }
    const mandateProviders = providerSettings.map((p) =>
      timed('mandate-provider', httpMandateProvider({ id: p.id, name: p.name, baseUrl: p.url }), [
        'fetchMandate',
      ]),
    )

    const ports = {
      // On PostgreSQL the stores gather what a batch of deliveries (or of requests) asks at once
      // into one statement each. Not on the embedded PGlite: its worker delivers one change at a
      // time, and gathering took its page from 302-339 to 457-517 requests a second but its peak
      // under that load from 279 to 424 MB, past the 300 MB it must stay in (docs/benchmarks.md).
      ...kyselyPorts(
        database.db,
        jobQueue,
        clock,
        database.target.backend === 'postgres' ? 'gathered' : 'one by one',
      ),
      // In production the server reaches no card: the card helper reads IC cards where the user is.
      cardReader:
        virtualCards && config.virtualCardReader
          ? virtualCardReader(virtualCards, { icCardPinTries: config.icCardPinTries })
          : noCardReader,
      // The anchors' own CRLs, and those the certificate names, fetched and kept until their
      // nextUpdate; in development the demo's distribution points are answered from the table.
      trustAnchors: withDistributedCrls(kyselyTrustAnchors(database.db), {
        distribution: development ? demoCrlDistribution(trustTableCrls(database.db)) : httpCrlDistribution(),
        cache: kyselyCrlCache(database.db),
        clock,
        log,
      }),
      failures: kyselyFailureLog(database.db),
      // A sent mail's record waits for a database that is away, however long (mail-delivery.ts).
      isStoreUnavailable: isDatabaseUnavailable,
      jpki,
      mandateProviders,
    }
    const allUseCases = observeSignIns(
      makeUseCases({ ...ports, geps, mailer }, { sessionLimits: config.sessionLimits }),
      metrics,
    )
    const useCases = tracing ? tracedUseCases(allUseCases) : allUseCases
    let workersRunning = false
    boss.on('stopped', () => {
      workersRunning = false
    })
    if (config.workers) {
      await startWorkers(boss, {
        useCases,
        // Unbounded: no user waits for it, and a large backlog may take it longer than a page's query.
        findLostDeliveries: () =>
          changesWithoutDelivery(database.unbounded, 'geps-sync', QUEUES['geps-sync'].deadLetter),
        concurrency: database.target.backend === 'postgres' ? CONCURRENCY_ON_POSTGRES : undefined,
        onDelivered: ({ committedAt }) =>
          metrics?.observeSyncLag((clock.now().getTime() - committedAt.getTime()) / 1000),
        log,
      })
      workersRunning = true
    }

    let stopping = false
    const readiness = async (): Promise<Readiness> => {
      const checks: Record<string, string> = { process: stopping ? 'stopping' : 'ok' }
      try {
        const current = await migrationsCurrent(database.db)
        checks.database = 'ok'
        checks.migrations = current ? 'ok' : 'pending'
      } catch (e) {
        checks.database = isDatabaseUnavailable(e) ? 'unreachable' : 'failing'
      }
      if (config.workers) checks.workers = workersRunning ? 'ok' : 'stopped'
      return { ready: Object.values(checks).every((v) => v === 'ok'), checks }
    }
    const app = createApp({
      readiness,
      useCases,
      htmxScript: htmxScript(),
      secureCookies: config.secureCookies,
      isTemporarilyUnavailable: isDatabaseUnavailable,
      publicOrigin: config.publicOrigin,
      cardHelperUrl: config.cardHelperUrl,
      registrationUrl: config.registrationUrl,
      devMailbox: development ? mailSink : undefined,
      demoCertificateFile: virtualCards && config.demoData ? demoCertificateFile(virtualCards) : undefined,
      clientAddressOf: (c) => {
        const peer = remoteAddressOf(c.env)
        const forwarded = isTrustedProxy(config.trustProxy, peer)
          ? c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim()
          : undefined
        return forwarded || peer
      },
      log: (m, e) => (e === undefined ? log(m) : outage.error(m, e)),
      logRequest: (entry) => {
        log('request', entry)
        metrics?.observeRequest(entry)
      },
      aroundRequest: tracing ? requestSpan : undefined,
    })
    const server = await serveHttp(app.fetch, { port: config.port, hostname: config.host })
    // Requests in flight finish (up to the shutdown timeout), then the workers, then the rest.
    stops.push(() => server.close(config.shutdown.timeoutMs))
    const metricsServer =
      metrics && config.metrics
        ? await serveHttp(metricsHandler(metrics), {
            port: config.metrics.port,
            hostname: config.metrics.host,
          })
        : undefined
    if (metricsServer) stops.push(() => metricsServer.close())
    return {
      url: server.url,
      app,
      database,
      mailSink,
      gepsSimulator: simulator,
      jpkiSimulator: jpkiSim,
      mandateSimulators,
      metricsUrl: metricsServer?.url,
      log,
      stop: async ({ graceMs = 0 } = {}) => {
        stopping = true
        if (graceMs > 0) {
          log(`stopping: not ready from now on; new connections are refused in ${graceMs / 1000} s`)
          await new Promise((r) => setTimeout(r, graceMs))
        }
        await stop()
      },
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/**
 * The use cases, with each refused sign-in counted by its reason (a card's or file's refusal by
 * its own: card:wrong-pin, card:locked, file:wrong-password...), a locked card also as a card lock.
 */
const observeSignIns = (useCases: UseCases, metrics: Metrics | undefined): UseCases => {
  if (!metrics) return useCases
  const signIn: UseCases['signIn']['signIn'] = async (...args) => {
    const result = await useCases.signIn.signIn(...args)
    if (!result.ok) {
      const e = result.error
      const inner =
        'error' in e && typeof e.error === 'object' && e.error && 'kind' in e.error ? `:${e.error.kind}` : ''
      metrics.signInFailed(`${e.kind}${inner}`)
      if (e.kind === 'card' && e.error.kind === 'locked') metrics.cardLocked()
    }
    return result
  }
  return { ...useCases, signIn: { ...useCases.signIn, signIn } }
}

const describeDemoLoad = (load: DemoDataLoad): string => {
  const day = (d: Date) => d.toISOString()
  switch (load.outcome) {
    case 'created':
      return 'demo data created'
    case 'kept':
      return `demo data made for ${day(load.madeFor)} kept (it is made anew ${DEMO_DATA_KEPT_DAYS} days after)`
    case 'remade':
      return `demo data made anew for today: the one in the database ${load.previous ? `was made for ${day(load.previous)}` : 'had no date'}, and what was changed in it is gone`
  }
}

const printWelcome = (portal: Portal, config: PortalConfig) => {
  const lines = [
    '',
    ...(config.development && config.database.backend === 'postgres'
      ? [
          '!!! SIMULATORS=true: a DEVELOPMENT instance. Simulators stand in for every neighbour without an',
          '!!! address, the virtual card reader holds test keys, and /dev/mailbox shows every mail without',
          '!!! sign-in. Never let users reach it. Production: unset SIMULATORS and set GEPS_URL, JPKI_URL,',
          '!!! MANDATE_PROVIDERS and SMTP_URL.',
          '',
        ]
      : []),
    '調達ポータル 利用者情報メンテナンス is ready.',
    `  Portal:          ${portal.url}/`,
    portal.mailSink
      ? `  Mailbox:         ${portal.url}/dev/mailbox  (SMTP sink on ${portal.mailSink.url})`
      : `  Mail:            ${config.smtpUrl}`,
    portal.gepsSimulator
      ? `  GEPS simulator:  ${portal.gepsSimulator.url}/`
      : `  GEPS:            ${config.gepsUrl}`,
    portal.jpkiSimulator
      ? `  JPKI simulator:  ${portal.jpkiSimulator.url}/`
      : `  JPKI:            ${config.jpkiUrl}`,
    ...(portal.mandateSimulators ?? config.mandateProviders ?? []).map(
      (p) => `  Mandate provider${portal.mandateSimulators ? ' simulator' : ''}: ${p.name} ${p.url}/`,
    ),
    `  Database:        ${config.database.backend === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${'dataDir' in config.database ? config.database.dataDir : 'memory'}`}`,
  ]
  if (config.demoData) {
    lines.push('', 'Demo users (choose the card on the sign-in page, then enter its PIN):')
    for (const card of DEMO_CARDS) {
      lines.push(`  PIN ${card.pin.padEnd(12)} ${card.label}${'pinNote' in card ? ` ${card.pinNote}` : ''}`)
    }
    lines.push(
      `Or sign in with 入札 花子's certificate file: ${portal.url}/dev/certificate-files/hanako-file.p12 (password hanako-2026)`,
    )
  }
  console.log(lines.join('\n'))
}

if (import.meta.main) {
  const started = Date.now()
  const problems = settingsProblems(process.env)
  if (problems.length > 0) {
    console.error(`Could not start: the settings need fixing:\n${problems.map((p) => `- ${p}`).join('\n')}`)
    process.exit(1)
  }
  const config = configFromEnv(process.env)
  const portal = await startPortal(config).catch((e: Error & { code?: string }) => {
    console.error(`Could not start: ${e.message}`)
    if (e.code === 'EADDRINUSE') {
      console.error(
        'Another program uses that port. Stop it, or choose free ports with PORT, ' +
          'GEPS_SIMULATOR_PORT, JPKI_SIMULATOR_PORT and MAIL_SINK_PORT (0 picks any free port).',
      )
    }
    process.exit(1)
  })
  const readyInMs = Date.now() - started
  const rssMb = Math.round(process.memoryUsage().rss / 1e6)
  if (config.development || process.stdout.isTTY) {
    printWelcome(portal, config)
    console.log(`\nReady in ${(readyInMs / 1000).toFixed(1)} s, RSS ${rssMb} MB.`)
  } else {
    // Production: standard output is the log, JSON lines only.
    portal.log('ready', { url: portal.url, readyInMs, rssMb })
  }
  // SIGTERM (an orchestrator, a deploy): readiness fails first, for the proxy to stop sending
  // users here; SIGINT (Ctrl-C at a terminal) stops at once. Either lets work in flight finish.
  let stopping = false
  const shutdown = async (signal: 'SIGTERM' | 'SIGINT') => {
    if (stopping) return
    stopping = true
    const graceMs = signal === 'SIGTERM' ? config.shutdown.graceMs : 0
    portal.log('stopping', { signal, graceMs })
    // Whatever hangs (a database that is away), the process ends when its time is up.
    const deadline = setTimeout(
      () => {
        portal.log('stopping took too long: exiting with work unfinished (it is retried elsewhere)')
        process.exit(1)
      },
      graceMs + 2 * config.shutdown.timeoutMs + 5_000,
    )
    ;(deadline as { unref?: () => void }).unref?.()
    await portal.stop({ graceMs })
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}
