import type { Kysely } from 'kysely'

/**
 * A virtual My Number card is two rows, one per certificate and PIN: the signing row names its
 * card's user-authentication row (`companion_card_id`), which a read with the signing PIN also
 * gives. A renewed card names the card it replaced (`renews_card_id`), as JPKI's old-to-new link
 * records it; in development the JPKI simulator is seeded from it.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('virtual_cards')
    .addColumn('companion_card_id', 'text')
    .addColumn('renews_card_id', 'text')
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('virtual_cards')
    .dropColumn('companion_card_id')
    .dropColumn('renews_card_id')
    .execute()
}
