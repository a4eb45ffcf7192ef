/**
 * Migrations that reshape data keep it: a database made before 0007 keeps its cards' locks, the
 * trust anchors get their kinds (0009), and going down and up again loses nothing.
 */
import { type Kysely, sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migrations } from '../../migrations/index.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'

let test: TestDatabase
beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
})
afterAll(async () => test?.drop())

/** The cards as they were before 0017 moved them into the schema `development`. */
type CardsBefore0017 = {
  virtual_cards: {
    id: string
    pin_kind: string
    wrong_tries: number
    sort_order: number
    companion_card_id: string | null
    renews_card_id: string | null
  }
}
const before0017 = () => test.handle.db as unknown as Kysely<CardsBefore0017>

const migrateTo = async (name: string) => {
  const migrator = new Migrator({ db: test.handle.db, provider: { getMigrations: async () => migrations } })
  const { error } = await migrator.migrateTo(name)
  if (error) throw error
}

it('0007 turns each card’s tries left into wrong tries counted, by card kind', async () => {
  await migrateTo('0006-sign-in-failures')
  await sql`insert into virtual_cards
    (id, holder_name, card_kind, pin_salt, pin_hash, max_tries, tries_left, certificate, private_key, sort_order)
    values
    ('ic', 'IC', 'ic-card', 's', 'h', 5, 2, '\\x00', '\\x00', 0),
    ('file', 'File', 'file', 's', 'h', 0, 0, '\\x00', '\\x00', 1),
    ('mn', 'My Number', 'my-number', 's', 'h', 3, 0, '\\x00', '\\x00', 2)`.execute(test.handle.db)
  await migrateTo('0007-pin-kinds')
  const cards = () =>
    before0017()
      .selectFrom('virtual_cards')
      .select(['id', 'pin_kind', 'wrong_tries'])
      .orderBy('sort_order')
      .execute()
  const expected = [
    { id: 'ic', pin_kind: 'ic-card', wrong_tries: 3 },
    { id: 'file', pin_kind: 'file', wrong_tries: 0 },
    { id: 'mn', pin_kind: 'my-number-user-authentication', wrong_tries: 3 },
  ]
  expect(await cards()).toEqual(expected)
  await migrateTo('0006-sign-in-failures')
  await migrateTo('0007-pin-kinds')
  expect(await cards()).toEqual(expected)
})

it('0008 adds the My Number card links, and down and up again keeps the cards', async () => {
  await migrateTo('0007-pin-kinds')
  const before = await before0017().selectFrom('virtual_cards').select('id').orderBy('sort_order').execute()
  await migrateTo('0008-my-number-cards')
  await sql`update virtual_cards set companion_card_id = 'ic', renews_card_id = 'file' where id = 'mn'`.execute(
    test.handle.db,
  )
  const links = await before0017()
    .selectFrom('virtual_cards')
    .select(['id', 'companion_card_id', 'renews_card_id'])
    .where('id', '=', 'mn')
    .executeTakeFirst()
  expect(links).toEqual({ id: 'mn', companion_card_id: 'ic', renews_card_id: 'file' })
  await migrateTo('0007-pin-kinds')
  await migrateTo('0008-my-number-cards')
  expect(await before0017().selectFrom('virtual_cards').select('id').orderBy('sort_order').execute()).toEqual(
    before,
  )
})

it('0009 marks the JPKI trust anchor as JPKI’s and every other as private', async () => {
  await migrateTo('0008-my-number-cards')
  await sql`insert into trust_anchors (name, certificate, crl) values
    ('jpki-ca', '\\x00', null), ('private-ca', '\\x00', null)`.execute(test.handle.db)
  await migrateTo('0009-trust-anchor-kinds')
  const kinds = await test.handle.db
    .selectFrom('trust_anchors')
    .select(['name', 'kind'])
    .orderBy('name')
    .execute()
  expect(kinds).toEqual([
    { name: 'jpki-ca', kind: 'jpki' },
    { name: 'private-ca', kind: 'private' },
  ])
  await migrateTo('0008-my-number-cards')
  await migrateTo('0009-trust-anchor-kinds')
  expect(
    await test.handle.db.selectFrom('trust_anchors').select(['name', 'kind']).orderBy('name').execute(),
  ).toEqual(kinds)
})

it('0017 moves the virtual cards, rows and all, into the schema development, and down moves them back', async () => {
  await migrateTo('0016-failure-ids')
  const before = await before0017().selectFrom('virtual_cards').select('id').orderBy('sort_order').execute()
  expect(before.map((c) => c.id)).toEqual(['ic', 'file', 'mn'])
  await migrateTo('0017-development-schema')
  const tables = () =>
    sql<{ table_schema: string }>`select table_schema from information_schema.tables
      where table_name = 'virtual_cards'`.execute(test.handle.db)
  expect((await tables()).rows).toEqual([{ table_schema: 'development' }])
  expect(
    await test.handle.db.selectFrom('development.virtual_cards').select('id').orderBy('sort_order').execute(),
  ).toEqual(before)
  await migrateTo('0016-failure-ids')
  expect((await tables()).rows).toEqual([{ table_schema: 'public' }])
  await migrateTo('0017-development-schema')
})

it('0022 gives the changes made before a 受付番号 in their order, and 0023 puts stored numbers in one form', async () => {
  await migrateTo('0021-change-records')
  const db = test.handle.db
  const business = crypto.randomUUID()
  const user = crypto.randomUUID()
  await sql`insert into businesses (id, corporate_number, name, name_kana, representative_title,
    representative_name, representative_name_kana, postal_code, address, phone, fax)
    values (${business}, '9000000000022', '株式会社移行', 'イコウ', '代表', '移行 一郎', 'イコウ イチロウ',
    '100-0001', '東京都', '0312345670', '')`.execute(db)
  await sql`insert into users (id, business_id, role, card_kind, name, name_kana, postal_code, address,
    phone, fax, email) values (${user}, ${business}, 'representative', 'ic-card', '移行 一郎', 'イコウ イチロウ',
    '100-0001', '東京都', '090 1234 5678', '0466123456', 'a@example.jp')`.execute(db)
  const [older, newer] = [crypto.randomUUID(), crypto.randomUUID()]
  for (const [id, at] of [
    [newer, '2026-12-03T16:00:00Z'],
    [older, '2026-12-02T01:00:00Z'],
  ] as const) {
    await sql`insert into user_changes (id, user_id, business_id, kind, before, after, created_at, sync_state, sync_updated_at)
      values (${id}, ${user}, ${business}, 'user-contact-updated', '{}'::jsonb, '{}'::jsonb, ${at}, 'done', ${at})`.execute(
      db,
    )
  }
  await migrateTo('0023-canonical-phone-numbers')
  const receipts = await sql<{ id: string; receipt_number: string }>`
    select id, receipt_number from user_changes where user_id = ${user}`.execute(db)
  const receiptOf = (id: string) => receipts.rows.find((r) => r.id === id)?.receipt_number ?? ''
  // The day in Japan: 16:00 UTC on the 3rd is the 4th there.
  expect(receiptOf(older)).toMatch(/^20261202-\d{6}$/)
  expect(receiptOf(newer)).toMatch(/^20261204-\d{6}$/)
  expect(receiptOf(newer) > receiptOf(older).replace('20261202', '20261204')).toBe(true)
  const phones = await sql<{ phone: string; fax: string }>`
    select phone, fax from businesses where id = ${business}
    union all select phone, fax from users where id = ${user}`.execute(db)
  expect(phones.rows).toEqual([
    { phone: '03-1234-5670', fax: '' },
    { phone: '090-1234-5678', fax: '0466-12-3456' },
  ])
  await sql`delete from user_changes where user_id = ${user}`.execute(db)
  await sql`delete from users where id = ${user}`.execute(db)
  await sql`delete from businesses where id = ${business}`.execute(db)
})
