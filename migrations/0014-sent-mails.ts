import type { Kysely } from 'kysely'

/**
 * The mails the mail server has accepted, so that a mail job handed out again (its completion was
 * lost with the database) sends nothing (core/use-cases/sync/mail-delivery.ts). A digest of the key, no address.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('sent_mails')
    .addColumn('key_digest', 'text', (c) => c.primaryKey())
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('sent_mails_sent_at').on('sent_mails').column('sent_at').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropTable('sent_mails').execute()
}
