/**
 * A message that sends the user to 利用者登録 links to the registration page when REGISTRATION_URL
 * is set, and says it in plain text when it is not; the setting takes http and https only, since
 * it becomes a link.
 */
import { afterAll, expect, it } from 'vitest'
import { configFromEnv, type Portal } from '../../main.ts'
import { contactInput } from '../support/contact-input.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient, signedInClient } from '../support/portal-client.ts'

const REGISTRATION = 'https://www.p-portal.go.jp/pps-web-biz/registration?from=maintenance&x=1'
const portals: (Portal & { close(): Promise<void> })[] = []
afterAll(async () => Promise.all(portals.map((p) => p.close())))

/** Sign-in with a card registered to no one: the message that sends a new agent to 利用者登録. */
const unregisteredSignIn = async (portal: Portal) => {
  const c = portalClient(portal)
  await c.get('/sign-in')
  const refused = await c.post('/sign-in', { cardId: 'saburo-ic-new', pin: '5678' })
  expect(refused.status).toBe(422)
  return refused.text
}

it('links 利用者登録 to the registration page when it is set, and leaves it plain text when not', async () => {
  const linked = await startTestPortal({ registrationUrl: REGISTRATION })
  portals.push(linked)
  const plain = await startTestPortal()
  portals.push(plain)
  expect(await unregisteredSignIn(linked)).toContain(
    `新しい代理人の方は、<a href="${REGISTRATION.replaceAll('&', '&amp;')}">利用者登録</a>を行ってください。`,
  )
  // The same words typed into a field stay as typed: only the page's own text is linked.
  const hanako = await signedInClient(linked, 'hanako-file', 'hanako-2026')
  await hanako.get('/user/edit')
  const typed = await hanako.post('/user/edit', {
    ...contactInput({ address: '利用者登録を行ってください' }),
    phone: 'でんわ',
  })
  expect(typed.status).toBe(422)
  expect(typed.text).toContain('value="利用者登録を行ってください"')
  await hanako.post('/user/edit', {
    ...contactInput({ address: '利用者登録を行ってください' }),
    action: 'confirm',
  })
  const confirm = (await hanako.get('/user/confirm')).text
  expect(confirm).toContain('<td>利用者登録を行ってください</td>')
  expect(confirm).not.toContain('>利用者登録</a>')
  const text = await unregisteredSignIn(plain)
  expect(text).toContain('新しい代理人の方は、利用者登録を行ってください。')
  expect(text).not.toContain('>利用者登録</a>')
})

it('takes an http or https URL only', () => {
  expect(configFromEnv({ REGISTRATION_URL: REGISTRATION }).registrationUrl).toBe(REGISTRATION)
  expect(() => configFromEnv({ REGISTRATION_URL: 'javascript:alert(1)' })).toThrow(/REGISTRATION_URL/)
})
