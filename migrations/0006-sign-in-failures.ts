import type { Kysely } from 'kysely'

/** Failed sign-ins, by client address and by certificate, for the rate limits. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('sign_in_failures_key_at')
    .on('sign_in_failures')
    .columns(['key', 'at'])
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropTable('sign_in_failures').execute()
}
