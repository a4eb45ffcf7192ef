/**
 * A worker started on a backlog takes batch after batch without waiting for its next poll: while a
 * fetch comes back full, more are waiting. pg-boss's clock is held still (its TestClock), so a
 * worker that waited for a poll, or for pg-boss's cached count of ready jobs to be refreshed, would
 * take one batch and stop there; the bench (docs/benchmarks.md) saw that cost a drain of 10,000
 * changes its first 14 seconds at 64 a second.
 */
import { sql } from 'kysely'
import { type PgBoss, TestClock } from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { DEMO_USER_IDS, loadDemoData } from '../../adapters/dev/demo-data.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { changesWithoutDelivery } from '../../adapters/job-queue/waiting-jobs.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { startWorkers } from '../../jobs/workers.ts'
import { startBoss } from '../support/boss.ts'
import { contactInput } from '../support/contact-input.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'
import { commitContactChange } from '../support/user-update.ts'
import { waitFor } from '../support/wait.ts'
import { workerUseCases } from '../support/worker-use-cases.ts'

const BACKLOG = 7
const BATCH = 2
let test: TestDatabase
let boss: PgBoss | undefined
const geps = memoryGeps(systemClock)

beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
  await loadDemoData(test.handle.db, new Date())
})
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 })
  await test?.drop()
})

const completedDeliveries = async () =>
  Number(
    (
      await sql<{ n: number }>`
        select count(*)::int as n from pgboss.job where name = 'geps-sync' and state = 'completed'
      `.execute(test.handle.db)
    ).rows[0]?.n,
  )

describe('a worker started on a backlog', () => {
  it('fetches the next batch as soon as one comes back full, with no poll in between', async () => {
    // The backlog is committed before any worker runs: no new job wakes a worker during the drain.
    // It is sent on the system's time: the held clock's would be behind the jobs' start times, which
    // the use case's transaction sets on the database's own clock.
    const sending = await startBoss(test.handle)
    const ports = kyselyPorts(test.handle.db, pgBossJobQueue(sending, ALL_QUEUES), systemClock)
    const users = [DEMO_USER_IDS.hanako, DEMO_USER_IDS.saburo]
    for (let i = 0; i < BACKLOG; i++)
      await commitContactChange(
        ports,
        users[i % users.length] ?? '',
        contactInput({ title: `係長${i}`, email: `backlog.${i}@sample-shoji.example.jp` }),
      )
    await sending.stop({ graceful: false, timeout: 1000 })

    // pg-boss's time stands still from here: no timer of its fires, so no poll either.
    boss = await startBoss(test.handle, new TestClock(new Date()))
    const workerPorts = kyselyPorts(test.handle.db, pgBossJobQueue(boss, ALL_QUEUES), systemClock)
    await startWorkers(boss, {
      useCases: workerUseCases(workerPorts, { geps: geps.geps, mailer: memoryMailer().mailer }),
      findLostDeliveries: () => changesWithoutDelivery(test.handle.db, 'geps-sync', 'geps-sync-dead'),
      concurrency: { geps: { fetchers: 1, batchSize: BATCH }, mail: { fetchers: 1, batchSize: 1 } },
    })
    // Three full batches of two and the last one: all seven, while pg-boss's clock has not moved.
    await waitFor('the backlog is delivered', async () => (await completedDeliveries()) === BACKLOG, 20_000)
    expect(geps.received.size).toBe(BACKLOG)
  })
})
