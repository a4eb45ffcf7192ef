/**
 * A mandate-handling business over HTTP. A 404 means it has no mandate under that number; another
 * 4xx is a refusal (permanent); a 5xx, 408, 429, a timeout, a refused connection or an answer that
 * is not a mandate is transient: the user is told to ask again shortly, and nothing is changed.
 */

import { err, ok } from '../../core/lib/result.ts'
import type { MandateProvider } from '../../core/ports.ts'
import { endpoint } from '../http/endpoint.ts'
import { traceHeaders } from '../trace/tracing.ts'
import { MandateJson, mandateFromJson } from './mandate-json.ts'

export const httpMandateProvider = (config: {
  id: string
  name: string
  baseUrl: string
  timeoutMs?: number
}): MandateProvider => ({
  id: config.id,
  name: config.name,
  fetchMandate: async (request) => {
    let response: Response
    try {
      response = await fetch(endpoint(config.baseUrl, '/api/v1/mandates/lookup'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...traceHeaders() },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
      })
    } catch (e) {
      return err({ kind: 'transient', message: `${config.name} unreachable: ${(e as Error).message}` })
    }
    const text = await response.text().catch(() => '')
    if (response.status === 404) return ok(undefined)
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return err({ kind: 'transient', message: `${config.name} answered ${response.status}` })
    }
    if (!response.ok) {
      return err({
        kind: 'permanent',
        message: `${config.name} refused (${response.status}): ${text.slice(0, 200)}`,
      })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return err({ kind: 'transient', message: `${config.name} answered something that is not JSON` })
    }
    const mandate = MandateJson.safeParse(json)
    if (!mandate.success)
      return err({ kind: 'transient', message: `${config.name} answered something that is not a mandate` })
    return ok(mandateFromJson(mandate.data))
  },
})
