import type { Kysely, Selectable } from 'kysely'
import type { Database } from '../db/schema.ts'
import type { VirtualCard, VirtualCardStore } from './virtual-card-reader.ts'

const toCard = (r: Selectable<Database['development.virtual_cards']>): VirtualCard => ({
  cardId: r.id,
  holderName: r.holder_name,
  cardKind: r.card_kind,
  pinKind: r.pin_kind,
  pinSalt: r.pin_salt,
  pinHash: r.pin_hash,
  wrongTries: r.wrong_tries,
  certificate: new Uint8Array(r.certificate),
  privateKey: new Uint8Array(r.private_key),
  companionCardId: r.companion_card_id ?? undefined,
  renewsCardId: r.renews_card_id ?? undefined,
})

export const kyselyVirtualCardStore = (db: Kysely<Database>): VirtualCardStore => ({
  list: async () =>
    (await db.selectFrom('development.virtual_cards').selectAll().orderBy('sort_order').execute()).map(
      toCard,
    ),
  find: async (cardId) => {
    // PostgreSQL text cannot hold NUL: no card has such an id, and the query would fail.
    if (cardId.includes('\u0000')) return undefined
    const r = await db
      .selectFrom('development.virtual_cards')
      .selectAll()
      .where('id', '=', cardId)
      .executeTakeFirst()
    return r && toCard(r)
  },
  takeTry: async (cardId, limit) => {
    const row = await db
      .updateTable('development.virtual_cards')
      .set((eb) => ({ wrong_tries: eb('wrong_tries', '+', 1) }))
      .where('id', '=', cardId)
      .where('wrong_tries', '<', limit)
      .returning('wrong_tries')
      .executeTakeFirst()
    return row && limit - row.wrong_tries
  },
  resetTries: async (cardId) => {
    await db
      .updateTable('development.virtual_cards')
      .set({ wrong_tries: 0 })
      .where('id', '=', cardId)
      .execute()
  },
})
