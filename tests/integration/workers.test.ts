/**
 * The GEPS sync and mail workers on real pg-boss: a passing failure is retried (and the user sees
 * 再試行中 meanwhile), a refusal goes to the dead-letter queue at once, and GEPS takes each change
 * once however often it is sent.
 */
import { sql } from 'kysely'
import type { PgBoss } from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { DEMO_USER_IDS, loadDemoData } from '../../adapters/dev/demo-data.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { changesWithoutDelivery } from '../../adapters/job-queue/waiting-jobs.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import type { SyncState } from '../../core/ports.ts'
import { DEFAULT_SESSION_LIMITS } from '../../core/use-cases/sessions/sessions.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { startWorkers } from '../../jobs/workers.ts'
import { countJobs, startBoss } from '../support/boss.ts'
import { contactInput } from '../support/contact-input.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'
import { commitContactChange } from '../support/user-update.ts'
import { waitFor } from '../support/wait.ts'
import { workerUseCases } from '../support/worker-use-cases.ts'

let test: TestDatabase
let boss: PgBoss
const geps = memoryGeps(systemClock)
const mail = memoryMailer()
let ports: ReturnType<typeof kyselyPorts>

beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
  await loadDemoData(test.handle.db, new Date())
  boss = await startBoss(test.handle)
  ports = kyselyPorts(test.handle.db, pgBossJobQueue(boss, ALL_QUEUES), systemClock)
  await startWorkers(boss, {
    useCases: workerUseCases(ports, { geps: geps.geps, mailer: mail.mailer }),
    findLostDeliveries: () => changesWithoutDelivery(test.handle.db, 'geps-sync', 'geps-sync-dead'),
  })
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

const waitForState = async (changeId: string, state: SyncState, timeoutMs = 20_000) => {
  const until = Date.now() + timeoutMs
  const states: SyncState[] = []
  while (Date.now() < until) {
    const change = await ports.changes.find(changeId)
    if (change && states.at(-1) !== change.sync.state) states.push(change.sync.state)
    if (change?.sync.state === state) return { change, states }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`change ${changeId} never reached ${state}; it went through ${states.join(' → ')}`)
}

describe('the GEPS sync worker', () => {
  it('delivers a change once', async () => {
    const id = await commitChange()
    const { change } = await waitForState(id, 'done')
    expect(change.sync).toMatchObject({ attempts: 1, receipt: geps.received.get(id)?.receipt.receiptNumber })
    expect(geps.received.get(id)?.change.user.title).toBe(`係長${n}`)
  })

  it('retries a passing failure with backoff, showing 再試行中 meanwhile, and then delivers', async () => {
    geps.failNext('transient')
    const id = await commitChange()
    const { change, states } = await waitForState(id, 'done')
    expect(states).toContain('retrying')
    expect(change.sync.attempts).toBe(2)
    expect(change.sync.lastError).toBeUndefined()
    // Two requests reached GEPS for this change (the failed one and the retry); GEPS applied one.
    expect(geps.requests.filter((r) => r.idempotencyKey === id)).toHaveLength(2)
    expect(geps.received.has(id)).toBe(true)
  })

  it('never puts older data back: a change retried after a later one sends the data as it is now', async () => {
    geps.failNext('transient')
    const older = await commitChange()
    const olderTitle = `係長${n}`
    await waitForState(older, 'retrying')
    const newer = await commitChange()
    const newerTitle = `係長${n}`
    await waitForState(newer, 'done')
    await waitForState(older, 'done')
    const last = geps.requests.filter((r) => r.idempotencyKey === older).at(-1)
    expect(last?.user.title).toBe(newerTitle)
    expect(last?.user.title).not.toBe(olderTitle)
    expect(geps.requests.at(-1)?.user.title).toBe(newerTitle)
    expect(geps.users.get(DEMO_USER_IDS.saburo)?.title).toBe(newerTitle)
  })

  it('sends a refused change to the dead-letter queue at once and marks it failed', async () => {
    const deadBefore = await countJobs(test.handle, 'geps-sync-dead')
    geps.failNext('permanent')
    const id = await commitChange()
    const { change } = await waitForState(id, 'failed')
    expect(change.sync.attempts).toBe(1)
    expect(change.sync.lastError).toContain('permanent')
    expect(geps.requests.filter((r) => r.idempotencyKey === id)).toHaveLength(1)
    let dead = deadBefore
    for (let i = 0; i < 40 && dead === deadBefore; i++) {
      await new Promise((r) => setTimeout(r, 50))
      dead = await countJobs(test.handle, 'geps-sync-dead')
    }
    expect(dead).toBe(deadBefore + 1)
    expect(geps.received.has(id)).toBe(false)
  })
})

describe('housekeeping', () => {
  it('schedules the clean-up of expired sessions', async () => {
    const schedules = await boss.getSchedules('session-cleanup')
    expect(schedules.map((s) => s.cron)).toEqual(['*/15 * * * *'])
  })

  it('ends expired sessions when the clean-up runs, and keeps current ones', async () => {
    const longAgo = new Date(Date.now() - 2 * DEFAULT_SESSION_LIMITS.absoluteMs)
    await ports.sessions.create({
      id: 'expired-session',
      csrfToken: 't',
      createdAt: longAgo,
      lastSeenAt: longAgo,
    })
    await ports.sessions.create({
      id: 'current-session',
      csrfToken: 't',
      createdAt: new Date(),
      lastSeenAt: new Date(),
    })
    await boss.send('session-cleanup', {})
    for (let i = 0; i < 100 && (await ports.sessions.find('expired-session')); i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(await ports.sessions.find('expired-session')).toBeUndefined()
    expect(await ports.sessions.find('current-session')).toBeDefined()
  })
})

describe('the mail worker', () => {
  it('sends each mail, and dead-letters one the server refuses', async () => {
    await commitChange()
    const address = `saburo.${n}@sample-shoji.example.jp`
    for (let i = 0; i < 100 && !mail.sent.some((m) => m.to === address); i++)
      await new Promise((r) => setTimeout(r, 50))
    expect(mail.sent.filter((m) => m.to === address)).toHaveLength(1)

    const deadBefore = await countJobs(test.handle, 'mail-dead')
    mail.failNext('permanent')
    await commitChange()
    let dead = deadBefore
    for (let i = 0; i < 100 && dead === deadBefore; i++) {
      await new Promise((r) => setTimeout(r, 50))
      dead = await countJobs(test.handle, 'mail-dead')
    }
    expect(dead).toBe(deadBefore + 1)
  })

  it('drops a mail to an erased address that the server refuses, job and all, leaving no dead letter', async () => {
    const deadBefore = await countJobs(test.handle, 'mail-dead')
    const erased = {
      userId: DEMO_USER_IDS.saburo,
      idempotencyKey: `user-deleted:refused:${n}`,
      to: 'gone.erased@sample-shoji.example.jp',
      subject: 'deleted',
      text: 'deleted',
      forgetOnceSent: true,
    }
    // The refusal must meet this mail, not one still on its way from an earlier test.
    const pending = sql<{ n: number }>`select count(*)::int as n from pgboss.job
      where name = 'mail' and state in ('created', 'retry', 'active')`
    await waitFor(
      'the mail queue is idle',
      async () => (await pending.execute(test.handle.db)).rows[0]?.n === 0,
      20_000,
    )
    mail.failNext('permanent')
    const id = await boss.send('mail', erased)
    await waitFor('the job is gone', async () => !(await boss.getJobById('mail', id ?? '')), 10_000)
    expect(mail.sent.some((m) => m.to === erased.to)).toBe(false)
    expect(await countJobs(test.handle, 'mail-dead')).toBe(deadBefore)
    const naming = await sql<{ n: number }>`select count(*)::int as n from pgboss.job
      where data::text like ${'%gone.erased@%'}`.execute(test.handle.db)
    expect(naming.rows[0]?.n).toBe(0)
  })

  it('sends nothing when a mail’s job is handed out again (its completion was lost with the database)', async () => {
    const again = {
      userId: DEMO_USER_IDS.saburo,
      idempotencyKey: `user-updated:handed-out-again:${n}`,
      to: 'saburo.again@sample-shoji.example.jp',
      subject: 'again',
      text: 'again',
    }
    await boss.send('mail', again)
    await waitFor(
      'the first is sent',
      () => mail.sent.some((m) => m.idempotencyKey === again.idempotencyKey),
      5_000,
    )
    const second = await boss.send('mail', again)
    await waitFor(
      'the second job completes',
      async () => (await boss.getJobById('mail', second ?? ''))?.state === 'completed',
      5_000,
    )
    expect(mail.sent.filter((m) => m.idempotencyKey === again.idempotencyKey)).toHaveLength(1)
  })
})
