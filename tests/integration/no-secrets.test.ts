/**
 * No PIN and no private key is written to the database, the logs or a mail. Sign-ins with right
 * and wrong PINs, an update and a certificate renewal run, then everything stored is searched.
 * The one table left out is virtual_cards: the simulated cards themselves (their test keys and
 * PIN hashes), standing in for the chips that hold them on real cards.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import type { Portal } from '../../main.ts'
import { demoCardFile } from '../support/demo-card-files.ts'
import { textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'
import { everythingStored } from '../support/stored-text.ts'

const logs: string[] = []
let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  // Each line whole, its fields too, as the JSON lines an operator's pipeline would get.
  portal = await startTestPortal({ log: (m, fields) => logs.push(JSON.stringify({ msg: m, ...fields })) })
})
afterAll(async () => portal?.close())

const RIGHT_PIN = 'hanako-2026'
const WRONG_PINS = ['Zq7-wrong-pin-one', 'Zq7-wrong-pin-two']
const WRONG_FILE_PASSWORD = 'Zq7-wrong-file-password'
/** 委任 次郎's signing PIN (SPEC §6), and a wrong one of the right form. */
const SIGNING_PIN = 'ABC123'
const WRONG_SIGNING_PIN = 'ZQ7WRONGSIGN'

it('writes no PIN and no private key to the database, the logs or a mail', async () => {
  const c = portalClient(portal)
  await c.get('/sign-in')
  for (const pin of WRONG_PINS) await c.post('/sign-in', { cardId: 'hanako-file', pin })
  expect((await c.post('/sign-in', { cardId: 'hanako-file', pin: RIGHT_PIN })).status).toBe(303)
  const page = (await c.get('/user/edit')).text
  await c.post('/user/edit', { ...textFieldsOf(page), title: '部長', action: 'confirm' })
  await c.get('/user/confirm')
  expect((await c.post('/user/confirm', {})).status).toBe(303)

  const renewal = portalClient(portal)
  await renewal.get('/renewal')
  await renewal.post('/renewal', { cardId: 'saburo-ic-expired', pin: '5678' })
  await renewal.get('/renewal/new')
  await renewal.post('/renewal/new', { cardId: 'saburo-ic-new', pin: '5678' })
  await renewal.get('/renewal/confirm')
  expect((await renewal.post('/renewal/confirm', {})).status).toBe(303)
  // F2 with a My Number card: the signing PIN, wrong and right, with the JPKI look-up.
  const myNumber = portalClient(portal)
  await myNumber.get('/renewal')
  const renewed = { kind: 'my-number', cardId: 'jiro-mynumber-renewed-signing', consent: 'yes' }
  expect((await myNumber.post('/renewal', { ...renewed, pin: WRONG_SIGNING_PIN })).status).toBe(422)
  expect((await myNumber.post('/renewal', { ...renewed, pin: SIGNING_PIN })).status).toBe(303)
  await myNumber.get('/renewal/confirm')
  expect((await myNumber.post('/renewal/confirm', {})).status).toBe(303)
  // A certificate file (.p12), opened by the server: its password and key must not stay either.
  const p12 = await demoCardFile(portal, 'hanako-file', RIGHT_PIN)
  const fileUser = portalClient(portal)
  await fileUser.get('/sign-in')
  expect((await fileUser.postMultipart('/sign-in/file', { p12, password: WRONG_FILE_PASSWORD })).status).toBe(
    422,
  )
  await fileUser.get('/sign-in')
  expect((await fileUser.postMultipart('/sign-in/file', { p12, password: RIGHT_PIN })).status).toBe(303)

  const sink = portal.mailSink
  if (!sink) throw new Error('the test portal runs a mail sink')
  await sink.waitFor((m) => m.subject === USER_UPDATED_SUBJECT)

  const { rows: keys } = await sql<{
    private_key: Uint8Array
  }>`select private_key from development.virtual_cards`.execute(portal.database.db)
  const keyForms = keys.flatMap(({ private_key }) => {
    const bytes = new Uint8Array(private_key)
    const base64 = btoa(String.fromCharCode(...bytes))
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
    // A distinctive stretch of each form: the key's own bytes, past the PKCS#8 header.
    return [base64.slice(40, 80), hex.slice(80, 160)]
  })
  const secrets = [RIGHT_PIN, ...WRONG_PINS, WRONG_FILE_PASSWORD, SIGNING_PIN, WRONG_SIGNING_PIN, ...keyForms]

  const stored = await everythingStored(portal.database.db, ['virtual_cards'])
  const mails = sink.mails.map((m) => `${m.subject}\n${m.text}`).join('\n')
  expect(stored.length).toBeGreaterThan(1000) // the search looked at real rows
  expect(stored).toContain('部長') // and at the update's own data
  for (const secret of secrets) {
    expect(stored.includes(secret), `database holds ${secret}`).toBe(false)
    expect(logs.join('\n').includes(secret), `logs hold ${secret}`).toBe(false)
    expect(mails.includes(secret), `mails hold ${secret}`).toBe(false)
  }

  // The log carries ids, routes, statuses and times: no one's name, address, mail address,
  // telephone, the certificate file, nor a session's token.
  const log = logs.join('\n')
  expect(log).toContain('"route":"/user/confirm"') // the search looked at the request lines
  expect(log).toMatch(/"userId":"[0-9a-f-]{36}"/)
  const hanako = (await portal.database.db.selectFrom('users').selectAll().execute()).filter(
    (u) => u.email !== '',
  )
  expect(hanako.length).toBeGreaterThan(2)
  const personal = hanako.flatMap((u) =>
    [u.name, u.name_kana, u.address, u.email, u.phone, u.department].filter((v) => v && v.length >= 4),
  )
  const sessionTokens = [c, renewal, myNumber, fileUser].map((client) => client.cookies.get('sid') ?? '')
  const p12Base64 = btoa(String.fromCharCode(...new Uint8Array(await p12.arrayBuffer()).slice(99, 159)))
  for (const value of [...personal, ...sessionTokens.filter((t) => t.length > 8), p12Base64])
    expect(log.includes(value), `logs hold ${value}`).toBe(false)
})
