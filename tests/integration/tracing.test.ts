/**
 * Traces: a change's sync to GEPS is one trace, from the [更新] click to GEPS's answer. The request
 * span is its root; the use case and its SQL statements are under it; the job continues the trace
 * it was enqueued in; the call to GEPS is a span of its own whose context GEPS receives as
 * `traceparent`. Spans hold no personal data, and a caller's `traceparent` is continued.
 */
import { SpanKind } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HANAKO_EMAIL, hanakoOverHttp } from '../support/hanako-over-http.ts'
import { startTestPortal } from '../support/portal.ts'
import { waitFor } from '../support/wait.ts'

const exporter = new InMemorySpanExporter()
let portal: Awaited<ReturnType<typeof startTestPortal>>
beforeAll(async () => {
  portal = await startTestPortal({ traceExporter: exporter })
})
afterAll(async () => portal?.close())

const spans = () => exporter.getFinishedSpans()
const idOf = (s: ReadableSpan) => s.spanContext().spanId
/** The span and its ancestors, the span first, as far as they were exported. */
const lineOf = (span: ReadableSpan): ReadableSpan[] => {
  const byId = new Map(spans().map((s) => [idOf(s), s]))
  const line = [span]
  for (let s = span.parentSpanContext; s && byId.has(s.spanId); s = byId.get(s.spanId)?.parentSpanContext)
    line.push(byId.get(s.spanId) as ReadableSpan)
  return line
}

describe('traces', () => {
  it('make a change’s sync to GEPS one trace from the [更新] click to GEPS’s answer', async () => {
    const title = `追跡確認課長${Date.now()}`
    await hanakoOverHttp(portal.url).updateTitle(title)
    const sim = portal.gepsSimulator
    if (!sim) throw new Error('the test portal runs the GEPS simulator')
    // A span is exported when it ends: the call's before the delivery's and the job's around it.
    await waitFor(
      'GEPS has the change, and the spans from its call up to the click have ended',
      () => {
        const ended = spans().find((s) => s.name === 'geps syncUserChange')
        return (
          [...sim.received.values()].some((c) => c.user.title === title) &&
          ended !== undefined &&
          lineOf(ended).at(-1)?.name === 'POST /user/confirm'
        )
      },
      20_000,
    )
    const received = [...sim.received.values()].find((c) => c.user.title === title)
    const call = spans().find((s) => s.name === 'geps syncUserChange')
    if (!call || !received) throw new Error('unreachable')

    const line = lineOf(call)
    expect(line.map((s) => s.name)).toEqual([
      'geps syncUserChange',
      'sync.deliverChange',
      'job geps-sync',
      'userUpdate.complete',
      'POST /user/confirm',
    ])
    const root = line.at(-1) as ReadableSpan
    expect(root.parentSpanContext).toBeUndefined()
    expect(root.attributes['http.response.status_code']).toBe(303)
    const traceId = root.spanContext().traceId
    expect(new Set(line.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]))
    expect(call.status.code).not.toBe(2) // not ERROR

    // GEPS got the trace context of the call's span.
    expect(received.traceparent).toBe(`00-${traceId}-${idOf(call)}-01`)

    // The delivery's statements are spans under it: its reads and its record, which on PostgreSQL
    // serve every delivery of the same moment (adapters/stores/gathered-calls.ts).
    const delivery = line.find((s) => s.name === 'sync.deliverChange') as ReadableSpan
    const underDelivery = spans().filter((s) => s.parentSpanContext?.spanId === idOf(delivery))
    expect(underDelivery.map((s) => s.name)).toEqual(
      expect.arrayContaining(['select user_changes', 'select mandates', 'update user_changes']),
    )
    // The [更新] transaction's statements are spans under its use case: the change, and its job
    // sent in the same transaction (pg-boss's own span).
    const complete = line.find((s) => s.name === 'userUpdate.complete') as ReadableSpan
    const under = spans().filter((s) => s.parentSpanContext?.spanId === idOf(complete))
    expect(under.map((s) => s.name)).toEqual(
      expect.arrayContaining(['insert user_changes', 'insert audit_log', 'send geps-sync']),
    )
    // Statements as their text, with placeholders for the values.
    const insert = under.find((s) => s.name === 'insert user_changes')
    expect(insert?.attributes['db.query.text']).toMatch(/^insert into "user_changes" .*\$1/)
  })

  it('hold no personal data: no address, no title typed, no session', async () => {
    const text = JSON.stringify(
      spans().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status })),
    )
    expect(text).not.toContain(HANAKO_EMAIL)
    expect(text).not.toContain('追跡確認課長')
    expect(text).not.toContain('hanako-2026')
  })

  it('continue the trace a caller (the proxy) sends', async () => {
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
    const parentId = '0123456789abcdef'
    const answer = await fetch(`${portal.url}/sign-in`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    })
    expect(answer.status).toBe(200)
    await waitFor(
      'the request’s span',
      () => spans().some((s) => s.spanContext().traceId === traceId && s.kind === SpanKind.SERVER),
      5_000,
    )
    const span = spans().find((s) => s.spanContext().traceId === traceId && s.kind === SpanKind.SERVER)
    expect(span?.name).toBe('GET /sign-in')
    expect(span?.parentSpanContext?.spanId).toBe(parentId)
  })
})
