import { newId } from '../../core/lib/ids.ts'
import type { FailureLog } from '../../core/ports.ts'

/** The failure log's in-memory twin: each call runs to its end before another starts. */
export const memoryFailureLog = (): FailureLog => {
  let failures: { id: string; key: string; at: Date }[] = []
  return {
    reserve: async (key, at, since, limit) => {
      failures = failures.filter((f) => f.key !== key || f.at >= since)
      if (failures.filter((f) => f.key === key).length >= limit) return undefined
      const id = newId()
      failures.push({ id, key, at })
      return id
    },
    release: async (id) => {
      failures = failures.filter((f) => f.id !== id)
    },
  }
}
