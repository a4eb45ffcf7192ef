import type { Kysely } from 'kysely'
import { sha256Hex } from '../../core/lib/digest.ts'
import type { SentMailLog } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'

/** The log keeps a digest of each key, not the key: a mail's key names its address. */
export const kyselySentMailLog = (db: Kysely<Database>): SentMailLog => ({
  wasSent: async (idempotencyKey) =>
    (await db
      .selectFrom('sent_mails')
      .select('key_digest')
      .where('key_digest', '=', await sha256Hex(idempotencyKey))
      .executeTakeFirst()) !== undefined,
  record: async (idempotencyKey, at, forgetBefore) => {
    await db.deleteFrom('sent_mails').where('sent_at', '<', forgetBefore).execute()
    await db
      .insertInto('sent_mails')
      .values({ key_digest: await sha256Hex(idempotencyKey), sent_at: at })
      .onConflict((oc) => oc.doNothing())
      .execute()
  },
})
