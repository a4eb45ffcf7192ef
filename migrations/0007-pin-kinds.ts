import { type Kysely, sql } from 'kysely'

/**
 * Virtual cards say which PIN they ask for, and count wrong PINs instead of keeping their own
 * limit: the limit is the card kind's rule (a setting, for private IC cards).
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('virtual_cards')
    .addColumn('pin_kind', 'text', (c) => c.notNull().defaultTo('ic-card'))
    .addColumn('wrong_tries', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await sql`update virtual_cards set
    pin_kind = case card_kind when 'file' then 'file'
      when 'my-number' then 'my-number-user-authentication' else 'ic-card' end,
    wrong_tries = greatest(max_tries - tries_left, 0)`.execute(db)
  await db.schema.alterTable('virtual_cards').dropColumn('max_tries').dropColumn('tries_left').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('virtual_cards')
    .addColumn('max_tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tries_left', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await sql`update virtual_cards set
    max_tries = case pin_kind when 'file' then 0 when 'my-number-user-authentication' then 3 else 5 end,
    tries_left = greatest(case pin_kind when 'file' then 0 when 'my-number-user-authentication' then 3 else 5 end - wrong_tries, 0)`.execute(
    db,
  )
  await db.schema.alterTable('virtual_cards').dropColumn('pin_kind').dropColumn('wrong_tries').execute()
}
