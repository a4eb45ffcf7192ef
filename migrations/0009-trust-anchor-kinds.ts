import { type Kysely, sql } from 'kysely'

/**
 * Each trust anchor says whose it is: a private certification authority's (IC cards and files)
 * or JPKI's (My Number cards), so that each screen takes only the certificates meant for it.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('trust_anchors')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('private'))
    .execute()
  await sql`update trust_anchors set kind = 'jpki' where name = 'jpki-ca'`.execute(db)
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('trust_anchors').dropColumn('kind').execute()
}
