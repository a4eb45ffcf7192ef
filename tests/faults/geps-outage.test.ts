/**
 * GEPS away: first a deploy that answers 404, then nothing at all. No change ends in 連携失敗
 * (a 404 means the service or its configuration, not the change), GEPS is not hammered by the
 * backlog while it is away (one probe each interval), and once it answers again every change is
 * delivered within seconds, not after the backoff its job was waiting out; each applied once.
 * The portal runs as its own process on a fresh PostgreSQL database, with its production retry
 * rules; GEPS is the simulator behind a faulty front (tests/support/faulty-geps.ts).
 */
import { expect, it } from 'vitest'
import { hanakoOverHttp } from '../support/hanako-over-http.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

it('waits out a 404 deploy and an outage without 連携失敗 or hammering, and delivers within seconds after', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const { geps, gepsFront } = world
  const portal = await world.start()
  const { sql } = world
  const states = async () =>
    (await sql`select id, sync_state from user_changes`) as { id: string; sync_state: string }[]

  // A deploy: GEPS answers 404 while 12 changes are made, then does not answer at all.
  gepsFront.front.answer = 404
  const hanako = hanakoOverHttp(portal.url)
  const ids: string[] = []
  for (let i = 0; i < 12; i++) ids.push(await hanako.updateTitle(`部長${i}`))
  await sleep(10_000)
  gepsFront.front.answer = 503
  const probeSeconds = 5
  const awayMs = 35_000
  await sleep(awayMs - 10_000)

  expect(
    (await states()).map((r) => r.sync_state).filter((s) => s !== 'waiting' && s !== 'retrying'),
  ).toEqual([])
  // Three failures in a row close the gate; after them, one probe each interval.
  const whileAway = gepsFront.front.requests.length
  expect(whileAway, JSON.stringify(gepsFront.front.requests.map((r) => r.answer))).toBeLessThanOrEqual(
    3 + Math.ceil(awayMs / 1000 / probeSeconds) + 2,
  )
  expect(portal.output()).toContain('GEPS is unavailable (GEPS answered 404')

  // GEPS is back: every waiting change goes within seconds.
  gepsFront.front.answer = 'pass'
  const backAt = Date.now()
  await waitFor(
    'every change is delivered',
    async () => (await states()).every((r) => r.sync_state === 'done'),
    20_000,
  )
  const tookMs = Date.now() - backAt
  console.log(
    `geps-outage: ${ids.length} changes, GEPS away ${awayMs / 1000} s: ${whileAway} requests reached it meanwhile; all delivered ${tookMs} ms after it answered again`,
  )
  expect(tookMs).toBeLessThan(probeSeconds * 1000 + 10_000)
  expect([...geps.received.keys()].sort()).toEqual([...ids].sort())
  expect(gepsFront.overlapping()).toEqual([])
  expect(portal.output()).toMatch(/GEPS answers again after \d+ s/)
}, 120_000)
