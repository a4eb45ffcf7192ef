/** お知らせ and レコメンド on the menu: each user sees their own, unread ones marked; reading one marks it read. */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Portal } from '../../main.ts'
import { startTestPortal } from '../support/portal.ts'
import { signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

it('shows a user their notices and recommendations, marks one read when opened, and shows no one else’s', async () => {
  const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
  const menu = (await hanako.get('/menu')).text
  expect(menu).toContain('<h2>お知らせ（未読 1件）</h2>')
  expect(menu).toContain('<h2>レコメンド（未読 1件）</h2>')
  const link = menu.match(
    /<a href="(\/notices\/[0-9a-f-]+)"><strong class="unread">未読<\/strong> 調達ポータルの定期メンテナンスのお知らせ<\/a>/,
  )
  if (!link?.[1]) throw new Error('no unread notice link on the menu')
  const opened = await hanako.get(link[1])
  expect(opened.status).toBe(200)
  expect(opened.text).toContain('定期メンテナンスのため')
  expect((await hanako.get('/menu')).text).toContain('<h2>お知らせ</h2>')

  const taro = await signedInClient(portal, 'taro-ic', '1234')
  expect((await taro.get(link[1])).status).toBe(404)
  expect((await taro.get('/notices/not-an-id')).status).toBe(404)
})
