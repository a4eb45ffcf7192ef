import { fingerprintOf } from '../../core/domain/certificates.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { Jpki } from '../../core/ports.ts'

/** JPKI's old-to-new link in memory, for use-case tests; can be told to fail the next look-ups. */
export const memoryJpki = () => {
  const links = new Map<string, Uint8Array>()
  const faults: ('transient' | 'permanent')[] = []
  let requests = 0
  const jpki: Jpki = {
    findPreviousCertificate: async (certificate) => {
      requests++
      const fault = faults.shift()
      if (fault) return err({ kind: fault, message: `injected ${fault} failure` })
      return ok(links.get(await fingerprintOf(new Uint8Array(certificate))))
    },
  }
  return {
    jpki,
    requests: () => requests,
    failNext: (...kinds: ('transient' | 'permanent')[]) => faults.push(...kinds),
    link: async (certificate: Uint8Array, previous: Uint8Array) => {
      links.set(await fingerprintOf(new Uint8Array(certificate)), new Uint8Array(previous))
    },
  }
}
