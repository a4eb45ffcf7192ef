import type { Kysely } from 'kysely'

/**
 * The trust store holds intermediate authorities beside the anchors: a card's certificate may be
 * issued under an intermediate the portal knows (core/domain/certificate-path.ts builds the path).
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('trust_anchors')
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('anchor'))
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('trust_anchors').dropColumn('role').execute()
}
