import { type Kysely, sql } from 'kysely'

/**
 * The expiry reminders sent: one row per certificate or mandate and threshold (60, 30, 7 days), so
 * that each is sent once however many workers scan. Ids only; the rows go with their user.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('expiry_reminders')
    .addColumn('subject_kind', 'text', (c) =>
      c.notNull().check(sql`subject_kind in ('certificate', 'mandate')`),
    )
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('days_before', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('expiry_reminders_once', ['subject_kind', 'subject_id', 'days_before'])
    .execute()
  await db.schema.createIndex('expiry_reminders_user').on('expiry_reminders').column('user_id').execute()
  // The scan looks for what expires soon.
  await db.schema.createIndex('certificates_not_after').on('certificates').column('not_after').execute()
  await db.schema.createIndex('mandates_valid_to').on('mandates').column('valid_to').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropIndex('mandates_valid_to').execute()
  await db.schema.dropIndex('certificates_not_after').execute()
  await db.schema.dropTable('expiry_reminders').execute()
}
