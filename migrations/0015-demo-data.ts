import type { Kysely } from 'kysely'

/**
 * When the demo data was made (development only; one row at most): demo data is relative to the
 * day it was made for, so a start long after, or at an earlier date, makes it anew.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('demo_data')
    .addColumn('made_for', 'timestamptz', (c) => c.notNull())
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropTable('demo_data').execute()
}
