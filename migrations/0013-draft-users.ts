import type { Kysely } from 'kysely'

/**
 * The user whose data a draft holds, when that is not the session's user: F2 runs before sign-in,
 * so its draft sits in a session that is no one's. Deleting the user (F4) deletes such drafts too.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('drafts')
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .execute()
  await db.schema.createIndex('drafts_user').on('drafts').column('user_id').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropIndex('drafts_user').execute()
  await db.schema.alterTable('drafts').dropColumn('user_id').execute()
}
