/**
 * Expiry reminders: a registered certificate or mandate that will expire is mailed about 60, 30
 * and 7 days ahead, each threshold once (whatever number of workers scan, and however often); the
 * menu shows the user what expires within 60 days. One that has already expired gets no mail: the
 * user meets it at sign-in (F2) or at the mandate gate (F3). A certificate that another of the
 * user's takes over from by its expiry date is neither mailed about nor listed.
 */

import type { Certificate } from '../../domain/account.ts'
import { DAY_MS, daysLeft, REMINDER_DAYS, reminderDue } from '../../domain/expiry.ts'
import { expiryReminderMail } from '../../domain/mails.ts'
import type { AccountStore, Clock, Expiring, ReminderStore, TrustAnchors, UnitOfWork } from '../../ports.ts'
import { leftWithoutCertificate } from '../shared/certificate-succession.ts'

/** What a reminder is about: the certificate's fingerprint, or the mandate's provider and number. */
export const subjectIdOf = (e: Expiring): string =>
  e.kind === 'certificate'
    ? e.certificate.fingerprint
    : `${e.mandate.providerId}:${e.mandate.referenceNumber}`

export type ReminderPorts = {
  accounts: AccountStore
  reminders: ReminderStore
  trustAnchors: TrustAnchors
  unitOfWork: UnitOfWork
  clock: Clock
}

const leftWithout = async (ports: ReminderPorts, certificate: Certificate): Promise<boolean> => {
  const user = await ports.accounts.findUser(certificate.userId)
  if (!user) return true
  return leftWithoutCertificate(
    ports,
    certificate,
    await ports.accounts.listCertificates(user.id),
    user.cardKind,
  )
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
    // A certificate another of theirs takes over from is not worth a mail (a mandate is only ever
    // replaced whole, so a registered one has none). Judged before the transaction: the
    // revocation lists are read outside it (PGlite has one connection, which it would hold).
    if (expiring.kind === 'certificate' && !(await leftWithout(ports, expiring.certificate))) continue
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
