/**
 * Traces (OpenTelemetry). Off unless asked for: with OTEL_EXPORTER_OTLP_ENDPOINT set (or an exporter
 * given by a test) `startTracing` loads the SDK, registers it, and every request, use case, SQL
 * statement, job and outgoing call becomes a span; otherwise none of this code runs and the SDK is
 * never loaded.
 *
 * One trace per user action: the request's span is the root (or continues the proxy's
 * `traceparent`), the use case and its statements are its children, a job enqueued in the
 * transaction carries the trace context in its data (`trace`), the worker continues that trace in
 * the job's span, and the call to GEPS sends `traceparent` on. So a change's sync to GEPS is one
 * trace from the [更新] click to GEPS's answer, whichever processes served it.
 *
 * Nothing personal goes into a span: names are routes, use cases, queues and services; SQL is its
 * text with placeholders, never its parameters.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import type { SpanExporter } from '@opentelemetry/sdk-trace'
import { aroundCalls } from '../../core/lib/around-calls.ts'

const TRACER = 'chotatsu-portal'
const tracer = () => trace.getTracer(TRACER)

export type Tracing = {
  /** Sends the spans still buffered and stops tracing (the process is stopping). */
  shutdown: () => Promise<void>
}

/** How long a stopping process waits for its last spans to be sent. */
const SHUTDOWN_MS = 5_000

/**
 * Registers the SDK: W3C trace context, AsyncLocalStorage for the active span, and the exporter
 * (OTLP over HTTP, configured by the standard OTEL_EXPORTER_OTLP_* settings, unless one is given).
 * `batch: false` exports each span as it ends (a test's in-memory exporter).
 */

export const startTracing = async (options: {
  serviceName: string
  exporter?: SpanExporter
  batch?: boolean
  shutdownMs?: number
}): Promise<Tracing> => {
  const [{ TracerProvider, BatchSpanProcessor, SimpleSpanProcessor }, { AsyncLocalStorageContextManager }] =
    await Promise.all([import('@opentelemetry/sdk-trace'), import('@opentelemetry/context-async-hooks')])
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core')
  const { resourceFromAttributes } = await import('@opentelemetry/resources')
  const exporter =
    options.exporter ?? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
  const processor =
    options.batch === false ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter })
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [processor],
  })
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(provider)
  return {
    // A collector that does not answer does not hold the process: what is not sent in time is lost.
    shutdown: async () => {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        provider.shutdown().catch(() => {}),
        new Promise((r) => {
          timer = setTimeout(r, options.shutdownMs ?? SHUTDOWN_MS)
        }),
      ])
      clearTimeout(timer)
      trace.disable()
      propagation.disable()
      context.disable()
    },
  }
}

const failed = (span: Span, message: string) => span.setStatus({ code: SpanStatusCode.ERROR, message })

/**
 * Runs `fn` in a span; a throw, or a Result that is not ok, marks the span failed (with the
 * error's kind: never its message, which may quote what a user typed). A value that is not a
 * promise ends the span at once.
 */
export const inSpan = <T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => T,
): T => {
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    options.parent ?? context.active(),
  )
  const settle = (value: unknown) => {
    if (value && typeof value === 'object' && 'ok' in value && value.ok === false) {
      const kind = (value as { error?: { kind?: unknown } }).error?.kind
      failed(span, typeof kind === 'string' ? kind : 'failed')
    }
    span.end()
    return value
  }
  const thrown = (e: unknown): never => {
    failed(span, (e as Error)?.name ?? 'error')
    span.end()
    throw e
  }
  let result: T
  try {
    result = context.with(trace.setSpan(options.parent ?? context.active(), span), () => fn(span))
  } catch (e) {
    return thrown(e)
  }
  return (result instanceof Promise ? result.then(settle, thrown) : settle(result)) as T
}

/**
 * The use cases, each function of each group run in a span named `group.function` (the use
 * cases themselves know nothing of tracing).
 */
export const tracedUseCases = <U extends Record<string, Record<string, unknown>>>(useCases: U): U =>
  Object.fromEntries(
    Object.entries(useCases).map(([group, functions]) => [
      group,
      Object.fromEntries(
        Object.entries(functions).map(([name, f]) => [
          name,
          typeof f === 'function'
            ? (...args: unknown[]) => inSpan(`${group}.${name}`, {}, () => f(...args))
            : f,
        ]),
      ),
    ]),
  ) as U

/** `port` with its calls `methods` each in a CLIENT span named `service method`. */
export const tracedPort = <P extends object>(
  service: string,
  port: P,
  methods: readonly (keyof P & string)[],
): P =>
  aroundCalls(port, methods, (name, call) =>
    inSpan(`${service} ${name}`, { kind: SpanKind.CLIENT, attributes: { 'peer.service': service } }, call),
  )

/**
 * Runs a request (`handle` answers its log entry) in a SERVER span that continues the caller's
 * `traceparent` if it sent one, named by the route once it is known.
 */
export const requestSpan = (
  header: (name: string) => string | undefined,
  handle: () => Promise<{ method: string; route: string; status: number }>,
): Promise<unknown> => {
  const traceparent = header('traceparent')
  return inSpan(
    'request',
    { kind: SpanKind.SERVER, parent: parentFrom(traceparent ? { traceparent } : undefined) },
    async (span) => {
      const answered = await handle()
      span.updateName(`${answered.method} ${answered.route}`)
      span.setAttributes({
        'http.request.method': answered.method,
        'http.route': answered.route,
        'http.response.status_code': answered.status,
      })
      if (answered.status >= 500) failed(span, String(answered.status))
    },
  )
}

/** A span for an SQL statement that has just run (Kysely's log event), its text without its parameters. */
export const statementSpan = (event: {
  level: 'query' | 'error'
  query: { sql: string }
  queryDurationMillis: number
}): void => {
  const text = event.query.sql
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? 'sql'
  const table = /\b(?:from|into|update|table)\s+"?([\w.]+)"?/i.exec(text)?.[1]
  const end = Date.now()
  const span = tracer().startSpan(table ? `${operation} ${table}` : operation, {
    kind: SpanKind.CLIENT,
    startTime: end - event.queryDurationMillis,
    attributes: { 'db.system.name': 'postgresql', 'db.query.text': text.slice(0, 2000) },
  })
  if (event.level === 'error') failed(span, 'error')
  span.end(end)
}

/** The active trace context as headers (`traceparent`): for an outgoing request, or a job's data. */
export const traceHeaders = (): Record<string, string> => {
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  return carrier
}

/** The trace context a request or a job carries (`traceparent`), as a parent for its span. */
export const parentFrom = (carrier: Record<string, string> | undefined): Context =>
  carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT

export { SpanKind }
