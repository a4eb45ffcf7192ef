import type { FailureLog } from '../../core/ports.ts'

/** The failure log's in-memory twin. */
export const memoryFailureLog = (): FailureLog => {
  const failures: { key: string; at: Date }[] = []
  return {
    record: async (key, at, forgetBefore) => {
      for (let i = failures.length - 1; i >= 0; i--) {
        const f = failures[i]
        if (f && f.key === key && f.at < forgetBefore) failures.splice(i, 1)
      }
      failures.push({ key, at })
    },
    countSince: async (key, since) => failures.filter((f) => f.key === key && f.at >= since).length,
  }
}
