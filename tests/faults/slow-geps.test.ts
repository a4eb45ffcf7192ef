/**
 * A slow GEPS that answers after the portal has given up: the portal cancels each request it gives
 * up on and waits longer than its own timeout before the next, so that GEPS never has two requests
 * for one change open at once; the Idempotency-Key then keeps the late ones from applying it twice.
 */
import { expect, it } from 'vitest'
import { hanakoOverHttp } from '../support/hanako-over-http.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

it('never has two requests for one change open at GEPS, and GEPS applies it once', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const { geps, gepsFront } = world
  const portal = await world.start()

  // GEPS takes 12 s to answer, past the portal's 10 s: it still takes each request it gets.
  gepsFront.front.answer = { lateMs: 12_000 }
  const id = await hanakoOverHttp(portal.url).updateTitle('部長')
  const requestsFor = () => gepsFront.front.requests.filter((r) => r.key === id)
  await waitFor('two tries reached GEPS', () => requestsFor().length >= 2, 90_000)
  gepsFront.front.answer = 'pass'
  const { sql } = world
  await waitFor(
    'the change is delivered',
    async () => (await sql`select sync_state from user_changes where id = ${id}`)[0]?.sync_state === 'done',
    120_000,
  )
  const tries = requestsFor()
  // Each try closed by the portal after its timeout, and the next one sent after that.
  for (const [i, t] of tries.entries()) {
    expect(t.closedAt, `try ${i}`).toBeDefined()
    const next = tries[i + 1]
    if (next) expect(next.openedAt - (t.closedAt ?? 0), `pause after try ${i}`).toBeGreaterThan(5_000)
  }
  expect(gepsFront.overlapping()).toEqual([])
  // GEPS got it several times and applied it once.
  expect(geps.received.get(id)?.requests).toBeGreaterThanOrEqual(2)
  expect([...geps.received.keys()]).toEqual([id])
}, 240_000)
