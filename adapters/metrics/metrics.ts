/**
 * The portal's metrics, in Prometheus' format (prom-client), served on a port of their own
 * (METRICS_PORT) that users never reach. What an operator watches (docs in README, Operations):
 *
 * - `portal_http_request_duration_seconds{method,route,status}`: each request, by its route as
 *   registered.
 * - `portal_outgoing_call_duration_seconds{service,outcome}`: each call to GEPS, JPKI, a mandate
 *   provider or the SMTP relay; `outcome` is ok, transient or permanent.
 * - `portal_sync_lag_seconds`: from the commit of a change to GEPS's receipt.
 * - `portal_jobs{queue,state}`: the jobs of each queue waiting, retrying, active and failed, and the
 *   dead-lettered ones (state `dead`), counted when scraped.
 * - `portal_sign_in_failures_total{reason}`, `portal_card_locks_total`.
 * - `portal_db_pool_connections{pool,state}`: pg-boss's pool (total, idle, waiting).
 * - The process's own (memory, CPU, event loop lag), prom-client's defaults.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { aroundCalls } from '../../core/lib/around-calls.ts'
import type { Result } from '../../core/lib/result.ts'

export type Metrics = ReturnType<typeof createMetrics>

export const createMetrics = (sources: {
  /** The jobs of each queue by state, read when scraped. */
  countJobs?: () => Promise<{ queue: string; state: string; count: number }[]>
  /** A connection pool's counts, read when scraped. */
  poolCounts?: () => { max: number; total: number; idle: number; waiting: number } | null
}) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'portal_' })
  const registers = [registry]
  const httpDuration = new Histogram({
    name: 'portal_http_request_duration_seconds',
    help: 'Time from a request to its answer, by route as registered',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  })
  const callDuration = new Histogram({
    name: 'portal_outgoing_call_duration_seconds',
    help: 'Time of a call to a neighbour (GEPS, JPKI, a mandate provider, SMTP), by outcome',
    labelNames: ['service', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers,
  })
  const syncLag = new Histogram({
    name: 'portal_sync_lag_seconds',
    help: 'Time from the commit of a change to its receipt by GEPS',
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600, 72 * 3600],
    registers,
  })
  const signInFailures = new Counter({
    name: 'portal_sign_in_failures_total',
    help: 'Sign-ins refused, by reason',
    labelNames: ['reason'],
    registers,
  })
  const cardLocks = new Counter({
    name: 'portal_card_locks_total',
    help: 'Card reads that found the card (or its PIN) locked',
    registers,
  })
  new Gauge({
    name: 'portal_jobs',
    help: 'Jobs of each queue by state (dead: in its dead-letter queue)',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset()
      // The database away: no counts, the rest of the metrics all the same.
      const rows = await sources.countJobs?.().catch(() => [])
      for (const row of rows ?? []) this.set({ queue: row.queue, state: row.state }, row.count)
    },
  })
  new Gauge({
    name: 'portal_db_pool_connections',
    help: "Connections of pg-boss's pool by state, and its size",
    labelNames: ['pool', 'state'],
    registers,
    collect() {
      const counts = sources.poolCounts?.()
      if (!counts) return
      for (const state of ['max', 'total', 'idle', 'waiting'] as const)
        this.set({ pool: 'jobs', state }, counts[state])
    },
  })

  return {
    registry,
    observeRequest: (r: { method: string; route: string; status: number; durationMs: number }) =>
      httpDuration.observe(
        { method: r.method, route: r.route, status: String(r.status) },
        r.durationMs / 1000,
      ),
    observeSyncLag: (seconds: number) => syncLag.observe(seconds),
    signInFailed: (reason: string) => signInFailures.inc({ reason }),
    cardLocked: () => cardLocks.inc(),
    /** `port` with the calls `methods` (each answering a Result) timed as `service`, by outcome. */
    timed: <P extends object>(service: string, port: P, methods: readonly (keyof P & string)[]): P =>
      aroundCalls(port, methods, async (_, call) => {
        const end = callDuration.startTimer({ service })
        try {
          const result = (await call()) as Result<unknown, { kind: string }>
          end({ outcome: result.ok ? 'ok' : result.error.kind })
          return result
        } catch (e) {
          end({ outcome: 'error' })
          throw e
        }
      }),
  }
}

/** Answers GET /metrics with the registry's text, and 404 to everything else. */
export const metricsHandler =
  (metrics: Metrics) =>
  async (request: Request): Promise<Response> =>
    new URL(request.url).pathname === '/metrics' && request.method === 'GET'
      ? new Response(await metrics.registry.metrics(), {
          headers: { 'content-type': metrics.registry.contentType },
        })
      : new Response('Not Found', { status: 404 })
