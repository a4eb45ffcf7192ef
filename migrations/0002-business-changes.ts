import type { Kysely } from 'kysely'

/** A change records the business's fields too, when the representative changed them. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('user_changes')
    .addColumn('business_before', 'jsonb')
    .addColumn('business_after', 'jsonb')
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('user_changes')
    .dropColumn('business_before')
    .dropColumn('business_after')
    .execute()
}
