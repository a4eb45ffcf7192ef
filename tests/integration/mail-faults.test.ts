/**
 * The mail worker while SMTP fails: first it refuses connections, then a black hole accepts them
 * and never answers. Each attempt ends within the SMTP timeout (none stays active), is retried,
 * and once SMTP is back every mail arrives exactly once. The queue's retry delay is shortened to a
 * second for the test; everything else is the portal's own (real pg-boss, the SMTP adapter).
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import { sql } from 'kysely'
import type { PgBoss } from 'pg-boss'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { systemClock } from '../../adapters/clock/system-clock.ts'
import { type MailSink, startMailSink } from '../../adapters/dev/mail-sink.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { changesWithoutDelivery } from '../../adapters/job-queue/waiting-jobs.ts'
import { smtpMailer } from '../../adapters/mail/mailer.smtp.ts'
import { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import type { Mailer, UserMail } from '../../core/ports.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { startWorkers } from '../../jobs/workers.ts'
import { startBoss } from '../support/boss.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'
import { workerUseCases } from '../support/worker-use-cases.ts'

// Short, so that the black hole's attempts end soon; not shorter, for a server that accepted a mail
// but whose answer came after the timeout would have it sent again (SMTP cannot tell), and a
// loaded CI machine once took over a second to answer.
const TIMEOUT_MS = 2_000
let test: TestDatabase
let boss: PgBoss
let sink: MailSink
const servers: Server[] = []
const sockets: Socket[] = []

const listen = (server: Server, port: number) =>
  new Promise<number>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()))

beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
  boss = await startBoss(test.handle)
  await boss.updateQueue('mail', { retryDelay: 1, retryBackoff: false, retryLimit: 30 })
  sink = await startMailSink(0, systemClock)
})
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 })
  for (const s of sockets) s.destroy()
  for (const s of servers) await close(s).catch(() => {})
  await sink?.close()
  await test?.drop()
})

type Phase = 'refused' | 'black hole' | 'back'

const jobStates = async () =>
  (
    await sql<{ state: string }>`select state from pgboss.job where name = 'mail'`.execute(test.handle.db)
  ).rows.map((r) => r.state)

it('retries through refused connections and a black hole, and delivers each mail once', async () => {
  // A port no one listens on: connections are refused.
  const probe = createServer()
  const port = await listen(probe, 0)
  await close(probe)

  let phase = 'refused' as Phase
  const attempts: { phase: Phase; ms: number; ok: boolean }[] = []
  const smtp = smtpMailer({
    url: `smtp://127.0.0.1:${port}`,
    from: 'portal@portal.example.go.jp',
    timeoutMs: TIMEOUT_MS,
  })
  const mailer: Mailer = {
    send: async (mail) => {
      const started = Date.now()
      const sent = await smtp.send(mail)
      attempts.push({ phase, ms: Date.now() - started, ok: sent.ok })
      return sent
    },
  }
  const ports = kyselyPorts(test.handle.db, pgBossJobQueue(boss, ALL_QUEUES), systemClock)
  await startWorkers(boss, {
    findLostDeliveries: () => changesWithoutDelivery(test.handle.db, 'geps-sync', 'geps-sync-dead'),
    useCases: workerUseCases(ports, { geps: memoryGeps(systemClock).geps, mailer }),
  })

  const mails: UserMail[] = [1, 2, 3].map((i) => ({
    userId: crypto.randomUUID(),
    idempotencyKey: `fault-${i}`,
    to: `user${i}@example.jp`,
    subject: `faults ${i}`,
    text: 'text',
  }))
  await ports.unitOfWork.run(async (tx) => {
    for (const data of mails) await tx.jobs.enqueue({ queue: 'mail', data })
  })
  const failedIn = (p: Phase) => attempts.filter((a) => a.phase === p && !a.ok)
  const waitUntil = async (what: string, done: () => boolean | Promise<boolean>, ms = 30_000) => {
    const until = Date.now() + ms
    while (!(await done())) {
      if (Date.now() > until) throw new Error(`timed out waiting until ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  await waitUntil('three refused attempts', () => failedIn('refused').length >= 3)

  // A black hole: it accepts and never says a word.
  phase = 'black hole'
  const blackHole = createServer((socket) => void sockets.push(socket))
  servers.push(blackHole)
  await listen(blackHole, port)
  await waitUntil('three attempts into the black hole', () => failedIn('black hole').length >= 3)
  // Each ended by the SMTP timeout, well within the job's expiry: none stays active.
  for (const a of failedIn('black hole')) expect(a.ms).toBeLessThan(3 * TIMEOUT_MS)

  // SMTP is back.
  await close(blackHole)
  for (const s of sockets) s.destroy()
  phase = 'back'
  const relay = createServer((socket) => {
    const upstream = connect(sink.port, '127.0.0.1')
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  servers.push(relay)
  await listen(relay, port)
  await waitUntil('every mail arrived', () =>
    mails.every((m) => sink.mails.some((r) => r.subject === m.subject)),
  )
  await waitUntil('every job is completed', async () => (await jobStates()).every((s) => s === 'completed'))
  await new Promise((r) => setTimeout(r, 1_500)) // a second copy would come within a retry delay
  for (const m of mails)
    expect(
      sink.mails.filter((r) => r.subject === m.subject),
      `${m.subject}; attempts: ${JSON.stringify(attempts)}`,
    ).toHaveLength(1)
  expect(await jobStates()).toEqual(['completed', 'completed', 'completed'])
  smtp.close()
}, 90_000)
