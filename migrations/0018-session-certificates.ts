import { type Kysely, sql } from 'kysely'

/**
 * Each session remembers the certificate that signed it in (its fingerprint), so that removing
 * (F1) or replacing (F2) that certificate can end the sessions it opened elsewhere.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('sessions').addColumn('signed_in_with', 'text').execute()
  // Sessions signed in before this knew no certificate: they end, and their users sign in again.
  await sql`delete from sessions where user_id is not null`.execute(db)
  await db.schema.createIndex('sessions_signed_in_with').on('sessions').column('signed_in_with').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropIndex('sessions_signed_in_with').execute()
  await db.schema.alterTable('sessions').dropColumn('signed_in_with').execute()
}
