/**
 * Expiry reminders: a registered certificate or mandate that will expire is mailed about 60, 30
 * and 7 days ahead, each threshold once (whatever number of workers scan, and however often); the
 * menu shows the user what expires within 60 days. One that has already expired gets no mail: the
 * user meets it at sign-in (F2) or at the mandate gate (F3).
 */
import { expiryReminderMail } from '../../domain/mails.ts'
import type { AccountStore, Clock, Expiring, MandateStore, ReminderStore, UnitOfWork } from '../../ports.ts'

/** The thresholds, tightest first. */
export const REMINDER_DAYS = [7, 30, 60] as const
const DAY_MS = 24 * 60 * 60 * 1000

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

/** What a reminder is about: the certificate's fingerprint, or the mandate's provider and number. */
export const subjectIdOf = (e: Expiring): string =>
  e.kind === 'certificate'
    ? e.certificate.fingerprint
    : `${e.mandate.providerId}:${e.mandate.referenceNumber}`

export type ReminderPorts = {
  reminders: ReminderStore
  unitOfWork: UnitOfWork
  clock: Clock
}

/** The scheduled scan: claims each reminder due and enqueues its mail in one transaction; returns how many. */
export const sendExpiryReminders = (ports: ReminderPorts) => async (): Promise<number> => {
  const now = ports.clock.now()
  const farthest = new Date(now.getTime() + Math.max(...REMINDER_DAYS) * DAY_MS)
  let sent = 0
  for (const expiring of await ports.reminders.listExpiring(now, farthest)) {
    const daysBefore = reminderDue(expiring.expiresAt, now)
    if (daysBefore === undefined) continue
    const subjectId = subjectIdOf(expiring)
    const claimed = await ports.unitOfWork.run(async (tx) => {
      const user = await tx.accounts.findUser(expiring.userId)
      if (!user) return false
      const first = await tx.reminders.claim({
        kind: expiring.kind,
        subjectId,
        userId: user.id,
        daysBefore,
        at: now,
      })
      if (!first) return false
      await tx.jobs.enqueue({
        queue: 'mail',
        data: expiryReminderMail({
          user,
          expiring,
          subjectId,
          daysBefore,
          daysLeft: daysLeft(expiring.expiresAt, now),
        }),
      })
      return true
    })
    if (claimed) sent++
  }
  return sent
}

export type ExpiringSoon = Expiring & { daysLeft: number; expired: boolean }

/** For the menu: the user's certificates and mandate that expire within 60 days, or have expired. */
export const expiringSoonFor =
  (ports: { accounts: AccountStore; mandates: MandateStore; clock: Clock }) =>
  async (userId: string): Promise<ExpiringSoon[]> => {
    const now = ports.clock.now()
    const horizon = now.getTime() + Math.max(...REMINDER_DAYS) * DAY_MS
    const mandate = await ports.mandates.findForUser(userId)
    const all: Expiring[] = [
      ...(await ports.accounts.listCertificates(userId)).map((certificate) => ({
        kind: 'certificate' as const,
        userId,
        expiresAt: certificate.notAfter,
        certificate,
      })),
      ...(mandate ? [{ kind: 'mandate' as const, userId, expiresAt: mandate.validTo, mandate }] : []),
    ]
    return all
      .filter((e) => e.expiresAt.getTime() <= horizon)
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
      .map((e) => ({ ...e, daysLeft: daysLeft(e.expiresAt, now), expired: e.expiresAt <= now }))
  }
