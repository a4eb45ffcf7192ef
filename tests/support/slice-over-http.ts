/** The agent's update over plain HTTP against a running server, as a browser without JavaScript does it. */
import { expect } from 'vitest'
import { formClient, pathOf } from './form-client.ts'

export const agentUpdateOverHttp = async (baseUrl: string, values: { title: string; email: string }) => {
  const c = formClient((path, init) => fetch(new URL(path, baseUrl), init), baseUrl)
  expect((await c.get('/sign-in')).text).toContain('入札 花子')
  const signedIn = await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
  expect(signedIn.status).toBe(303)
  expect((await c.get('/user/edit')).text).toContain('更新する利用者情報の入力画面(代表者以外の代理人等)')
  const prepared = await c.post('/user/edit', {
    title: values.title,
    postalCode: '100-0001',
    address: '東京都千代田区千代田1-1',
    phone: '03-1111-2222',
    fax: '',
    email: values.email,
    emailConfirmation: values.email,
  })
  expect(prepared.status).toBe(303)
  expect((await c.get('/user/confirm')).text).toContain(values.title)
  const done = await c.post('/user/confirm', {})
  expect(done.status).toBe(303)
  const completePath = pathOf(done.location)
  let page = ''
  for (let i = 0; i < 100 && !page.includes('連携完了'); i++) {
    await new Promise((r) => setTimeout(r, 100))
    page = (await c.get(completePath)).text
  }
  expect(page).toContain('利用者情報の更新完了画面')
  expect(page).toContain('連携完了')
  let mailbox = ''
  const arrived = () =>
    mailbox.includes(values.email) &&
    mailbox.includes('[重要]利用者更新完了通知') &&
    mailbox.includes('利用者情報登録完了のお知らせ')
  for (let i = 0; i < 150 && !arrived(); i++) {
    await new Promise((r) => setTimeout(r, 100))
    mailbox = await (await fetch(new URL('/dev/mailbox', baseUrl))).text()
  }
  expect(mailbox).toContain(values.email)
  expect(mailbox).toContain('[重要]利用者更新完了通知')
  expect(mailbox).toContain('【政府電子調達システム】利用者情報登録完了のお知らせ')
}
