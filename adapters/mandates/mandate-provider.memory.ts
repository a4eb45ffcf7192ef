import type { Mandate } from '../../core/domain/mandates.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { MandateProvider } from '../../core/ports.ts'
import { mandateKey } from './mandate-json.ts'

/** A mandate-handling business in memory, for use-case tests; can be told to fail the next look-ups. */
export const memoryMandateProvider = (provider: { id: string; name: string; mandates: Mandate[] }) => {
  const faults: ('transient' | 'permanent')[] = []
  const lookups: { corporateNumber: string; referenceNumber: string }[] = []
  const mandates = new Map(provider.mandates.map((m) => [mandateKey(m), structuredClone(m)]))
  const port: MandateProvider = {
    id: provider.id,
    name: provider.name,
    fetchMandate: async (request) => {
      lookups.push(request)
      const fault = faults.shift()
      if (fault) return err({ kind: fault, message: `injected ${fault} failure` })
      const mandate = mandates.get(
        mandateKey({ delegator: request, referenceNumber: request.referenceNumber }),
      )
      return ok(mandate && structuredClone(mandate))
    },
  }
  return { port, lookups, failNext: (...kinds: ('transient' | 'permanent')[]) => faults.push(...kinds) }
}
