import { type Kysely, sql } from 'kysely'

/** A failure counted before its attempt is judged is taken back by its id when the attempt succeeds. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('sign_in_failures')
    .addColumn('id', 'uuid', (c) => c.notNull().defaultTo(sql`gen_random_uuid()`).primaryKey())
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('sign_in_failures').dropColumn('id').execute()
}
