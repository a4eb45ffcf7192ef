/**
 * JPKI's old-to-new link over HTTP. A 404 means JPKI links the certificate to none; another 4xx is
 * a refusal (permanent); a 5xx, a timeout or a refused connection is transient: the user is told
 * to try again shortly, and nothing they entered is lost.
 */
import { z } from 'zod'
import { BASE64_PATTERN, fromBase64, toBase64 } from '../../core/lib/base64.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { Jpki } from '../../core/ports.ts'
import { endpoint, parseJson } from '../http/endpoint.ts'
import { traceHeaders } from '../trace/tracing.ts'

/** JPKI's answer when it links the certificate to an earlier one. */
const PreviousCertificateJson = z.object({ previousCertificate: z.string().regex(BASE64_PATTERN) })

export const httpJpki = (config: { baseUrl: string; timeoutMs?: number }): Jpki => ({
  findPreviousCertificate: async (certificate) => {
    let response: Response
    try {
      response = await fetch(endpoint(config.baseUrl, '/api/v1/certificate-links/previous'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...traceHeaders() },
        body: JSON.stringify({ certificate: toBase64(certificate) }),
        signal: AbortSignal.timeout(config.timeoutMs ?? 5_000),
      })
    } catch (e) {
      return err({ kind: 'transient', message: `JPKI unreachable: ${(e as Error).message}` })
    }
    const text = await response.text().catch(() => '')
    if (response.status === 404) return ok(undefined)
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return err({ kind: 'transient', message: `JPKI answered ${response.status}` })
    }
    if (!response.ok) {
      return err({ kind: 'permanent', message: `JPKI refused (${response.status}): ${text.slice(0, 200)}` })
    }
    const answer = PreviousCertificateJson.safeParse(parseJson(text))
    return answer.success
      ? ok(fromBase64(answer.data.previousCertificate))
      : err({ kind: 'transient', message: 'JPKI answered something that is not a certificate link' })
  },
})
