import type { Kysely } from 'kysely'

/** The CRLs fetched from certificates' distribution points, each kept until its nextUpdate. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('crl_cache')
    .addColumn('url', 'text', (c) => c.primaryKey())
    .addColumn('crl', 'bytea', (c) => c.notNull())
    .addColumn('next_update', 'timestamptz')
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull())
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropTable('crl_cache').execute()
}
