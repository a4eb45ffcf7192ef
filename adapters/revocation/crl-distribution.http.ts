/**
 * CRL distribution points over HTTP(S), as certificates name them. A CRL is signed, so plain HTTP
 * is what authorities publish on. The answer is bounded in time and size (a real CRL of a large
 * authority is a few megabytes); a 5xx, 408, 429, a timeout or a refused connection is
 * transient, anything else that is not a 200 is permanent.
 */

import { err, ok } from '../../core/lib/result.ts'
import type { CrlDistribution } from '../../core/ports.ts'

export const MAX_CRL_BYTES = 20 * 1024 * 1024

export const httpCrlDistribution = (
  config: { timeoutMs?: number; maxBytes?: number } = {},
): CrlDistribution => ({
  fetch: async (url) => {
    const maxBytes = config.maxBytes ?? MAX_CRL_BYTES
    let target: URL
    try {
      target = new URL(url)
    } catch {
      return err({ kind: 'permanent', message: `not a URL: ${url.slice(0, 200)}` })
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      return err({ kind: 'permanent', message: `not an HTTP distribution point: ${target.protocol}` })
    let response: Response
    try {
      response = await fetch(target, {
        redirect: 'follow',
        signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
      })
    } catch (e) {
      return err({ kind: 'transient', message: `${target.host} unreachable: ${(e as Error).message}` })
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      await response.body?.cancel()
      return err({ kind: 'transient', message: `${target.host} answered ${response.status}` })
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel()
      return err({ kind: 'permanent', message: `${target.host} answered ${response.status}` })
    }
    const chunks: Uint8Array[] = []
    let size = 0
    try {
      for await (const chunk of response.body) {
        size += chunk.byteLength
        if (size > maxBytes) {
          await response.body.cancel().catch(() => {})
          return err({
            kind: 'permanent',
            message: `${target.host}: the CRL is larger than ${maxBytes} bytes`,
          })
        }
        chunks.push(chunk)
      }
    } catch (e) {
      return err({ kind: 'transient', message: `${target.host}: ${(e as Error).message}` })
    }
    const der = new Uint8Array(size)
    let at = 0
    for (const chunk of chunks) {
      der.set(chunk, at)
      at += chunk.byteLength
    }
    return ok(der)
  },
})
