import { type Kysely, sql } from 'kysely'

/**
 * The virtual cards (test keys of the simulated card reader) move out of the portal's own tables
 * into the schema `development`: a development instance keeps them there (migrations/development),
 * and a production start drops the whole schema (removeDevelopmentParts), so production holds no
 * table of private keys.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await sql`create schema if not exists development`.execute(db)
  await sql`alter table virtual_cards set schema development`.execute(db)
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await sql`alter table development.virtual_cards set schema public`.execute(db)
}
