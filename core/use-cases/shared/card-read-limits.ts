/**
 * The limits on failed card reads, at sign-in and at every flow's read (F1-F4): per client address
 * and per certificate, within a window. An attempt is counted before it is judged and taken back
 * when it succeeds, each count and check in one step, so that attempts in parallel cannot pass a
 * limit together. Only a read whose signature holds counts against its certificate: a certificate
 * alone is public (it travels with every signed bid), and reads that prove no key must not lock
 * its holder out. They count against the client address.
 *
 * The address limit is high enough for an office whose staff share one address: one person's
 * mistakes must not lock everyone else out. The card's own PIN counter limits wrong PINs.
 */
import type { FailureLog } from '../../ports.ts'

export const CARD_READ_LIMITS = { windowMs: 15 * 60 * 1000, perAddress: 60, perCertificate: 10 }

export type TooManyAttempts = { kind: 'too-many-attempts'; retryAfterMinutes: number }
export const TOO_MANY_ATTEMPTS: TooManyAttempts = {
  kind: 'too-many-attempts',
  retryAfterMinutes: CARD_READ_LIMITS.windowMs / 60_000,
}

/** An attempt counted against a limit; released, it no longer counts. */
export type HeldAttempt = { release(): Promise<void> }
const NOTHING_HELD: HeldAttempt = { release: async () => {} }

const hold = async (failures: FailureLog, key: string, now: Date, limit: number) => {
  const since = new Date(now.getTime() - CARD_READ_LIMITS.windowMs)
  const id = await failures.reserve(key, now, since, limit)
  return id === undefined ? undefined : { release: () => failures.release(id) }
}

/** Counts an attempt from the address; undefined when it is at its limit. No address, no limit. */
export const holdForAddress = (
  failures: FailureLog,
  now: Date,
  clientAddress: string | undefined,
): Promise<HeldAttempt | undefined> =>
  clientAddress
    ? hold(failures, `address:${clientAddress}`, now, CARD_READ_LIMITS.perAddress)
    : Promise.resolve(NOTHING_HELD)

/** Counts an attempt with the certificate (its signature held); undefined when it is at its limit. */
export const holdForCertificate = (
  failures: FailureLog,
  now: Date,
  fingerprint: string,
): Promise<HeldAttempt | undefined> =>
  hold(failures, `certificate:${fingerprint}`, now, CARD_READ_LIMITS.perCertificate)
