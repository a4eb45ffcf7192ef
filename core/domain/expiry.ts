/** When a registered certificate or mandate is reminded of, and how its time left is counted. */
import type { CardKind, Certificate } from './account.ts'

/** The thresholds, tightest first. */
export const REMINDER_DAYS = [7, 30, 60] as const
export const DAY_MS = 24 * 60 * 60 * 1000

/**
 * The reminder due for something expiring at `expiresAt`: the tightest threshold reached (a
 * certificate registered with 20 days left gets the 30-day one, not the 60-day one too); none
 * beyond 60 days, or once expired.
 */
export const reminderDue = (expiresAt: Date, now: Date): number | undefined => {
  const left = expiresAt.getTime() - now.getTime()
  if (left <= 0) return undefined
  return REMINDER_DAYS.find((days) => left <= days * DAY_MS)
}

/** Whole days left, counting a part day as one (あと1日 on the last day). */
export const daysLeft = (expiresAt: Date, now: Date): number =>
  Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS))

/**
 * The user's other certificates that would take over from `expiring` on its expiry date: valid
 * that day, and of its kind. All of an IC-card or file user's certificates sign in alike; a My
 * Number card carries two kinds (user authentication and signing), which JPKI issues under
 * separate authorities, so for a My Number user only one of the same issuer takes over.
 */
export const successorsOf = (
  expiring: Certificate,
  theirs: Certificate[],
  cardKind: CardKind,
): Certificate[] =>
  theirs.filter(
    (other) =>
      other.fingerprint !== expiring.fingerprint &&
      (cardKind !== 'my-number' || other.issuer === expiring.issuer) &&
      other.notBefore <= expiring.notAfter &&
      other.notAfter > expiring.notAfter,
  )
