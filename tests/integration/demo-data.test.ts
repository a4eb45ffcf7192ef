/**
 * The demo data: created once; loading it again, even by two processes at once, changes nothing.
 * It is made for the day it is loaded on, and a start long after (or at an earlier date) makes it
 * anew, so that the demo signs in on any day, years from now included.
 */
import { sql } from 'kysely'
import type { PgBoss } from 'pg-boss'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openDatabase } from '../../adapters/db/database.ts'
import { DEMO_DATA_KEPT_DAYS, DEMO_USER_IDS, loadDemoData } from '../../adapters/dev/demo-data.ts'
import { daysFrom } from '../../adapters/dev/test-pki.ts'
import { virtualCardReader } from '../../adapters/dev/virtual-card-reader.ts'
import { kyselyVirtualCardStore } from '../../adapters/dev/virtual-card-store.kysely.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { kyselyFailureLog } from '../../adapters/stores/failure-log.kysely.ts'
import { kyselyTrustAnchors } from '../../adapters/stores/trust-store.kysely.ts'
import { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import { currentCycle } from '../../core/domain/qualifications.ts'
import { issueChallenge, signIn, startSession } from '../../core/use-cases/sign-in/sign-in.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { countJobs, startBoss } from '../support/boss.ts'
import { testClock } from '../support/clock.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'

let test: TestDatabase
let boss: PgBoss
/** When the demo data was first made. */
const madeAt = new Date()
beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
  boss = await startBoss(test.handle)
})
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 })
  await test?.drop()
})

const jobs = () => pgBossJobQueue(boss, ALL_QUEUES)
const load = (at: Date) => loadDemoData(test.handle.db, at, jobs())

const counts = async () => {
  const { rows } = await sql<Record<string, number>>`select
    (select count(*)::int from businesses) as businesses,
    (select count(*)::int from users) as users,
    (select count(*)::int from certificates) as certificates,
    (select count(*)::int from development.virtual_cards) as cards,
    (select count(*)::int from trust_anchors) as anchors`.execute(test.handle.db)
  return rows[0]
}

const auditEntries = () =>
  test.handle.db.selectFrom('audit_log').select(['action', 'outcome']).orderBy('id').execute()

/** Signs in with a virtual card at `at`, on the portal's stores over the test database. */
const signInAt = async (at: Date, cardId: string, pin: string) => {
  const db = test.handle.db
  const ports = {
    ...kyselyPorts(db, jobs(), testClock(at)),
    cardReader: virtualCardReader(kyselyVirtualCardStore(db)),
    trustAnchors: kyselyTrustAnchors(db),
    failures: kyselyFailureLog(db),
  }
  const session = await startSession(ports)()
  await issueChallenge(ports)(session.id)
  return signIn(ports)({ sessionId: session.id, input: { kind: 'reader', cardId, pin } })
}

it('creates the business, four users, their certificates, ten virtual card certificates and a qualification once', async () => {
  // A second connection pool on the same database stands in for a second process.
  const other = test.target.backend === 'postgres' ? await openDatabase(test.target) : test.handle
  try {
    const loaded = await Promise.all([loadDemoData(test.handle.db, madeAt), loadDemoData(other.db, madeAt)])
    expect(loaded.map((l) => l.outcome).sort()).toEqual(['created', 'kept'])
  } finally {
    if (other !== test.handle) await other.db.destroy()
  }
  const first = await counts()
  expect(first).toEqual({ businesses: 1, users: 4, certificates: 6, cards: 10, anchors: 2 })
  expect(await load(daysFrom(madeAt, DEMO_DATA_KEPT_DAYS - 1))).toEqual({ outcome: 'kept', madeFor: madeAt })
  // A clock a little behind the one that made it (another process's, or a corrected one): kept,
  // and it signs in there, the CRLs being dated a day back.
  const anHourBefore = new Date(madeAt.getTime() - 3_600_000)
  expect(await load(anHourBefore)).toEqual({ outcome: 'kept', madeFor: madeAt })
  expect(await signInAt(anHourBefore, 'taro-ic', '1234')).toMatchObject({ ok: true })
  expect(await counts()).toEqual(first)
})

it('is made anew for its own day at a start long after, or at an earlier date, forgetting what was done in it', async () => {
  const db = test.handle.db
  // What a developer did in the demo: a changed title and a mail still waiting to be sent.
  await db.updateTable('users').set({ title: '部長' }).where('id', '=', DEMO_USER_IDS.hanako).execute()
  await db.transaction().execute((trx) =>
    jobs()(trx).enqueue({
      queue: 'mail',
      data: {
        userId: DEMO_USER_IDS.hanako,
        idempotencyKey: 'k',
        to: 'x@example.jp',
        subject: 's',
        text: 't',
      },
    }),
  )
  expect(await countJobs(test.handle, 'mail')).toBe(1)

  // 800 days on, every certificate made for the first day has lapsed: 調達 太郎's card lasted 700.
  const later = daysFrom(madeAt, 800)
  expect(await signInAt(later, 'taro-ic', '1234')).toMatchObject({
    ok: false,
    error: { kind: 'certificate', error: { kind: 'expired' } },
  })
  const audited = await auditEntries()
  expect(audited).toContainEqual({ action: 'sign-in', outcome: 'failure' })
  expect(await load(later)).toEqual({ outcome: 'remade', previous: madeAt })
  // The audit log keeps what happened, the refused sign-in included.
  expect(await auditEntries()).toEqual(audited)
  expect(await signInAt(later, 'taro-ic', '1234')).toMatchObject({ ok: true })
  expect(await counts()).toEqual({ businesses: 1, users: 4, certificates: 6, cards: 10, anchors: 2 })
  const hanako = await db
    .selectFrom('users')
    .select('title')
    .where('id', '=', DEMO_USER_IDS.hanako)
    .executeTakeFirst()
  expect(hanako?.title).toBe('課長')
  expect(await countJobs(test.handle, 'mail')).toBe(0)
  const qualifications = await db.selectFrom('qualifications').select('first_year').execute()
  expect(qualifications).toEqual([{ first_year: currentCycle(later) }])

  // The clock moved back before the demo's day: its CRLs are not yet issued there.
  const earlier = daysFrom(later, -2)
  expect(await signInAt(earlier, 'taro-ic', '1234')).toMatchObject({
    ok: false,
    error: { kind: 'certificate', error: { kind: 'revocation-unknown' } },
  })
  expect(await load(earlier)).toEqual({ outcome: 'remade', previous: later })
  expect(await signInAt(earlier, 'taro-ic', '1234')).toMatchObject({ ok: true })
})
