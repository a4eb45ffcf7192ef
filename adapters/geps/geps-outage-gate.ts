/**
 * GEPS down for maintenance, for hours or days: its deliveries wait without calling it, one probe
 * at a time finds out when it is back, and then every waiting delivery comes forward at once.
 *
 * - **Down** after `failuresToClose` transient failures in a row with no success between (one 409
 *   or one garbled answer is not an outage). While down, a delivery is answered "GEPS is down"
 *   without a request, and its job waits its backoff (jobs/queues.ts): GEPS is not hammered by a
 *   backlog of thousands.
 * - **Probe**: every `probeIntervalMs` while down, one delivery is let through; `onProbeDue` brings
 *   one waiting job forward so that there is one to let through. A probe is a real delivery: GEPS
 *   needs no health endpoint.
 * - **Up** again at the first success (a probe's, or a delivery that was already on its way):
 *   `onReturn` brings every waiting delivery forward, so they go within seconds, not after the
 *   backoff they were waiting out.
 *
 * Each worker process holds its own gate; with several, each probes on its own (a request per
 * process per interval). A refusal (`permanent`) is an answer too: GEPS is up.
 */
import { err, type Result } from '../../core/lib/result.ts'
import type { DeliveryError, Geps } from '../../core/ports.ts'

export type OutageGateOptions = {
  failuresToClose?: number
  probeIntervalMs?: number
  /** Brings one waiting delivery forward, to be the next probe. */
  onProbeDue: () => Promise<unknown>
  /** Brings every waiting delivery forward: GEPS answers again. */
  onReturn: () => Promise<unknown>
  log?: (message: string) => void
}

export type GatedGeps = Geps & {
  /** Whether deliveries are held back, and since when. */
  downSince(): Date | undefined
  stop(): void
}

export const withOutageGate = (geps: Geps, options: OutageGateOptions): GatedGeps => {
  const failuresToClose = options.failuresToClose ?? 3
  const probeIntervalMs = options.probeIntervalMs ?? 5000
  const log = options.log ?? (() => {})
  let failuresInARow = 0
  let downSince: Date | undefined
  let probeAllowed = false
  let probeInFlight = false
  let probeTimer: ReturnType<typeof setInterval> | undefined
  let heldBack = 0

  const quietly = (what: string, p: Promise<unknown>) =>
    p.catch((e) => log(`GEPS outage gate: ${what} failed: ${(e as Error).message}`))

  const goDown = (message: string) => {
    downSince = new Date()
    probeAllowed = false
    heldBack = 0
    log(`GEPS is unavailable (${message}): deliveries wait, one probe each ${probeIntervalMs / 1000} s`)
    probeTimer = setInterval(() => {
      // One probe at a time: the last may still be waiting for its answer.
      if (probeInFlight) return
      probeAllowed = true
      void quietly('bringing a probe forward', options.onProbeDue())
    }, probeIntervalMs)
    probeTimer.unref?.()
  }

  const comeUp = () => {
    if (!downSince) return
    log(
      `GEPS answers again after ${Math.round((Date.now() - downSince.getTime()) / 1000)} s; ${heldBack} deliveries were held back meanwhile, all come forward now`,
    )
    downSince = undefined
    clearInterval(probeTimer)
    probeTimer = undefined
    void quietly('bringing the waiting deliveries forward', options.onReturn())
  }

  const gated =
    <A>(call: (a: A) => Promise<Result<{ receiptNumber: string; receivedAt: string }, DeliveryError>>) =>
    async (a: A) => {
      const probe = downSince !== undefined
      if (downSince) {
        if (!probeAllowed) {
          heldBack++
          return err({
            kind: 'transient' as const,
            message: `GEPS is unavailable since ${downSince.toISOString()}: waiting for it to answer again (not sent)`,
            heldBack: true as const,
          })
        }
        probeAllowed = false
        probeInFlight = true
      }
      const result = await call(a).finally(() => {
        if (probe) probeInFlight = false
      })
      if (result.ok || result.error.kind === 'permanent') {
        failuresInARow = 0
        comeUp()
      } else {
        failuresInARow++
        if (!downSince && failuresInARow >= failuresToClose) goDown(result.error.message)
      }
      return result
    }

  return {
    syncUserChange: gated((c) => geps.syncUserChange(c)),
    deleteUser: gated((d) => geps.deleteUser(d)),
    downSince: () => downSince,
    stop: () => clearInterval(probeTimer),
  }
}
