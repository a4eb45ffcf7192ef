/**
 * Mail workers killed (SIGKILL) in the middle of a drain: what SMTP accepted in the instant before
 * a kill, and whose record was not yet written, goes again, with the same Message-ID. This test
 * measures that residue, the figure the README's reliability section gives: it prints the doubles
 * per kill, and holds them to at most two per kill on average (eight mails are in flight at a kill).
 */
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { openDatabase } from '../../adapters/db/database.ts'
import { newBoss } from '../../adapters/job-queue/boss.ts'
import type { UserMail } from '../../core/ports.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { startSlowSmtpRelay } from '../support/slow-smtp.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

const MAILS = 480
const KILLS = 8

it('sends again only what SMTP accepted in the instant before a kill, with the same Message-ID', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  // A relay that takes 20 ms to take each mail, and answers as soon as it has: what is left is
  // the portal's own window, from the answer to the record.
  const smtp = await startSlowSmtpRelay(world.sink.port, { acceptAfterMs: 20 })
  cleanUp(smtp.close)
  const env = { SMTP_URL: smtp.url }
  let worker = await world.start(env)

  const handle = await openDatabase({ backend: 'postgres', url: world.databaseUrl, poolSize: 2 })
  cleanUp(() => handle.close())
  const boss = newBoss(handle, { max: 2, maintenance: false })
  boss.on('error', () => {})
  await boss.start()
  cleanUp(() => boss.stop({ graceful: false, timeout: 1000 }))
  for (let i = 0; i < MAILS; i++) {
    const mail: UserMail = {
      userId: crypto.randomUUID(),
      idempotencyKey: `kill-${i}`,
      to: `user${i}@example.jp`,
      subject: `kill ${i}`,
      text: 'text',
    }
    await boss.send('mail', mail)
  }
  const received = () => world.sink.mails.filter((m) => m.subject.startsWith('kill '))
  for (let k = 1; k <= KILLS; k++) {
    await waitFor(`mails before kill ${k}`, () => received().length >= (MAILS * k) / (KILLS + 1), 60_000)
    worker.child.kill('SIGKILL')
    await worker.stop()
    worker = await world.start(env)
  }
  const unique = () => new Set(received().map((m) => m.subject)).size
  await waitFor('every mail arrived', () => unique() === MAILS, 120_000)
  // The jobs of the killed workers run again after their heartbeat is missed and their retry
  // delay: every mail job must have ended before the copies are counted.
  const unfinished = async () =>
    Number(
      (
        await sql<{ n: string }>`select count(*) as n from pgboss.job
          where name = 'mail' and state in ('created', 'retry', 'active')`.execute(handle.db)
      ).rows[0]?.n,
    )
  await waitFor('every mail job has ended', async () => (await unfinished()) === 0, 150_000)

  const bySubject = Map.groupBy(received(), (m) => m.subject)
  const doubles = [...bySubject.values()].filter((copies) => copies.length > 1)
  for (const copies of doubles) expect(new Set(copies.map((m) => m.messageId)).size).toBe(1)
  const extra = received().length - MAILS
  console.log(
    `killed-mail-worker: ${KILLS} kills during a drain of ${MAILS} mails: ${extra} sent twice (${(extra / KILLS).toFixed(2)} per kill)`,
  )
  expect(extra).toBeLessThanOrEqual(2 * KILLS)
}, 400_000)
