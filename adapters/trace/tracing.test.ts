import { SpanKind, trace } from '@opentelemetry/api'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace'
import { expect, it } from 'vitest'
import { err, ok } from '../../core/lib/result.ts'
import { inSpan, startTracing, statementSpan, tracedUseCases } from './tracing.ts'

/** An exporter that keeps what it is given, or never answers (a collector that hangs). */
const exporter = (hang = false) => {
  const spans: ReadableSpan[] = []
  const e: SpanExporter = {
    export: (batch, done) => {
      if (hang) return
      spans.push(...batch)
      done({ code: 0 })
    },
    shutdown: () => (hang ? new Promise(() => {}) : Promise.resolve()),
  }
  return { e, spans }
}

it('names use-case spans by group and function, marks a refused Result by its kind, and leaves values alone', async () => {
  const { e, spans } = exporter()
  const tracing = await startTracing({ serviceName: 'test', exporter: e, batch: false })
  try {
    const useCases = tracedUseCases({
      menu: { overview: async () => ok(1), limit: 5 },
      signIn: { signIn: async () => err({ kind: 'wrong-pin', detail: '入札 花子' }) },
    })
    expect(useCases.menu.limit).toBe(5)
    await expect(useCases.menu.overview()).resolves.toEqual(ok(1))
    await useCases.signIn.signIn()
    expect(spans.map((s) => [s.name, s.status.code, s.status.message])).toEqual([
      ['menu.overview', 0, undefined],
      ['signIn.signIn', 2, 'wrong-pin'],
    ])
    // A statement's span is its operation and table, its text kept, its values never given.
    statementSpan({
      level: 'query',
      query: { sql: 'select * from "users" where "id" = $1' },
      queryDurationMillis: 3,
    })
    expect(spans.at(-1)?.name).toBe('select users')
    expect(spans.at(-1)?.kind).toBe(SpanKind.CLIENT)
    // A throw ends the span as failed, by the error's name only.
    expect(() =>
      inSpan('throws', {}, () => {
        throw new TypeError('with 入札 花子 in it')
      }),
    ).toThrow(TypeError)
    expect(spans.at(-1)?.status).toEqual({ code: 2, message: 'TypeError' })
  } finally {
    await tracing.shutdown()
  }
  // Stopped: spans are no-ops again.
  expect(trace.getTracer('x').startSpan('after').isRecording()).toBe(false)
})

it('stops within its bound when the collector does not answer', async () => {
  const { e } = exporter(true)
  const tracing = await startTracing({ serviceName: 'test', exporter: e, batch: true, shutdownMs: 300 })
  inSpan('unsent', {}, () => 1)
  const started = Date.now()
  await tracing.shutdown()
  expect(Date.now() - started).toBeLessThan(2_000)
})
