/**
 * A worker killed while GEPS hangs on a change's last try: pg-boss dead-letters the job for its lost
 * heartbeat, and no handler is left to say so. The change must not show 再試行中 for ever: the
 * reconciliation marks it 連携失敗, its user is mailed, the log tells the operator, and a re-drive
 * then delivers it (and mails that it went through).
 */
import { expect, it } from 'vitest'
import { SYNC_FAILED_SUBJECT, SYNC_RECOVERED_SUBJECT } from '../../core/domain/mails.ts'
import { HANAKO_EMAIL, hanakoOverHttp } from '../support/hanako-over-http.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { runToEnd } from '../support/server-process.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

it('tells 連携失敗 for a change whose worker was killed on its last try, and delivers it when re-driven', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const { geps, gepsFront, sink } = world
  const first = await world.start()
  const { sql } = world
  const state = async (id: string) =>
    (await sql`select sync_state from user_changes where id = ${id}`)[0]?.sync_state as string | undefined

  gepsFront.front.answer = 'hang'
  const id = await hanakoOverHttp(first.url).updateTitle('部長')
  await waitFor('the worker waits on GEPS', () => gepsFront.front.requests.some((r) => r.key === id), 20_000)
  // This try is its last, as the 300th would be.
  await sql`update pgboss.job set retry_limit = retry_count
    where name = 'geps-sync' and data->>'changeId' = ${id}`
  first.child.kill('SIGKILL')
  await first.stop()

  gepsFront.front.answer = 'pass'
  const second = await world.start()
  await waitFor('the change shows 連携失敗', async () => (await state(id)) === 'failed', 150_000)
  const told = await sink.waitFor((m) => m.subject === SYNC_FAILED_SUBJECT && m.to.includes(HANAKO_EMAIL))
  expect(told.text).toContain('受付番号')
  expect(second.output()).toContain(
    `geps-sync change ${id}: its job ended without a result (job heartbeat timeout)`,
  )
  expect(geps.received.has(id)).toBe(false)
  const [row] = await sql`select sync_error from user_changes where id = ${id}`
  expect(row?.sync_error).toContain('job heartbeat timeout')

  // The operator re-drives it: it is delivered, and she learns that it went through.
  const redrive = await runToEnd(process.execPath, ['jobs/ops.ts', 'redrive', 'geps-sync-dead'], {
    DATABASE_URL: world.databaseUrl,
  })
  expect(redrive.output).toContain('1')
  await waitFor('the change shows 連携完了', async () => (await state(id)) === 'done', 60_000)
  await sink.waitFor((m) => m.subject === SYNC_RECOVERED_SUBJECT && m.to.includes(HANAKO_EMAIL))
  expect([...geps.received.keys()]).toEqual([id])
  expect(
    sink.mails.filter((m) => m.subject === SYNC_FAILED_SUBJECT && m.to.includes(HANAKO_EMAIL)),
  ).toHaveLength(1)
}, 240_000)
