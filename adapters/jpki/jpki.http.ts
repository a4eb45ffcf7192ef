/**
 * JPKI's old-to-new link over HTTP. A 404 means JPKI links the certificate to none; another 4xx is
 * a refusal (permanent); a 5xx, a timeout or a refused connection is transient: the user is told
 * to try again shortly, and nothing they entered is lost.
 */
import { BASE64_PATTERN, fromBase64, toBase64 } from '../../core/lib/base64.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { Jpki } from '../../core/ports.ts'
import { endpoint } from '../http/endpoint.ts'

export const httpJpki = (config: { baseUrl: string; timeoutMs?: number }): Jpki => ({
  findPreviousCertificate: async (certificate) => {
    let response: Response
    try {
      response = await fetch(endpoint(config.baseUrl, '/api/v1/certificate-links/previous'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
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
    try {
      const { previousCertificate } = JSON.parse(text) as { previousCertificate?: unknown }
      if (typeof previousCertificate !== 'string' || !BASE64_PATTERN.test(previousCertificate)) {
        throw new Error('no previousCertificate')
      }
      return ok(fromBase64(previousCertificate))
    } catch (e) {
      return err({
        kind: 'transient',
        message: `JPKI answered something unreadable: ${(e as Error).message}`,
      })
    }
  },
})
