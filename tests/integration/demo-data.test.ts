/** The demo data: created once; loading it again, even by two processes at once, changes nothing. */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openDatabase } from '../../adapters/db/database.ts'
import { loadDemoData } from '../../adapters/demo/demo-data.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'

let test: TestDatabase
beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
})
afterAll(async () => test?.drop())

const counts = async () => {
  const { rows } = await sql<Record<string, number>>`select
    (select count(*)::int from businesses) as businesses,
    (select count(*)::int from users) as users,
    (select count(*)::int from certificates) as certificates,
    (select count(*)::int from virtual_cards) as cards,
    (select count(*)::int from trust_anchors) as anchors`.execute(test.handle.db)
  return rows[0]
}

it('creates the business, four users, their certificates, ten virtual card certificates and a qualification once', async () => {
  // A second connection pool on the same database stands in for a second process.
  const other = test.target.backend === 'postgres' ? await openDatabase(test.target) : test.handle
  try {
    const loaded = await Promise.all([
      loadDemoData(test.handle.db, new Date()),
      loadDemoData(other.db, new Date()),
    ])
    expect(loaded.filter(Boolean)).toHaveLength(1)
  } finally {
    if (other !== test.handle) await other.db.destroy()
  }
  const first = await counts()
  expect(first).toEqual({ businesses: 1, users: 4, certificates: 6, cards: 10, anchors: 2 })
  expect(await loadDemoData(test.handle.db, new Date())).toBe(false)
  expect(await counts()).toEqual(first)
})
