import type { Clock } from '../../core/ports.ts'

/**
 * The machine's clock: the one the portal runs with unless it is given another. Every date the
 * product computes comes from the clock it is given, so that a test, or a run at another date
 * (`npm run at`), moves all of them at once.
 */
export const systemClock: Clock = { now: () => new Date() }
