import { type Kysely, sql } from 'kysely'

/**
 * Each change gets a 受付番号 a person can read out (core/domain/receipt-numbers.ts): the day in
 * Japan and a number from one sequence. Changes made before get one too, in the order they were
 * made.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await sql`create sequence user_change_receipts`.execute(db)
  await db.schema.alterTable('user_changes').addColumn('receipt_number', 'text').execute()
  await sql`
    with numbered as (
      select id, created_at, row_number() over (order by created_at, id) as n from user_changes
    )
    update user_changes u set receipt_number =
      to_char((numbered.created_at at time zone 'UTC') + interval '9 hours', 'YYYYMMDD') || '-' ||
      case when length(numbered.n::text) >= 6 then numbered.n::text else lpad(numbered.n::text, 6, '0') end
    from numbered where u.id = numbered.id`.execute(db)
  // The sequence goes on after the numbers given (from 1 on an empty table).
  await sql`select setval('user_change_receipts', greatest(count(*), 1), count(*) > 0) from user_changes`.execute(
    db,
  )
  await sql`alter table user_changes alter column receipt_number set not null`.execute(db)
  await db.schema
    .createIndex('user_changes_receipt_number')
    .unique()
    .on('user_changes')
    .column('receipt_number')
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropIndex('user_changes_receipt_number').execute()
  await db.schema.alterTable('user_changes').dropColumn('receipt_number').execute()
  await sql`drop sequence user_change_receipts`.execute(db)
}
