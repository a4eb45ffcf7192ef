/**
 * The audit log as JSON lines, oldest first, for the operator (`npm run ops -- audit`): one object
 * per line with its time in UTC (ISO 8601), the action, the outcome, the user, business and client
 * address, and the detail. The log holds no PIN, key or certificate (see core/ports.ts AuditEntry),
 * so neither does the export. It is read a page at a time, however long the log. The helpdesk
 * finds a change by the 受付番号 a user reads out (`--receipt 20261203-000123`).
 */
import type { AuditLogReader } from '../core/ports.ts'

/**
 * Which entries: a time range, and for the helpdesk, those of one change by its 受付番号 (or by
 * its id: entries written before changes had a 受付番号 carry the id only).
 */
export type AuditRange = { since?: Date; until?: Date; receiptNumber?: string; changeId?: string }

const PAGE = 1000

/** Writes each entry in the range as one line; returns how many. */
export const exportAuditLog = async (
  log: AuditLogReader,
  range: AuditRange,
  write: (line: string) => void,
): Promise<number> => {
  let afterId: string | undefined
  let count = 0
  for (;;) {
    const entries = await log.page(range, afterId, PAGE)
    for (const e of entries) {
      write(
        JSON.stringify({
          id: e.id,
          at: e.at.toISOString(),
          action: e.action,
          outcome: e.outcome,
          userId: e.userId ?? null,
          businessId: e.businessId ?? null,
          clientAddress: e.clientAddress ?? null,
          detail: e.detail ?? {},
        }),
      )
    }
    count += entries.length
    afterId = entries.at(-1)?.id
    if (entries.length < PAGE) return count
  }
}
