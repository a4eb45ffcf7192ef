import type { Kysely } from 'kysely'
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
  page: async (range, afterId, limit) => {
    let query = db.selectFrom('audit_log').selectAll().orderBy('id').limit(limit)
    if (afterId !== undefined) query = query.where('id', '>', afterId)
    if (range.since) query = query.where('at', '>=', range.since)
    if (range.until) query = query.where('at', '<', range.until)
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
