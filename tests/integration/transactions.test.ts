/**
 * Transactions on the backend under test, with pg-boss: when one fails after the change is
 * written, neither the change, nor its audit record, nor its jobs exist; and two [更新] of the
 * same confirm screen at the same moment commit one change.
 */
import { sql } from 'kysely'
import type { PgBoss } from 'pg-boss'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { DEMO_USER_IDS, loadDemoData } from '../../adapters/dev/demo-data.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { kyselyPorts, kyselyUnitOfWork } from '../../adapters/stores/unit-of-work.kysely.ts'
import { startSession } from '../../core/use-cases/sign-in/sign-in.ts'
import {
  completeUserUpdate,
  prepareUserUpdate,
  reviewUserUpdate,
} from '../../core/use-cases/user-update/update.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { countJobs, startBoss } from '../support/boss.ts'
import { contactInput } from '../support/contact-input.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'

let test: TestDatabase
let boss: PgBoss
beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
  await loadDemoData(test.handle.db, new Date())
  boss = await startBoss(test.handle)
})
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 })
  await test?.drop()
})

it('leaves neither the change nor its jobs when the transaction fails after the change is written', async () => {
  const db = test.handle.db
  const realQueue = pgBossJobQueue(boss, ALL_QUEUES)
  // The mail job is the last write of the completion: the queue fails there, after the user,
  // the change record, the audit entry and the GEPS job have been written in the transaction.
  const failingAtMail = (trx: typeof db) => {
    const queue = realQueue(trx)
    return {
      ...queue,
      enqueue: async (job: Parameters<typeof queue.enqueue>[0]) => {
        if (job.queue === 'mail') throw new Error('the database went away')
        await queue.enqueue(job)
      },
    }
  }
  const ports = kyselyPorts(db, failingAtMail, systemClock)
  const session = await startSession(ports)()
  const cmd = { sessionId: session.id, userId: DEMO_USER_IDS.hanako }
  const prepared = await prepareUserUpdate(ports)({
    ...cmd,
    input: {
      user: {
        title: '部長',
        postalCode: '100-0001',
        address: '東京都千代田区千代田1-1',
        phone: '03-1111-2222',
        fax: '',
        email: 'hanako@sample-shoji.example.jp',
        emailConfirmation: 'hanako@sample-shoji.example.jp',
      },
    },
  })
  expect(prepared.ok).toBe(true)
  const review = await reviewUserUpdate(ports)(cmd)
  if (!review.ok) throw new Error(review.error.kind)
  const shown = { ...cmd, draftId: review.value.draftId }
  const auditBefore = await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(db)

  await expect(completeUserUpdate(ports)(shown)).rejects.toThrow('the database went away')

  expect(await ports.accounts.findUser(DEMO_USER_IDS.hanako)).toMatchObject({ title: '課長', version: 1 })
  const changes = await sql<{ n: number }>`select count(*)::int as n from user_changes`.execute(db)
  expect(changes.rows[0]?.n).toBe(0)
  const auditAfter = await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(db)
  expect(auditAfter.rows[0]?.n).toBe(auditBefore.rows[0]?.n)
  expect(await countJobs(test.handle, 'geps-sync')).toBe(0)
  expect(await countJobs(test.handle, 'mail')).toBe(0)
  // The draft is not marked done: the user can press [更新] again once the fault has passed.
  expect((await ports.drafts.find(session.id, 'user-update'))?.completedChangeId).toBeUndefined()

  const retried = await completeUserUpdate({ ...ports, unitOfWork: kyselyUnitOfWork(db, realQueue) })(shown)
  expect(retried.ok).toBe(true)
  expect(await countJobs(test.handle, 'geps-sync')).toBe(1)
  expect(await countJobs(test.handle, 'mail')).toBe(1)
})

it('commits one change when the same confirm screen is posted twice at the same moment', async () => {
  const db = test.handle.db
  const ports = kyselyPorts(db, pgBossJobQueue(boss, ALL_QUEUES), systemClock)
  const session = await startSession(ports)()
  const cmd = { sessionId: session.id, userId: DEMO_USER_IDS.saburo }
  await prepareUserUpdate(ports)({
    ...cmd,
    input: { user: contactInput({ title: '主任', email: 'saburo.twice@sample-shoji.example.jp' }) },
  })
  const review = await reviewUserUpdate(ports)(cmd)
  if (!review.ok) throw new Error(review.error.kind)
  const shown = { ...cmd, draftId: review.value.draftId }
  const gepsJobsBefore = await countJobs(test.handle, 'geps-sync')
  const results = await Promise.all([1, 2, 3, 4].map(() => completeUserUpdate(ports)(shown)))
  const ids = new Set(results.map((r) => (r.ok ? r.value.changeId : r.error.kind)))
  expect(ids.size).toBe(1)
  expect(results.every((r) => r.ok)).toBe(true)
  const changes = await sql<{
    n: number
  }>`select count(*)::int as n from user_changes where user_id = ${DEMO_USER_IDS.saburo}`.execute(db)
  expect(changes.rows[0]?.n).toBe(1)
  expect(await countJobs(test.handle, 'geps-sync')).toBe(gepsJobsBefore + 1)
  expect(await ports.accounts.findUser(DEMO_USER_IDS.saburo)).toMatchObject({ title: '主任', version: 2 })
})

it('forgets a user’s jobs in every queue, dead letters and more than a page of them included', async () => {
  const userId = crypto.randomUUID()
  const other = crypto.randomUUID()
  const mail = (to: string, i: number) => ({
    userId: to,
    idempotencyKey: `${to}-${i}`,
    to: 'x@example.jp',
    subject: 's',
    text: 't',
  })
  await boss.insert(
    'mail',
    Array.from({ length: 1_005 }, (_, i) => ({ data: mail(userId, i) })),
  )
  await boss.send('mail-dead', mail(userId, -1))
  await boss.send('geps-sync-dead', { changeId: crypto.randomUUID(), userId })
  await boss.send('mail', mail(other, 0))
  const ofUser = async (id: string) =>
    (
      await sql<{
        n: number
      }>`select count(*)::int as n from pgboss.job where data->>'userId' = ${id}`.execute(test.handle.db)
    ).rows[0]?.n
  expect(await ofUser(userId)).toBe(1_007)

  await kyselyUnitOfWork(test.handle.db, pgBossJobQueue(boss, ALL_QUEUES)).run(async (tx) => {
    await tx.jobs.forgetJobsOf(userId)
  })
  expect(await ofUser(userId)).toBe(0)
  expect(await ofUser(other)).toBe(1)
})

it('runs nothing of a unit of work after its end: what was issued together is undone with it, a late statement refused', async () => {
  const db = test.handle.db
  const ports = kyselyPorts(db, pgBossJobQueue(boss, ALL_QUEUES), systemClock)
  const marker = `unit-of-work-${crypto.randomUUID()}`
  const entry = { at: new Date(), action: marker, outcome: 'success' as const }
  const entries = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from audit_log where action = ${marker}`.execute(db))
      .rows[0]?.n
  // Issued together with a statement that fails: the transaction ends, and the others with it.
  await expect(
    ports.unitOfWork.run((tx) =>
      Promise.all([
        tx.audit.append(entry),
        tx.audit.append({ ...entry, userId: 'not a uuid' }),
        tx.audit.append(entry),
      ]),
    ),
  ).rejects.toThrow()
  expect(await entries()).toBe(0)
  // A statement issued after the work has failed (a callback of its own, say) finds the unit of
  // work ended: refused, rather than run outside the transaction on a connection already handed back.
  let late: Promise<void> | undefined
  await expect(
    ports.unitOfWork.run(async (tx) => {
      setTimeout(() => {
        late = tx.audit.append(entry)
        late.catch(() => {}) // looked at below
      }, 100)
      throw new Error('the work failed')
    }),
  ).rejects.toThrow('the work failed')
  await new Promise((r) => setTimeout(r, 300))
  await expect(late).rejects.toThrow(/unit of work that has ended/)
  expect(await entries()).toBe(0)
})
