import { type Kysely, sql } from 'kysely'
import type { AuditLog, AuditLogReader, AuditRecord } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { storableJson } from './storable-json.ts'

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
        detail: storableJson(e.detail ?? {}),
      })
      .execute()
  },
})

export const kyselyAuditLogReader = (db: Kysely<Database>): AuditLogReader => ({
  // Keyset by (at, id), the cursor's time read by its id: each page starts in the audit_log_at
  // index, and a change's entries come from the receipt-number and change-id indexes (0024).
  page: async (range, afterId, limit) => {
    let query = db.selectFrom('audit_log').selectAll().orderBy('at').orderBy('id').limit(limit)
    if (afterId !== undefined)
      query = query.where(
        sql<boolean>`(at, id) > (select c.at, c.id from audit_log c where c.id = ${afterId})`,
      )
    if (range.since) query = query.where('at', '>=', range.since)
    if (range.until) query = query.where('at', '<', range.until)
    const { receiptNumber, changeId } = range
    if (receiptNumber !== undefined || changeId !== undefined)
      query = query.where((eb) =>
        eb.or([
          ...(receiptNumber === undefined ? [] : [eb(sql`detail->>'receiptNumber'`, '=', receiptNumber)]),
          ...(changeId === undefined ? [] : [eb(sql`detail->>'changeId'`, '=', changeId)]),
        ]),
      )
    return (await query.execute()).map((r) => ({
      id: String(r.id),
      at: new Date(r.at),
      action: r.action,
      outcome: r.outcome as AuditRecord['outcome'],
      userId: r.user_id ?? undefined,
      businessId: r.business_id ?? undefined,
      clientAddress: r.client_address ?? undefined,
      detail: r.detail,
    }))
  },
})
