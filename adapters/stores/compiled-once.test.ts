import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { Database } from '../db/schema.ts'
import { compiledOnce } from './compiled-once.ts'

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
})

const draft = (key: string, flow: string) =>
  db
    .selectFrom('drafts')
    .selectAll()
    .where('session_id', '=', key)
    .where('flow', '=', 'x')
    .where('flow', '=', flow)

describe('compiledOnce', () => {
  it('gives the statement a fresh build would, with each call’s own arguments in place', () => {
    const once = compiledOnce(2, draft)
    for (const [key, flow] of [
      ['k1', 'f1'],
      ['k2', 'f2'],
    ] as const) {
      const fresh = draft(key, flow).compile()
      const compiled = once(key, flow)
      expect(compiled.sql).toBe(fresh.sql)
      expect(compiled.parameters).toEqual([key, 'x', flow])
    }
    expect(once('a', 'b').queryId).not.toBe(once('a', 'b').queryId)
  })

  it('refuses a build that does not use each argument exactly once as a value', () => {
    const unused = compiledOnce(1, (_key: string) => db.selectFrom('drafts').selectAll())
    expect(() => unused('k')).toThrow(/argument 0 .* used 0 times/)
    const twice = compiledOnce(1, (key: string) =>
      db.selectFrom('drafts').selectAll().where('session_id', '=', key).where('flow', '=', key),
    )
    expect(() => twice('k')).toThrow(/used 2 times/)
  })
})
