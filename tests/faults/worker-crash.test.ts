/**
 * A worker killed (SIGKILL) in the middle of a GEPS delivery, and started again: the job runs
 * again, and GEPS applies the change once. The portal runs as its own process on a fresh
 * PostgreSQL database (PGlite is one process); GEPS is a simulator in this process, told to hold
 * the first request so that the worker dies while it waits.
 */
import { expect, it } from 'vitest'
import { formClient, pathOf } from '../support/form-client.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

it('runs a job again after its worker is killed mid-delivery, and GEPS applies it once', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const { geps } = world
  const first = await world.start()

  // 入札 花子 updates her title; GEPS holds the delivery.
  geps.faults.hangNext = 1
  const c = formClient((path, init) => fetch(new URL(path, first.url), init), first.url)
  await c.get('/sign-in')
  expect((await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })).status).toBe(303)
  const email = 'hanako@sample-shoji.example.jp'
  await c.get('/user/edit')
  const fields = {
    postalCode: '100-0001',
    address: '東京都千代田区千代田1-1',
    phone: '03-1111-2222',
    fax: '',
  }
  expect(
    (await c.post('/user/edit', { ...fields, title: '部長', email, emailConfirmation: email })).status,
  ).toBe(303)
  await c.get('/user/confirm')
  const done = await c.post('/user/confirm', {})
  const changeId = pathOf(done.location).split('/').at(-1) ?? ''
  await waitFor('the worker is waiting on GEPS', () => geps.faults.hangNext === 0, 20_000)

  first.child.kill('SIGKILL')
  await first.stop()
  expect(geps.received.size).toBe(0)

  await world.start()
  await waitFor('GEPS took the change', () => geps.received.size > 0, 90_000)
  const { sql } = world
  await waitFor(
    'the change shows 連携完了',
    async () =>
      (await sql`select sync_state from user_changes where id = ${changeId}`)[0]?.sync_state === 'done',
    20_000,
  )
  expect([...geps.received.keys()]).toEqual([changeId])
  const [row] = await sql`select sync_receipt from user_changes where id = ${changeId}`
  expect(row?.sync_receipt).toBe(geps.received.get(changeId)?.receiptNumber)
}, 150_000)
