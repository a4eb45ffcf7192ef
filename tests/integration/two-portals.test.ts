/**
 * Two portal processes (web and workers each) on one PostgreSQL database under load: two users
 * update themselves at the same time, each request going to either process. Every change is
 * synced to GEPS once and mailed once, and the expiry reminder due is mailed once although both
 * workers scan for it.
 */
import { expect, it } from 'vitest'
import { CERTIFICATE_EXPIRY_SUBJECT, USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { formClient, textFieldsOf } from '../support/form-client.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

const UPDATES_EACH = 6

it('syncs and mails each change once, and each reminder once, with two webs and two workers', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const { geps, sink } = world
  // One after the other: the second finds the demo data the first created.
  const portals = [await world.start(), await world.start()]
  const urls = portals.map((p) => p.url)

  /** A client whose every request goes to the next process in turn (sessions live in the database). */
  let turn = 0
  const client = () =>
    formClient((path, init) => {
      const base = urls[turn++ % urls.length] as string
      // A form posted to this process comes from this process's page, as a browser's would.
      const headers = { ...(init.headers as Record<string, string>), origin: new URL(base).origin }
      return fetch(new URL(path, base), { ...init, headers })
    }, urls[0])
  const updates = async (cardId: string, pin: string) => {
    const c = client()
    await c.get('/sign-in')
    expect((await c.post('/sign-in', { cardId, pin })).status).toBe(303)
    const ids: string[] = []
    for (let i = 0; i < UPDATES_EACH; i++) {
      const page = (await c.get('/user/edit')).text
      expect(
        (await c.post('/user/edit', { ...textFieldsOf(page), title: `係長${i}`, action: 'confirm' })).status,
      ).toBe(303)
      await c.get('/user/confirm')
      const done = await c.post('/user/confirm', {})
      expect(done.status, done.text.slice(0, 300)).toBe(303)
      ids.push(done.location?.split('/').at(-1) ?? '')
    }
    return ids
  }
  const made = (await Promise.all([updates('hanako-file', 'hanako-2026'), updates('taro-ic', '1234')])).flat()
  expect(new Set(made).size).toBe(2 * UPDATES_EACH)

  const { sql } = world
  await waitFor(
    'every change is delivered',
    async () =>
      (await sql`select count(*)::int as n from user_changes where sync_state = 'done'`)[0]?.n ===
      made.length,
    60_000,
  )
  expect([...geps.received.keys()].sort()).toEqual([...made].sort())
  expect([...geps.received.values()].every((r) => r.requests === 1)).toBe(true)
  const updatedMails = () => sink.mails.filter((m) => m.subject === USER_UPDATED_SUBJECT)
  await waitFor('every mail arrived', () => updatedMails().length >= made.length, 30_000)
  await new Promise((r) => setTimeout(r, 1_000)) // a second copy would have come by now
  expect(updatedMails()).toHaveLength(made.length)
  expect(new Set(updatedMails().map((m) => m.messageId)).size).toBe(made.length)
  // Both workers scanned for expiry reminders when they started: 入札 花子's came once.
  await waitFor(
    'the reminder arrived',
    () => sink.mails.some((m) => m.subject === CERTIFICATE_EXPIRY_SUBJECT),
    20_000,
  )
  expect(sink.mails.filter((m) => m.subject === CERTIFICATE_EXPIRY_SUBJECT)).toHaveLength(1)
}, 150_000)
