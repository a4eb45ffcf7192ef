/**
 * An OpenTelemetry collector for tests: takes OTLP/HTTP JSON on /v1/traces (what
 * @opentelemetry/exporter-trace-otlp-http sends) and keeps each span with its service's name.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export type CollectedSpan = {
  service: string
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  kind: number
  attributes: Record<string, unknown>
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean }
type OtlpJson = {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] }
    scopeSpans?: {
      spans?: {
        traceId: string
        spanId: string
        parentSpanId?: string
        name: string
        kind: number
        attributes?: { key: string; value: OtlpValue }[]
      }[]
    }[]
  }[]
}

const otlpValue = (v: OtlpValue) =>
  v.stringValue ?? (v.intValue === undefined ? v.boolValue : Number(v.intValue))

export const startOtlpCollector = async () => {
  const spans: CollectedSpan[] = []
  const refused: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        !req.headers['content-type']?.includes('json')
      ) {
        refused.push(`${req.method} ${req.url} ${req.headers['content-type']}`)
        res.writeHead(415).end()
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson
      for (const rs of body.resourceSpans ?? []) {
        const service = String(
          otlpValue(rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? {}) ?? '',
        )
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, otlpValue(a.value)])),
            })
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
