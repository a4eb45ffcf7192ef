import type { Kysely } from 'kysely'
import type { FailureLog } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'

export const kyselyFailureLog = (db: Kysely<Database>): FailureLog => ({
  record: async (key, at, forgetBefore) => {
    await db.deleteFrom('sign_in_failures').where('key', '=', key).where('at', '<', forgetBefore).execute()
    await db.insertInto('sign_in_failures').values({ key, at }).execute()
  },
  countSince: async (key, since) => {
    const row = await db
      .selectFrom('sign_in_failures')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('key', '=', key)
      .where('at', '>=', since)
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  },
})
