import type { Kysely } from 'kysely'

/** A change records the certificates it registered and removed. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('user_changes').addColumn('certificates', 'jsonb').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('user_changes').dropColumn('certificates').execute()
}
