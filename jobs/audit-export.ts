/**
 * The audit log as JSON lines, oldest first, for the operator (`npm run ops -- audit`): one object
 * per line with its time in UTC (ISO 8601), the action, the outcome, the user, business and client
 * address, and the detail. The log holds no PIN, key or certificate (see core/ports.ts AuditEntry),
 * so neither does the export. It is read a page at a time, however long the log.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../adapters/db/schema.ts'

export type AuditRange = { since?: Date; until?: Date }

const PAGE = 1000

/** Writes each entry in the range as one line; returns how many. */
export const exportAuditLog = async (
  db: Kysely<Database>,
  range: AuditRange,
  write: (line: string) => void,
): Promise<number> => {
  let after: string | undefined
  let count = 0
  for (;;) {
    let query = db.selectFrom('audit_log').selectAll().orderBy('id').limit(PAGE)
    if (after !== undefined) query = query.where('id', '>', after)
    if (range.since) query = query.where('at', '>=', range.since)
    if (range.until) query = query.where('at', '<', range.until)
    const rows = await query.execute()
    for (const r of rows) {
      write(
        JSON.stringify({
          id: String(r.id),
          at: new Date(r.at).toISOString(),
          action: r.action,
          outcome: r.outcome,
          userId: r.user_id,
          businessId: r.business_id,
          clientAddress: r.client_address,
          detail: r.detail,
        }),
      )
    }
    count += rows.length
    if (rows.length < PAGE) return count
    after = String(rows.at(-1)?.id)
  }
}
