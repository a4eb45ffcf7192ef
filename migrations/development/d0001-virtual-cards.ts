import { type Kysely, sql } from 'kysely'

/**
 * The virtual cards of the simulated card reader: each a test certificate with its private key
 * (PKCS#8, of a test key only) and a PIN's salted hash. A database migrated before 0017 has the
 * table already (0017 moved it here); a database production left has none (it dropped the schema).
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await sql`create schema if not exists development`.execute(db)
  await db.schema
    .withSchema('development')
    .createTable('virtual_cards')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('holder_name', 'text', (c) => c.notNull())
    .addColumn('card_kind', 'text', (c) => c.notNull())
    .addColumn('pin_salt', 'text', (c) => c.notNull())
    .addColumn('pin_hash', 'text', (c) => c.notNull())
    .addColumn('certificate', 'bytea', (c) => c.notNull())
    .addColumn('private_key', 'bytea', (c) => c.notNull())
    .addColumn('sort_order', 'integer', (c) => c.notNull())
    .addColumn('pin_kind', 'text', (c) => c.notNull().defaultTo('ic-card'))
    .addColumn('wrong_tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('companion_card_id', 'text')
    .addColumn('renews_card_id', 'text')
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.withSchema('development').dropTable('virtual_cards').ifExists().execute()
}
