/**
 * Flat with size: the queries that page through a long history are served by their indexes, not
 * by reading the table and sorting it. Each query is the store's own, taken as it runs (Kysely's
 * log), and EXPLAINed with its parameters on tables of a size where the planner would rather
 * read them whole if no index served: 40,000 changes (10,000 of the business asked about), 40,000
 * audit entries, 40,000 sessions. The same for the scheduled jobs' reads.
 */
import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migrateToLatest, openDatabase } from '../../adapters/db/database.ts'
import { changesWithoutDelivery } from '../../adapters/job-queue/waiting-jobs.ts'
import { kyselyAuditLogReader } from '../../adapters/stores/audit-log.kysely.ts'
import { kyselyChangeStore } from '../../adapters/stores/change-store.kysely.ts'
import { kyselySessionStore } from '../../adapters/stores/session-store.kysely.ts'
import { startBoss } from '../support/boss.ts'
import { portalDatabase } from '../support/database.ts'

let database: Awaited<ReturnType<typeof portalDatabase>>
let handle: Awaited<ReturnType<typeof openDatabase>>
/** The statements the stores ran since the last look, with their parameters. */
let ran: CompiledQuery[] = []
let boss: Awaited<ReturnType<typeof startBoss>> | undefined

const BUSINESS = '00000000-0000-4000-8000-0000000000aa'
const USER = '00000000-0000-4000-8000-0000000000bb'

beforeAll(async () => {
  database = await portalDatabase()
  handle = await openDatabase(database.target, {
    onStatement: (e) => {
      ran.push(e.query)
    },
  })
  await migrateToLatest(handle.unbounded)
  const db = handle.db
  // One minute apart: a quarter of them the business's (5,000 its user's), the rest of 300 others,
  // so that reading the whole business's history and sorting it is the plan to avoid.
  await sql`insert into user_changes (id, receipt_number, user_id, business_id, kind, before, after,
      created_at, sync_state, sync_updated_at)
    select gen_random_uuid(), 'PLAN-' || g,
      case when g % 8 = 0 then ${USER}::uuid else gen_random_uuid() end,
      case when g % 4 = 0 then ${BUSINESS}::uuid
        else ('00000000-0000-4000-8000-' || lpad((g % 300)::text, 12, '0'))::uuid end,
      'user-contact-updated', '{}', '{}', now() - g * interval '1 minute', 'done', now()
    from generate_series(1, 40000) g`.execute(db)
  await sql`insert into audit_log (at, action, outcome, detail)
    select now() - g * interval '1 second', 'plan', 'success',
      jsonb_build_object('receiptNumber', 'PLAN-' || g, 'changeId', gen_random_uuid())
    from generate_series(1, 40000) g`.execute(db)
  // 40,000 sessions, signed in over the last 40,000 seconds by this process's clock (which a
  // time-shifted run moves, and the database's does not: the clean-up's limits come from it).
  const now = new Date()
  await sql`insert into sessions (id, csrf_token, created_at, last_seen_at)
    select md5('plan-s' || g), md5('plan-t' || g), ${now}::timestamptz - g * interval '1 second',
      ${now}::timestamptz - g * interval '1 second'
    from generate_series(1, 40000) g`.execute(db)
  await sql`analyze user_changes`.execute(db)
  await sql`analyze audit_log`.execute(db)
  await sql`analyze sessions`.execute(db)
  boss = await startBoss(handle) // its job table, which the reconciliation reads
}, 120_000)
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 })
  await handle?.close()
  await database?.drop()
})

/** The plan of each statement run by `work`, as text: its nodes and the indexes they use. */
const plansOf = async (work: () => Promise<unknown>): Promise<string[]> => {
  ran = []
  await work()
  const statements = [...ran]
  const plans: string[] = []
  for (const q of statements) {
    const { rows } = await handle.db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]),
    )
    plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'))
  }
  return plans
}

it('pages a business’s and a user’s changes from their indexes, newest first, without a sort', async () => {
  const store = kyselyChangeStore(handle.db)
  const [page] = await plansOf(() => store.listForBusiness(BUSINESS, 101))
  expect(page).toMatch(/Index Scan using user_changes_business_newest/)
  expect(page).not.toMatch(/Seq Scan|Sort/)
  const [next] = await plansOf(() =>
    store.listForBusiness(BUSINESS, 101, {
      createdAt: new Date(),
      id: '00000000-0000-4000-8000-000000000000',
    }),
  )
  expect(next).toMatch(/Index Scan using user_changes_business_newest/)
  expect(next).not.toMatch(/Seq Scan|Sort/)
  const [mine] = await plansOf(() => store.listForUser(USER, 5))
  expect(mine).toMatch(/Index Scan using user_changes_user_newest/)
  expect(mine).not.toMatch(/Seq Scan|Sort/)
})

it('finds a change’s audit entries by its 受付番号 or id from their indexes, and pages by time from its index', async () => {
  const reader = kyselyAuditLogReader(handle.db)
  const [byReceipt] = await plansOf(() => reader.page({ receiptNumber: 'PLAN-77' }, undefined, 1000))
  expect(byReceipt).toMatch(/audit_log_receipt_number/)
  expect(byReceipt).not.toMatch(/Seq Scan/)
  const [byEither] = await plansOf(() =>
    reader.page({ receiptNumber: 'PLAN-77', changeId: crypto.randomUUID() }, undefined, 1000),
  )
  expect(byEither).toMatch(/audit_log_receipt_number/)
  expect(byEither).toMatch(/audit_log_change_id/)
  expect(byEither).not.toMatch(/Seq Scan/)
  const since = new Date(Date.now() - 60_000)
  const [recent] = await plansOf(() => reader.page({ since }, undefined, 1000))
  expect(recent).toMatch(/Index Scan using audit_log_at/)
  expect(recent).not.toMatch(/Seq Scan|Sort/)
  const first = await reader.page({}, undefined, 1)
  const [after] = await plansOf(() => reader.page({}, first[0]?.id, 1000))
  expect(after).toMatch(/Index Scan using audit_log_at/)
  expect(after).not.toMatch(/Seq Scan on audit_log audit_log|Sort/)
})

it('finds the changes still waiting for GEPS, and the expired sessions, from their indexes', async () => {
  // The delivery reconciliation, each minute: all 40,000 changes are delivered.
  const [lost] = await plansOf(() => changesWithoutDelivery(handle.db, 'geps-sync', 'geps-sync-dead'))
  expect(lost).toMatch(/user_changes_undelivered/)
  expect(lost).not.toMatch(/Seq Scan on user_changes/)
  // The session clean-up: the few idle past the limit among many.
  const [expired] = await plansOf(() =>
    kyselySessionStore(handle.db).endExpired({
      lastSeenBefore: new Date(Date.now() - 39_000_000),
      createdBefore: new Date(Date.now() - 39_500_000),
    }),
  )
  expect(expired).toMatch(/sessions_last_seen/)
  expect(expired).toMatch(/sessions_created/)
  expect(expired).not.toMatch(/Seq Scan on sessions/)
})

it('reads a batch’s changes in one statement and records their outcomes in one, from the primary key', async () => {
  // The pool's store, as the worker's deliveries use it: 32 finds made at once are one statement.
  const store = kyselyChangeStore(handle.db, 'gathered')
  const { rows } = await sql<{ id: string }>`select id from user_changes limit 32`.execute(handle.db)
  const ids = rows.map((r) => r.id)
  const reads = await plansOf(async () =>
    expect((await Promise.all(ids.map((id) => store.find(id)))).map((c) => c?.id)).toEqual(ids),
  )
  expect(reads).toHaveLength(1)
  expect(reads[0]).toMatch(/user_changes_pkey/)
  expect(reads[0]).not.toMatch(/Seq Scan on user_changes/)
  // All 40,000 are 連携完了: the records change nothing, and their plan is what counts.
  const at = new Date()
  const records = await plansOf(() =>
    Promise.all(ids.map((id) => store.recordSync(id, { state: 'retrying', at, error: 'GEPS answered 503' }))),
  )
  expect(records).toHaveLength(1)
  expect(records[0]).toMatch(/user_changes_pkey/)
  expect(records[0]).not.toMatch(/Seq Scan on user_changes/)
})
