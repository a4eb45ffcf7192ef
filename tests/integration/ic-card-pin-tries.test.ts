/** IC_CARD_PIN_TRIES reaches the running portal: its cards lock after that many wrong PINs. */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { configFromEnv, type Portal } from '../../main.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal({ icCardPinTries: configFromEnv({ IC_CARD_PIN_TRIES: '2' }).icCardPinTries })
})
afterAll(async () => portal?.close())

it('shows the configured tries before the first attempt, warns once, then locks', async () => {
  const c = portalClient(portal)
  expect((await c.get('/sign-in')).text).toContain(
    '調達 太郎（代表者・ICカード）<span class="tries">（PIN入力 残り2回）',
  )
  expect((await c.post('/sign-in', { cardId: 'taro-ic', pin: '0000' })).text).toContain(
    'あと1回間違えるとカードがロックされます。',
  )
  const locked = (await c.post('/sign-in', { cardId: 'taro-ic', pin: '0001' })).text
  expect(locked).toContain('このカードはPINの誤入力が続いたためロックされています。')
  expect(locked).toContain('（ロック中）')
  // The right PIN no longer opens it.
  const still = await c.post('/sign-in', { cardId: 'taro-ic', pin: '1234' })
  expect(still.status).toBe(422)
  expect(still.text).toContain('このカードはPINの誤入力が続いたためロックされています。')
})
