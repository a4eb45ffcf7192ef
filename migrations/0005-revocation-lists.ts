import type { Kysely } from 'kysely'

/** Each trusted authority's current CRL (DER), against which its certificates are checked. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('trust_anchors').addColumn('crl', 'bytea').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('trust_anchors').dropColumn('crl').execute()
}
