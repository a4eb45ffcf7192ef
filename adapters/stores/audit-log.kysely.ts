import type { Kysely } from 'kysely'
import type { AuditLog } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'

export const kyselyAuditLog = (db: Kysely<Database>): AuditLog => ({
  append: async (e) => {
    await db
      .insertInto('audit_log')
      .values({
        at: e.at,
        action: e.action,
        outcome: e.outcome,
        user_id: e.userId ?? null,
        business_id: e.businessId ?? null,
        client_address: e.clientAddress ?? null,
        detail: e.detail ?? {},
      })
      .execute()
  },
})
