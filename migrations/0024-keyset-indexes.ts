import { type Kysely, sql } from 'kysely'

/**
 * Indexes that keep every page flat with size (issue 20): 変更履歴 and the menu's recent changes
 * read a business's or a user's changes newest first, a page at a time by (created_at, id); the
 * helpdesk's audit look-up finds a change's entries by its 受付番号 or id.
 *
 * `if not exists`: on a large database an operator builds them beforehand without blocking
 * writes (`create index concurrently ...`, the same definitions; docs/operations.md), and this
 * migration then finds them there.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await sql`create index if not exists user_changes_business_newest
    on user_changes (business_id, created_at desc, id desc)`.execute(db)
  await sql`create index if not exists user_changes_user_newest
    on user_changes (user_id, created_at desc, id desc)`.execute(db)
  // Served by the one above.
  await sql`drop index if exists user_changes_user`.execute(db)
  await sql`create index if not exists audit_log_receipt_number
    on audit_log ((detail->>'receiptNumber'))`.execute(db)
  await sql`create index if not exists audit_log_change_id
    on audit_log ((detail->>'changeId'))`.execute(db)
  await sql`create index if not exists audit_log_at on audit_log (at, id)`.execute(db)
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  for (const index of [
    'audit_log_at',
    'audit_log_change_id',
    'audit_log_receipt_number',
    'user_changes_user_newest',
    'user_changes_business_newest',
  ])
    await sql`drop index if exists ${sql.id(index)}`.execute(db)
  await sql`create index if not exists user_changes_user on user_changes (user_id, created_at)`.execute(db)
}
