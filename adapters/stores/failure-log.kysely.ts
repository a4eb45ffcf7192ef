import { type Kysely, sql } from 'kysely'
import { newId } from '../../core/lib/ids.ts'
import type { FailureLog } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'

export const kyselyFailureLog = (db: Kysely<Database>): FailureLog => ({
  // The key's lock makes count and insert one step: a second reservation of the key waits for
  // the first to commit, then counts it.
  reserve: (key, at, since, limit) =>
    db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`failures:${key}`}))`.execute(trx)
      await trx.deleteFrom('sign_in_failures').where('key', '=', key).where('at', '<', since).execute()
      const row = await trx
        .selectFrom('sign_in_failures')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('key', '=', key)
        .executeTakeFirst()
      if (Number(row?.n ?? 0) >= limit) return undefined
      const id = newId()
      await trx.insertInto('sign_in_failures').values({ id, key, at }).execute()
      return id
    }),
  release: async (id) => {
    await db.deleteFrom('sign_in_failures').where('id', '=', id).execute()
  },
})
