/**
 * PostgreSQL restarted under load: the portal (its own process, web and workers) answers 503
 * while the database is away, never 500, and reconnects by itself; every change a user made is
 * delivered to GEPS once and mailed once. The database is a private server of this test, so that
 * restarting it disturbs no other test.
 */
import postgres from 'postgres'
import { expect, it } from 'vitest'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { formClient, pathOf } from '../support/form-client.ts'
import { startPortalWorld, stepsAfterAll } from '../support/portal-processes.ts'
import { startPrivatePostgres } from '../support/private-postgres.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

it('answers 503 while PostgreSQL restarts, reconnects, and delivers every change once', async () => {
  const pg = await startPrivatePostgres()
  cleanUp(pg.stop)
  const world = await startPortalWorld(pg.url)
  cleanUp(world.stop)
  const { geps, sink } = world
  const portal = await world.start()

  const c = formClient((path, init) => fetch(new URL(path, portal.url), init), portal.url)
  const statuses: number[] = []
  const step = async (r: Promise<{ status: number; location?: string; text: string }>) => {
    const answer = await r
    statuses.push(answer.status)
    if (answer.status === 503) throw new Unavailable()
    return answer
  }
  class Unavailable extends Error {}
  const email = 'hanako@sample-shoji.example.jp'
  const fields = {
    postalCode: '100-0001',
    address: '東京都千代田区千代田1-1',
    phone: '03-1111-2222',
    fax: '',
  }
  /** One F1 update of her title, from sign-in if need be; undefined when the database was away. */
  const update = async (title: string): Promise<string | undefined> => {
    try {
      const edit = await step(c.get('/user/edit'))
      if (edit.status === 303) {
        await step(c.get('/sign-in'))
        await step(c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' }))
        await step(c.get('/user/edit'))
      }
      await step(c.post('/user/edit', { ...fields, title, email, emailConfirmation: email }))
      await step(c.get('/user/confirm'))
      const done = await step(c.post('/user/confirm', {}))
      return pathOf(done.location).split('/').at(-1)
    } catch (e) {
      if (e instanceof Unavailable) return undefined
      throw e
    }
  }

  const completed: string[] = []
  let restarted = false
  let sawUnavailable = false
  for (let i = 0; completed.length < 8 && i < 200; i++) {
    if (completed.length === 3 && !restarted) {
      restarted = true
      const restart = pg.restart()
      // Requests while it is away: each answered 503, none 500.
      for (let j = 0; j < 20; j++) {
        const answer = await c.get('/menu')
        statuses.push(answer.status)
        if (answer.status === 503) {
          sawUnavailable = true
          expect(answer.text).toContain('一時的にご利用いただけません')
        }
      }
      await restart
    }
    const id = await update(`部長${i}`)
    if (id) completed.push(id)
    else await new Promise((r) => setTimeout(r, 200))
  }
  expect(statuses).not.toContain(500)
  expect(completed).toHaveLength(8)
  expect(restarted).toBe(true)
  if (!sawUnavailable) console.warn('the restart was faster than every request made during it')

  // Every change committed (those whose answer the user saw, and any whose answer was lost) is
  // delivered to GEPS once and mailed once.
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  cleanUp(() => sql.end({ timeout: 1 }))
  const changes = async () =>
    (await sql`select id, sync_state from user_changes`) as { id: string; sync_state: string }[]
  await waitFor(
    'every change is delivered',
    async () => (await changes()).every((r) => r.sync_state === 'done'),
    60_000,
  )
  const ids = (await changes()).map((r) => r.id).sort()
  expect(ids).toEqual(expect.arrayContaining(completed))
  expect([...geps.received.keys()].sort()).toEqual(ids)
  await waitFor(
    'every mail arrived',
    () => sink.mails.filter((m) => m.subject === USER_UPDATED_SUBJECT).length >= ids.length,
    30_000,
  )
  const messageIds = sink.mails.filter((m) => m.subject === USER_UPDATED_SUBJECT).map((m) => m.messageId)
  expect(new Set(messageIds).size).toBe(ids.length)
  expect(messageIds).toHaveLength(ids.length)
}, 150_000)
