/**
 * Adding and deleting certificates on 利用者情報更新 (F1), through app.request(): [追加] reads a card
 * on 電子証明書の種別選択画面 and returns to the input screen with the certificate staged and
 * nothing typed lost; [削除] of a registered certificate reads a card of the user's first, then
 * stages the removal; both are written only at [更新].
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import type { Portal } from '../../main.ts'
import { pathOf, textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

/** The ids of a user's registered certificates. */
const certificateIdsOf = async (userId: string) =>
  (
    await portal.database.db.selectFrom('certificates').select('id').where('user_id', '=', userId).execute()
  ).map((r) => r.id)

/** Signs in, and says how the sign-in went (some cards here are meant to be refused). */
const signedIn = async (cardId: string, pin: string) => {
  const c = portalClient(portal)
  await c.get('/sign-in')
  const res = await c.post('/sign-in', { cardId, pin })
  return { c, status: res.status, text: res.text }
}

describe('the representative’s certificates', () => {
  it('adds a card’s certificate and deletes the old one, losing nothing typed, registering them at [更新]', async () => {
    const { c } = await signedIn('taro-ic', '1234')
    const page = (await c.get('/user/edit?fresh=1')).text
    const oldId = /value="remove-certificate:([0-9a-f-]{36})"/.exec(page)?.[1]
    expect(oldId).toBeDefined()
    const typed = { ...textFieldsOf(page), department: '総務部' }

    const toRead = await c.post('/user/edit', { ...typed, action: 'add-certificate' })
    expect(toRead.status).toBe(303)
    expect(toRead.location).toBe('/user/certificates/add')
    const choice = (await c.get('/user/certificates/add')).text
    expect(choice).toContain('<h1>電子証明書の種別選択画面</h1>')
    // The manual's 電子証明書種別, and what may be added said in the open before any read.
    expect(choice).toContain('<legend>電子証明書種別</legend>')
    expect(choice).toContain('value="private" checked> <label for="kind-private">民間の電子証明書')
    expect(choice).toContain('<label for="kind-my-number">マイナンバーカード</label>')
    expect(choice).toContain('マイナンバーカードの電子証明書は、ここでは追加できません。')
    // マイナンバーカード chosen (his own, as a representative might): refused without reading it,
    // so no PIN try is spent.
    const wrongTries = async () =>
      (
        await sql<{
          n: number
        }>`select wrong_tries as n from development.virtual_cards where id = 'jiro-mynumber'`.execute(
          portal.database.db,
        )
      ).rows[0]?.n
    const tries = await wrongTries()
    expect(tries).toBe(0)
    const myNumber = await c.post('/user/certificates/add', {
      kind: 'my-number',
      cardId: 'jiro-mynumber',
      pin: '0000',
    })
    expect(myNumber.status).toBe(422)
    expect(myNumber.text).toContain('id="error-summary"')
    expect(myNumber.text).toContain('電子委任状を受けた代理人として利用者登録を行ってください。')
    expect(myNumber.text).toContain('value="my-number" checked')
    expect(await wrongTries()).toBe(tries)

    const someoneElses = await c.post('/user/certificates/add', { cardId: 'saburo-ic-new', pin: '5678' })
    expect(someoneElses.status).toBe(422)
    expect(someoneElses.text).toContain(
      'この電子証明書の名義（更新 三郎）が、利用者（調達 太郎）と異なります。',
    )
    await c.get('/user/certificates/add')
    const expired = await c.post('/user/certificates/add', { cardId: 'saburo-ic-expired', pin: '5678' })
    expect(expired.text).toContain('電子証明書の有効期限が切れています')
    await c.get('/user/certificates/add')
    const registered = await c.post('/user/certificates/add', { cardId: 'taro-ic', pin: '1234' })
    expect(registered.text).toContain('この電子証明書はすでに調達ポータルに登録されています。')
    await c.get('/user/certificates/add')
    const wrongPin = await c.post('/user/certificates/add', { cardId: 'taro-ic-new', pin: '9999' })
    expect(wrongPin.text).toContain('PINが正しくありません。あと4回')

    await c.get('/user/certificates/add')
    const read = await c.post('/user/certificates/add', { cardId: 'taro-ic-new', pin: '1234' })
    expect(read.status).toBe(303)
    expect(read.location).toBe('/user/edit')
    const back = (await c.get('/user/edit')).text
    expect(back).toContain('value="総務部"') // typed before [追加]: kept
    expect(back).toContain('（追加予定）')
    const newId = [...back.matchAll(/value="remove-certificate:([0-9a-f-]{36})"/g)]
      .map((m) => m[1])
      .find((id) => id !== oldId)

    // [削除] of a registered certificate: a card read first, whatever the session's age.
    const toRemove = await c.post('/user/edit', { ...typed, action: `remove-certificate:${oldId}` })
    expect(toRemove.status).toBe(303)
    expect(toRemove.location).toBe(`/user/certificates/remove/${oldId}`)
    expect((await c.get('/user/edit')).text).toContain(`remove-certificate:${oldId}`) // not staged yet
    const readPage = (await c.get(`/user/certificates/remove/${oldId}`)).text
    expect(readPage).toContain('<h1>削除する電子証明書の本人確認画面</h1>')
    expect(readPage).toContain('<caption>削除する電子証明書</caption>')
    // Someone else's card, and the card staged but not yet registered, prove nothing.
    for (const card of [
      { cardId: 'saburo-ic-new', pin: '5678' },
      { cardId: 'taro-ic-new', pin: '1234' },
    ]) {
      const refused = await c.post(`/user/certificates/remove/${oldId}`, card)
      expect(refused.status, card.cardId).toBe(422)
      expect(refused.text, card.cardId).toContain(
        '読み込んだ電子証明書は、この利用者に登録されている電子証明書ではありません。',
      )
    }
    const wrongRead = await c.post(`/user/certificates/remove/${oldId}`, { cardId: 'taro-ic', pin: '9999' })
    expect(wrongRead.text).toContain('PINが正しくありません。')
    const removalRead = await c.post(`/user/certificates/remove/${oldId}`, { cardId: 'taro-ic', pin: '1234' })
    expect(removalRead.status).toBe(303)
    expect(removalRead.location).toBe('/user/edit')
    const staged = (await c.get('/user/edit')).text
    expect(staged).toContain('value="総務部"') // typed before [削除]: kept
    expect(staged).not.toContain(`remove-certificate:${oldId}`)
    const last = await c.post('/user/edit', { ...typed, action: `remove-certificate:${newId}` })
    expect(last.status).toBe(422)
    expect(last.text).toContain('最後の電子証明書は削除できません。')

    // Nothing is registered yet: the old card still signs in.
    expect((await signedIn('taro-ic', '1234')).status).toBe(303)

    expect((await c.post('/user/edit', { ...typed, action: 'confirm' })).status).toBe(303)
    const confirm = (await c.get('/user/confirm')).text
    expect(confirm).toContain('<caption>追加する電子証明書</caption>')
    expect(confirm).toContain('<caption>削除する電子証明書</caption>')
    expect(confirm).not.toContain('remove-certificate:')
    expect(pathOf((await c.post('/user/confirm', {})).location)).toMatch(/^\/user\/complete\//)

    const oldCard = await signedIn('taro-ic', '1234')
    expect(oldCard.status).toBe(422)
    expect(oldCard.text).toContain('この電子証明書は調達ポータルに登録されていません。')
    expect((await signedIn('taro-ic-new', '1234')).status).toBe(303)

    const sink = portal.mailSink
    if (!sink) throw new Error('the test portal runs a mail sink')
    const mail = await sink.waitFor(
      (m) => m.subject === USER_UPDATED_SUBJECT && m.text.includes('電子証明書（追加）'),
    )
    expect(mail.text).toMatch(/電子証明書（追加）: シリアル番号 [0-9a-f]+、発行者 CN=テスト民間認証局/)
    expect(mail.text).toContain('電子証明書（削除）: シリアル番号')
    expect(mail.text).toContain('部署名: （なし） → 総務部')
  })
})

describe('agents’ certificates', () => {
  it('lets an agent delete a certificate, but not their last one', async () => {
    const { c } = await signedIn('hanako-file', 'hanako-2026')
    const page = (await c.get('/user/edit?fresh=1')).text
    // 入札 花子 has two: her file, and a revoked one.
    const ids = [...page.matchAll(/value="remove-certificate:([0-9a-f-]{36})"/g)].map((m) => m[1])
    expect(ids).toHaveLength(2)
    const first = await c.post('/user/edit', {
      ...textFieldsOf(page),
      action: `remove-certificate:${ids[0]}`,
    })
    expect(first.status).toBe(303)
    await c.get(first.location ?? '')
    const read = await c.post(first.location ?? '', { cardId: 'hanako-file', pin: 'hanako-2026' })
    expect(read.location).toBe('/user/edit')
    // A [削除] of a certificate not (or no longer) shown: said beside 電子証明書情報, nothing typed lost.
    await c.get('/user/edit') // the read gave the session a new token
    const stale = await c.post('/user/edit', {
      ...textFieldsOf(page),
      title: '主任',
      action: `remove-certificate:${crypto.randomUUID()}`,
    })
    expect(stale.status).toBe(422)
    expect(stale.text).toContain('この電子証明書は見つかりませんでした。')
    expect(stale.text).toContain('href="#field-certificates"')
    expect(stale.text).toContain('value="主任"')
    // Another user's certificate is not hers to remove, read or not.
    for (const id of await certificateIdsOf(DEMO_USER_IDS.taro)) {
      expect((await c.get(`/user/certificates/remove/${id}`)).status).toBe(404)
      const posted = await c.post(`/user/certificates/remove/${id}`, {
        cardId: 'hanako-file',
        pin: 'hanako-2026',
      })
      expect(posted.status).toBe(404)
    }
    const refused = await c.post('/user/edit', {
      ...textFieldsOf(page),
      action: `remove-certificate:${ids[1]}`,
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('最後の電子証明書は削除できません。')
  })

  it('leaves a My Number agent’s certificates to F2: no buttons, and a read by hand is refused', async () => {
    // With a mandate in force, so that the expired-mandate screen does not stand in the way.
    await portal.database.db
      .updateTable('mandates')
      .set({ valid_to: new Date(Date.now() + 86_400_000) })
      .where('user_id', '=', DEMO_USER_IDS.jiro)
      .execute()
    const { c } = await signedIn('jiro-mynumber', '4321')
    const page = (await c.get('/user/edit?fresh=1')).text
    expect(page).not.toContain('remove-certificate:')
    expect(page).not.toContain('value="add-certificate"')
    expect(page).toContain('電子証明書更新の手続きで更新します')
    await c.get('/user/certificates/add')
    const refused = await c.post('/user/certificates/add', { cardId: 'saburo-ic-new', pin: '5678' })
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('ここでは追加も削除もできません')
    const [his] = await certificateIdsOf(DEMO_USER_IDS.jiro)
    const removal = await c.get(`/user/certificates/remove/${his}`)
    expect(removal.status).toBe(403)
    expect(removal.text).toContain('ここでは追加も削除もできません')
  })
})

describe('one browser, two users', () => {
  it('gives the user who signs in next nothing of what the one before had typed or staged', async () => {
    const { c } = await signedIn('taro-ic', '1234')
    const page = (await c.get('/user/edit?fresh=1')).text
    await c.post('/user/edit', {
      ...textFieldsOf(page),
      department: '太郎の下書き',
      action: 'add-certificate',
    })
    await c.get('/user/certificates/add') // issues a challenge for the session
    // A sign-in by someone else in the same browser, over the live session.
    const hanako = await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
    expect(hanako.status).toBe(303)
    const hers = (await c.get('/user/edit')).text
    expect(hers).toContain('入札 花子')
    expect(hers).not.toContain('太郎の下書き')
    expect(hers).not.toContain('追加予定')
  })
})

describe('what was typed, and what was confirmed', () => {
  it('keeps text typed after a confirm when [追加] leads to the card read, and forgets both on starting again', async () => {
    const { c } = await signedIn('hanako-file', 'hanako-2026')
    const page = (await c.get('/user/edit?fresh=1')).text
    const form = textFieldsOf(page)
    expect((await c.post('/user/edit', { ...form, title: '部長', action: 'confirm' })).status).toBe(303)
    const back = (await c.get('/user/edit')).text
    expect(back).toContain('value="部長"')
    expect((await c.post('/user/edit', { ...form, title: '専務', action: 'add-certificate' })).status).toBe(
      303,
    )
    const returned = (await c.get('/user/edit')).text
    expect(returned).toContain('value="専務"')
    expect(returned).not.toContain('value="部長"')

    await c.get('/user/edit?fresh=1')
    const again = (await c.get('/user/edit')).text
    expect(again).not.toContain('value="専務"')
    expect(again).not.toContain('まだ更新していない入力内容')
  })

  it('keeps a qualification typed but not yet added when [追加] of 電子証明書情報 leads to the card read', async () => {
    const { c } = await signedIn('taro-ic-new', '1234')
    const page = (await c.get('/user/edit?fresh=1')).text
    const away = await c.post('/user/edit', {
      ...textFieldsOf(page),
      qualificationSupplierCode: '0000099999',
      qualificationKind: '物品の販売',
      action: 'add-certificate',
    })
    expect(away.status).toBe(303)
    const returned = (await c.get('/user/edit')).text
    expect(returned).toContain('value="0000099999"')
    expect(returned).toMatch(/<option value="物品の販売" selected>/)
    // Once the page posts its own values, those win over the kept copy.
    const posted = (
      await c.post('/user/edit', {
        ...textFieldsOf(returned),
        qualificationSupplierCode: '',
        action: 'add-qualification',
      })
    ).text
    expect(posted).not.toContain('value="0000099999"')
  })
})
