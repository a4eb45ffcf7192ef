import type { Kysely } from 'kysely'
import type { Expiring, ReminderStore } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { toCertificate } from './account-store.kysely.ts'
import { toMandate } from './mandate-store.kysely.ts'

export const kyselyReminderStore = (db: Kysely<Database>): ReminderStore => ({
  listExpiring: async (from, until) => {
    const certificates = await db
      .selectFrom('certificates')
      .selectAll()
      .where('not_after', '>', from)
      .where('not_after', '<=', until)
      .execute()
    const mandates = await db
      .selectFrom('mandates')
      .selectAll()
      .where('valid_to', '>', from)
      .where('valid_to', '<=', until)
      .execute()
    const expiring: Expiring[] = [
      ...certificates.map((r) => {
        const certificate = toCertificate(r)
        return {
          kind: 'certificate' as const,
          userId: r.user_id,
          expiresAt: certificate.notAfter,
          certificate,
        }
      }),
      ...mandates.map((r) => {
        const mandate = toMandate(r)
        return { kind: 'mandate' as const, userId: r.user_id, expiresAt: mandate.validTo, mandate }
      }),
    ]
    return expiring.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
  },
  // Another worker's claim of the same reminder waits for its transaction, then finds the row.
  claim: async (r) => {
    const inserted = await db
      .insertInto('expiry_reminders')
      .values({
        subject_kind: r.kind,
        subject_id: r.subjectId,
        days_before: r.daysBefore,
        user_id: r.userId,
        sent_at: r.at,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('subject_id')
      .executeTakeFirst()
    return inserted !== undefined
  },
})
