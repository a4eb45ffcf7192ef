/**
 * Each card read in a flow re-authenticates the user, so the session gets a new id and CSRF token
 * (issue 7): F1's certificate add and removal, F2's reads, F3's and F4's. After the read, the
 * cookie and token from before it open nothing; the drafts and the user stay with the new id; an
 * htmx request is answered with a whole-page redirect, so that no part of the page keeps the old
 * token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import type { Portal } from '../../main.ts'
import { textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient, signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

type Client = ReturnType<typeof portalClient>

/** Reads a card on `path` (its GET first, for the challenge) and checks what the read changed. */
const readRotates = async (
  c: Client,
  path: string,
  card: Record<string, string>,
  next: string,
  options: { htmx?: boolean } = {},
) => {
  await c.get(path)
  const before = { sid: c.cookies.get('sid'), token: c.hiddenFields()._csrf }
  expect(before.sid).toBeDefined()
  const read = await c.post(path, card, options.htmx ? { 'hx-request': 'true' } : undefined)
  if (options.htmx) {
    expect(read.status, path).toBe(204)
    expect(read.headers.get('hx-redirect'), path).toBe(next)
  } else {
    expect(read.status, path).toBe(303)
    expect(read.location, path).toBe(next)
  }
  const after = c.cookies.get('sid')
  expect(after, path).toBeDefined()
  expect(after, path).not.toBe(before.sid)

  // The cookie from before the read opens nothing now.
  const stale = portalClient(portal)
  stale.cookies.set('sid', before.sid ?? '')
  const old = await stale.get('/menu')
  expect(old.status, path).toBe(303)
  expect(old.location, path).toBe('/sign-in?why=ended')

  // The new one does, with a new token; the token from before the read is refused.
  const page = await c.get(next)
  expect(page.status, path).toBe(200)
  const token = c.hiddenFields()._csrf
  expect(token, path).toBeDefined()
  expect(token, path).not.toBe(before.token)
  const replayed = await c.post('/sign-out', { _csrf: before.token ?? '' })
  expect(replayed.status, path).toBe(403)
  return page
}

describe('the session id changes at every card read in a flow', () => {
  it('F1: adding and removing a certificate, keeping what was typed', async () => {
    const c = await signedInClient(portal, 'taro-ic', '1234')
    const form = textFieldsOf((await c.get('/user/edit?fresh=1')).text)
    await c.post('/user/edit', { ...form, department: '経理部', action: 'add-certificate' })
    const added = await readRotates(
      c,
      '/user/certificates/add',
      { cardId: 'taro-ic-new', pin: '1234' },
      '/user/edit',
    )
    expect(added.text).toContain('value="経理部"')
    expect(added.text).toContain('（追加予定）')
    const registered = /value="remove-certificate:([0-9a-f-]{36})"/.exec(added.text)?.[1]
    await c.post('/user/edit', { ...form, department: '経理部', action: `remove-certificate:${registered}` })
    const removed = await readRotates(
      c,
      `/user/certificates/remove/${registered}`,
      { cardId: 'taro-ic', pin: '1234' },
      '/user/edit',
      { htmx: true },
    )
    expect(removed.text).toContain('value="経理部"')
    expect(removed.text).not.toContain(`remove-certificate:${registered}`)
  })

  it('F2: both reads of a private certificate’s renewal, before any sign-in', async () => {
    const c = portalClient(portal)
    await readRotates(
      c,
      '/renewal',
      { kind: 'private', cardId: 'saburo-ic-expired', pin: '5678' },
      '/renewal/new',
    )
    const confirm = await readRotates(
      c,
      '/renewal/new',
      { cardId: 'saburo-ic-new', pin: '5678' },
      '/renewal/confirm',
    )
    expect(confirm.text).toContain('電子証明書の更新確認画面')
  })

  it('F3 and F4: the mandate renewal’s read and the deletion’s read', async () => {
    await portal.database.db
      .updateTable('mandates')
      .set({ valid_to: new Date(Date.now() - 86_400_000) })
      .where('user_id', '=', DEMO_USER_IDS.jiro)
      .execute()
    const c = await signedInClient(portal, 'jiro-mynumber', '4321')
    const request = await readRotates(
      c,
      '/mandate/expired',
      { cardId: 'jiro-mynumber-signing', pin: 'ABC123' },
      '/mandate/renewal/request',
      { htmx: true },
    )
    expect(request.text).toContain('マイナンバーカード電子委任状取得依頼画面')
    const confirm = await readRotates(
      c,
      '/mandate/deletion',
      { cardId: 'jiro-mynumber', pin: '4321' },
      '/mandate/deletion/confirm',
    )
    expect(confirm.text).toContain('委任 次郎')
  })

  it('keeps the id when the read fails', async () => {
    const c = await signedInClient(portal, 'hanako-file', 'hanako-2026')
    await c.post('/user/edit', {
      ...textFieldsOf((await c.get('/user/edit')).text),
      action: 'add-certificate',
    })
    await c.get('/user/certificates/add')
    const sid = c.cookies.get('sid')
    const refused = await c.post('/user/certificates/add', { cardId: 'taro-ic-new', pin: '1234' })
    expect(refused.status).toBe(422)
    expect(c.cookies.get('sid')).toBe(sid)
    expect((await c.get('/menu')).status).toBe(200)
  })
})
