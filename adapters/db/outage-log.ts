/**
 * The log of a database outage: one line when the database goes away, one when it answers again
 * with how many errors came between, and nothing for each failed query, poll and heartbeat in
 * between (pg-boss alone makes dozens a second). Other errors are logged as they come.
 */

export type OutageLog = {
  /** Logs `error` from `source`, or counts it when it is one more sign of the outage. */
  error(source: string, error: unknown): void
  stop(): void
}

export const databaseOutageLog = (options: {
  log: (message: string) => void
  isUnavailable: (error: unknown) => boolean
  /** A query that answers when the database is back. */
  probe: () => Promise<unknown>
  probeIntervalMs?: number
}): OutageLog => {
  let since: number | undefined
  let errors = 0
  let timer: ReturnType<typeof setInterval> | undefined
  let probing = false

  const checkBack = async () => {
    if (probing) return
    probing = true
    try {
      await options.probe()
      if (since === undefined) return
      options.log(
        `the database answers again after ${Math.round((Date.now() - since) / 1000)} s; ${errors} errors like the one above meanwhile`,
      )
      since = undefined
      clearInterval(timer)
      timer = undefined
    } catch {
      // still away
    } finally {
      probing = false
    }
  }

  return {
    error: (source, error) => {
      if (!options.isUnavailable(error)) {
        options.log(`${source}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
        return
      }
      errors++
      if (since !== undefined) return
      since = Date.now()
      errors = 1
      options.log(
        `the database is unreachable (${source}: ${(error as Error).message}); pages answer 503 and jobs wait until it is back`,
      )
      timer = setInterval(() => void checkBack(), options.probeIntervalMs ?? 1000)
      timer.unref?.()
    },
    stop: () => clearInterval(timer),
  }
}
