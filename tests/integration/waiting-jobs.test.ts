/**
 * The two questions the workers ask of pg-boss's job table, on the backend under test: which
 * changes still waiting for GEPS have no job left to deliver them (and why the last one ended),
 * and bringing the deliveries that wait out a retry delay forward when GEPS answers again.
 */
import { sql } from 'kysely'
import type { PgBoss } from 'pg-boss'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { DEMO_USER_IDS, loadDemoData } from '../../adapters/dev/demo-data.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { bringWaitingJobsForward, changesWithoutDelivery } from '../../adapters/job-queue/waiting-jobs.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { countJobs } from '../../adapters/metrics/job-counts.ts'
import { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import { SYNC_FAILED_SUBJECT } from '../../core/domain/mails.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { startBoss } from '../support/boss.ts'
import { contactInput } from '../support/contact-input.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'
import { commitContactChange } from '../support/user-update.ts'
import { workerUseCases } from '../support/worker-use-cases.ts'

let test: TestDatabase
let boss: PgBoss
let ports: ReturnType<typeof kyselyPorts>

beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
  await loadDemoData(test.handle.db, new Date())
  boss = await startBoss(test.handle)
  ports = kyselyPorts(test.handle.db, pgBossJobQueue(boss, ALL_QUEUES), systemClock)
})
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 })
  await test?.drop()
})

let n = 0
const commitChange = (): Promise<string> => {
  n++
  return commitContactChange(
    ports,
    DEMO_USER_IDS.saburo,
    contactInput({ title: `係長${n}`, email: `saburo.${n}@sample-shoji.example.jp` }),
  )
}
const jobOf = async (changeId: string) => {
  const [job] = await boss.findJobs('geps-sync', { data: { changeId } })
  if (!job) throw new Error(`no job for ${changeId}`)
  return job
}
const lost = () => changesWithoutDelivery(test.handle.db, 'geps-sync', 'geps-sync-dead')

it('finds a waiting change whose job is gone or dead-lettered, and none whose job waits or runs', async () => {
  const waiting = await commitChange()
  const deleted = await commitChange()
  const dead = await commitChange()
  expect(await lost()).toEqual([])

  // An operator deletes one job; another runs out of tries outside its handler.
  await boss.deleteJob('geps-sync', (await jobOf(deleted)).id)
  await sql`update pgboss.job set retry_limit = 0 where name = 'geps-sync' and data->>'changeId' = ${dead}`.execute(
    test.handle.db,
  )
  const fetched = (await boss.fetch<{ changeId: string }>('geps-sync', { batchSize: 10 })) ?? []
  const deadJob = fetched.find((j) => j.data.changeId === dead)
  if (!deadJob) throw new Error('the job was not fetched')
  await boss.fail('geps-sync', deadJob.id, { message: 'job heartbeat timeout' })
  // The metrics count them: the dead letter as the queue's dead, the fetched ones as active.
  const counted = await countJobs(test.handle.db, { 'geps-sync-dead': 'geps-sync', 'mail-dead': 'mail' })
  expect(counted).toContainEqual({ queue: 'geps-sync', state: 'dead', count: 1 })
  expect(counted.find((c) => c.queue === 'geps-sync' && c.state === 'active')?.count).toBeGreaterThanOrEqual(
    1,
  )
  // The waiting change's job is active now (fetched): it is not lost.
  expect((await lost()).sort((a, b) => a.changeId.localeCompare(b.changeId))).toEqual(
    [
      { changeId: deleted, reason: 'its job is gone' },
      { changeId: dead, reason: 'job heartbeat timeout' },
    ].sort((a, b) => a.changeId.localeCompare(b.changeId)),
  )
  expect((await lost()).map((l) => l.changeId)).not.toContain(waiting)

  // Each is ended as 連携失敗 and told, once.
  const { sync } = workerUseCases(ports, {
    geps: memoryGeps(systemClock).geps,
    mailer: memoryMailer().mailer,
  })
  for (const l of await lost()) expect(await sync.endLostDelivery(l)).toBe(true)
  for (const l of [deleted, dead]) {
    const change = await ports.changes.find(l)
    expect(change?.sync.state).toBe('failed')
    expect(change?.sync.lastError).toContain('the delivery ended without a result')
  }
  expect(await sync.endLostDelivery({ changeId: dead, reason: 'again' })).toBe(false)
  expect(await lost()).toEqual([])
  const mails = await boss.findJobs<{ subject: string }>('mail', { limit: 100 })
  expect(mails.filter((m) => m.data.subject === SYNC_FAILED_SUBJECT)).toHaveLength(2)
})

it('brings the deliveries that wait out a retry delay forward, the soonest first', async () => {
  for (const job of (await boss.fetch('geps-sync', { batchSize: 100 })) ?? [])
    await boss.complete('geps-sync', job.id)
  const ids = [await commitChange(), await commitChange()]
  for (const job of (await boss.fetch('geps-sync', { batchSize: 10 })) ?? [])
    await boss.fail('geps-sync', job.id)
  // Both wait: one an hour, one two.
  for (const [i, id] of ids.entries())
    await sql`update pgboss.job set start_after = now() + ${`${i + 1} hours`}::interval
      where name = 'geps-sync' and data->>'changeId' = ${id}`.execute(test.handle.db)
  expect(await boss.fetch('geps-sync')).toEqual([])

  expect(await bringWaitingJobsForward(test.handle.db, 'geps-sync', 1)).toBe(1)
  const first = (await boss.fetch<{ changeId: string }>('geps-sync', { batchSize: 10 })) ?? []
  expect(first.map((j) => j.data.changeId)).toEqual([ids[0]])
  expect(await bringWaitingJobsForward(test.handle.db, 'geps-sync')).toBe(1)
  const rest = (await boss.fetch<{ changeId: string }>('geps-sync', { batchSize: 10 })) ?? []
  expect(rest.map((j) => j.data.changeId)).toEqual([ids[1]])
  expect(await bringWaitingJobsForward(test.handle.db, 'geps-sync')).toBe(0)
})
