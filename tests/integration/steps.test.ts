/**
 * Every multi-screen flow shows where the user stands: an ordered list of its steps, the current
 * one marked aria-current="step", in the full page, in an htmx fragment and in the simplified view.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Portal } from '../../main.ts'
import { textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient, signedInClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

/** The step indicator of a page: its labels, and the one marked current. */
const stepsOf = (page: string) => {
  const list = /<ol class="steps" aria-label="手続きの流れ">([\s\S]*?)<\/ol>/.exec(page)?.[1]
  if (!list) return undefined
  const items = [...list.matchAll(/<li([^>]*)>([^<]*)<\/li>/g)]
  return {
    labels: items.map((m) => m[2]),
    current: items.filter((m) => m[1]?.includes('aria-current="step"')).map((m) => m[2]),
  }
}

const F1 = ['入力', '確認', '完了']
const F2 = ['種別選択', '読込', '確認', '完了']
const F3 = ['失効', '取得依頼', '確認', '完了']
const F4 = ['読込', '確認', '完了']

it('F1: 入力 → 確認 → 完了, alike in the full page, a fragment and the simplified view', async () => {
  const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
  const input = (await hanako.get('/user/edit')).text
  expect(stepsOf(input)).toEqual({ labels: F1, current: ['入力'] })
  // A refused submit is still the input step.
  const refused = await hanako.post('/user/edit', { ...textFieldsOf(input), phone: 'x', action: 'confirm' })
  expect(stepsOf(refused.text)).toEqual({ labels: F1, current: ['入力'] })
  await hanako.post('/user/edit', { ...textFieldsOf(input), title: '部長', action: 'confirm' })
  expect(stepsOf((await hanako.get('/user/confirm')).text)).toEqual({ labels: F1, current: ['確認'] })
  expect(stepsOf((await hanako.get('/user/confirm', { 'hx-request': 'true' })).text)?.current).toEqual([
    '確認',
  ])
  const simple = (await hanako.get('/user/confirm?view=simple')).text
  expect(simple).not.toContain('<script')
  expect(stepsOf(simple)).toEqual({ labels: F1, current: ['確認'] })
  await hanako.get('/user/confirm?view=full')
  const done = await hanako.post('/user/confirm', {})
  expect(stepsOf((await hanako.get(new URL(done.location ?? '', 'http://x').pathname)).text)).toEqual({
    labels: F1,
    current: ['完了'],
  })
  // The menu is no step of anything.
  expect(stepsOf((await hanako.get('/menu')).text)).toBeUndefined()
})

it('F2: 種別選択 → 読込 → 確認 → 完了', async () => {
  const anonymous = portalClient(portal)
  expect(stepsOf((await anonymous.get('/renewal')).text)).toEqual({ labels: F2, current: ['種別選択'] })
  await anonymous.post('/renewal', { kind: 'private', cardId: 'saburo-ic-expired', pin: '5678' })
  expect(stepsOf((await anonymous.get('/renewal/new')).text)).toEqual({ labels: F2, current: ['読込'] })
  await anonymous.post('/renewal/new', { cardId: 'saburo-ic-new', pin: '5678' })
  expect(stepsOf((await anonymous.get('/renewal/confirm')).text)).toEqual({ labels: F2, current: ['確認'] })
  const done = await anonymous.post('/renewal/confirm', {})
  const complete = (await anonymous.get(new URL(done.location ?? '', 'http://x').pathname)).text
  expect(complete).toContain('<h1>電子証明書更新完了画面</h1>')
  expect(stepsOf(complete)).toEqual({ labels: F2, current: ['完了'] })
})

it('F3: 失効 → 取得依頼 → 確認 → 完了, and F4: 読込 → 確認 → 完了', async () => {
  const jiro = await signedInClient(portal, 'jiro-mynumber', '4321')
  expect(stepsOf((await jiro.get('/mandate/expired')).text)).toEqual({ labels: F3, current: ['失効'] })
  await jiro.post('/mandate/expired', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
  expect(stepsOf((await jiro.get('/mandate/renewal/request')).text)).toEqual({
    labels: F3,
    current: ['取得依頼'],
  })
  await jiro.post('/mandate/renewal/request', {
    providerId: 'sample-mandates',
    corporateNumber: '7123456789012',
    referenceNumber: 'POA-2026-0001',
  })
  expect(stepsOf((await jiro.get('/mandate/renewal/confirm')).text)).toEqual({
    labels: F3,
    current: ['確認'],
  })

  expect(stepsOf((await jiro.get('/mandate/deletion')).text)).toEqual({ labels: F4, current: ['読込'] })
  await jiro.post('/mandate/deletion', { cardId: 'jiro-mynumber', pin: '4321' })
  expect(stepsOf((await jiro.get('/mandate/deletion/confirm')).text)).toEqual({
    labels: F4,
    current: ['確認'],
  })
})
