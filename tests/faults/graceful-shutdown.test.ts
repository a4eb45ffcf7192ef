/**
 * SIGTERM under load, as a deploy sends it: readiness fails at once, requests keep being served
 * through the grace, then new connections are refused while those in flight finish; the GEPS
 * deliveries in flight finish, and a process started after takes the rest: no request is reset,
 * no delivery is lost or sent twice.
 */
import { request } from 'node:http'
import { expect, it } from 'vitest'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { hanakoOverHttp } from '../support/hanako-over-http.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

/** GET on a connection of its own: the status, or the error's code (ECONNREFUSED, ECONNRESET...). */
const getOnce = (url: string) =>
  new Promise<string>((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(String(res.statusCode)))
      res.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message))
    })
    req.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message))
    req.end()
  })

/** POSTs `body` in two halves, the second at `endAt`: the status, or the error's code. */
const postSlowly = (url: string, body: string, endAt: number) =>
  new Promise<string>((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          origin: new URL(url).origin,
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(String(res.statusCode)))
      },
    )
    req.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message))
    const half = Math.floor(body.length / 2)
    req.write(body.slice(0, half))
    setTimeout(() => req.end(body.slice(half)), endAt - Date.now())
  })

it('stops on SIGTERM without resetting a request or losing or doubling a delivery', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const { geps, gepsFront, sql, sink } = world
  const portal = await world.start({ SHUTDOWN_GRACE_SECONDS: '2', SHUTDOWN_TIMEOUT_SECONDS: '20' })

  const readyAtStart = await fetch(`${portal.url}/health/ready`)
  expect(readyAtStart.status).toBe(200)
  expect(await readyAtStart.json()).toEqual({
    ready: true,
    checks: { process: 'ok', database: 'ok', migrations: 'ok', workers: 'ok' },
  })
  expect((await fetch(`${portal.url}/health/live`)).status).toBe(200)

  // GEPS takes 3 s for each change: deliveries are in flight when the signal comes.
  gepsFront.front.answer = { lateMs: 3_000 }
  const hanako = hanakoOverHttp(portal.url)
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push(await hanako.updateTitle(`部長${i}`))
  await waitFor('a delivery is in flight', () => gepsFront.front.requests.length >= 1, 20_000)

  // Load, as a proxy sends it: three clients, each a request after another on a connection of its
  // own, while a health check every 250 ms says the process is ready; then no new request.
  const outcomes: { at: number; outcome: string }[] = []
  let ready = true
  const healthCheck = (async () => {
    while (ready) {
      await new Promise((r) => setTimeout(r, 250))
      ready = (await getOnce(`${portal.url}/health/ready`)) === '200'
    }
  })()
  const client = async () => {
    while (ready) {
      outcomes.push({ at: Date.now(), outcome: await getOnce(`${portal.url}/health/live`) })
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  const load = Promise.all([client(), client(), client()])
  await new Promise((r) => setTimeout(r, 300))

  const signalledAt = Date.now()
  portal.child.kill('SIGTERM')
  await healthCheck
  const notReady = await fetch(`${portal.url}/health/ready`)
  expect(notReady.status).toBe(503)
  expect(await notReady.json()).toMatchObject({ ready: false, checks: { process: 'stopping' } })
  await load
  // Still served through the grace, then new connections are refused.
  expect((await fetch(`${portal.url}/health/live`)).status).toBe(200)
  // A form posted slowly, begun in the grace and ended after it: it is answered, not cut.
  await new Promise((r) => setTimeout(r, signalledAt + 1_500 - Date.now()))
  const slowPost = postSlowly(
    `${portal.url}/sign-in`,
    'cardId=hanako-file&pin=hanako-2026',
    signalledAt + 2_800,
  )
  await new Promise((r) => setTimeout(r, signalledAt + 2_500 - Date.now()))
  expect(await getOnce(`${portal.url}/health/live`)).toBe('ECONNREFUSED')
  expect(await slowPost).toMatch(/^\d{3}$/)
  expect(await portal.stop()).toBe(0)
  // Every request sent before readiness failed was answered, none reset.
  expect(outcomes.filter((o) => o.at > signalledAt).length).toBeGreaterThan(0)
  expect(outcomes.filter((o) => o.outcome !== '200')).toEqual([])

  // The next process delivers what was left: each change reaches GEPS once, and is mailed once.
  gepsFront.front.answer = 'pass'
  await world.start()
  await waitFor(
    'every change is delivered',
    async () =>
      ((await sql`select sync_state from user_changes`) as { sync_state: string }[]).every(
        (r) => r.sync_state === 'done',
      ),
    60_000,
  )
  for (const id of ids)
    expect(
      gepsFront.front.requests.filter((r) => r.key === id),
      id,
    ).toHaveLength(1)
  expect([...geps.received.keys()].sort()).toEqual([...ids].sort())
  await waitFor(
    'every mail arrived',
    () => sink.mails.filter((m) => m.subject === USER_UPDATED_SUBJECT).length >= 3,
    30_000,
  )
  expect(new Set(sink.mails.map((m) => m.messageId)).size).toBe(sink.mails.length)
}, 180_000)
