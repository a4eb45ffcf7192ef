/**
 * The operator's audit export: every sign-in attempt and change as one JSON line each, with its
 * time in UTC, oldest first, limited to a range when asked, and never a PIN. On PostgreSQL the
 * command runs as the operator types it.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { kyselyAuditLogReader } from '../../adapters/stores/audit-log.kysely.ts'
import { type AuditRange, exportAuditLog } from '../../jobs/audit-export.ts'
import { runOps } from '../../jobs/ops.ts'
import type { Portal } from '../../main.ts'
import { formClient, textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

type Line = {
  id: string
  at: string
  action: string
  outcome: string
  userId: string | null
  clientAddress: string | null
  detail: Record<string, unknown>
}

const exported = async (range: AuditRange = {}) => {
  const lines: string[] = []
  await exportAuditLog(kyselyAuditLogReader(portal.database.db), range, (line) => void lines.push(line))
  return lines
}

it('exports each sign-in attempt and change as a JSON line in UTC, oldest first, without PINs', async () => {
  const started = new Date()
  // Over the network, as a browser comes: the log keeps the client's address.
  const overHttp = () => formClient((path, init) => fetch(new URL(path, portal.url), init), portal.url)
  const wrong = overHttp()
  await wrong.get('/sign-in')
  await wrong.post('/sign-in', { cardId: 'hanako-file', pin: 'not-her-pin' })
  const hanako = overHttp()
  await hanako.get('/sign-in')
  expect((await hanako.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })).status).toBe(303)
  const page = (await hanako.get('/user/edit')).text
  await hanako.post('/user/edit', { ...textFieldsOf(page), title: '監査役', action: 'confirm' })
  const confirm = await hanako.get('/user/confirm')
  await hanako.post('/user/confirm', textFieldsOf(confirm.text))

  const text = await exported({ since: started })
  const lines = text.map((l) => JSON.parse(l) as Line)
  expect(lines.map((l) => `${l.action} ${l.outcome}`)).toEqual([
    'sign-in failure',
    'sign-in success',
    'user-contact-updated success',
  ])
  expect(lines[0]?.detail.reason).toBe('card-wrong-pin')
  for (const l of lines) {
    expect(l.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(new Date(l.at).getTime()).toBeGreaterThanOrEqual(started.getTime())
    expect(l.clientAddress).toMatch(/127\.0\.0\.1/)
  }
  expect(lines[1]?.userId).toBe(lines[2]?.userId)
  expect(Number(lines[1]?.id)).toBeGreaterThan(Number(lines[0]?.id))
  expect(text.join('\n')).not.toMatch(/hanako-2026|not-her-pin/)

  // The helpdesk finds the change by the 受付番号 the user reads out, in the screen's own form.
  const receiptNumber = String(lines[2]?.detail.receiptNumber)
  expect(receiptNumber).toMatch(/^\d{8}-\d{6,}$/)
  const found = (await exported({ receiptNumber })).map((l) => JSON.parse(l) as Line)
  expect(found.map((l) => l.action)).toEqual(['user-contact-updated'])
  expect(found[0]?.detail.changeId).toBe(lines[2]?.detail.changeId)
  expect(await exported({ receiptNumber: '19990101-000000' })).toEqual([])

  // A range leaves out what is outside it.
  expect(await exported({ since: new Date(Date.now() + 60_000) })).toEqual([])
  expect(await exported({ since: started, until: started })).toEqual([])

  if (portal.database.target.backend === 'postgres') {
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line))
    try {
      const args = ['audit', '--since', started.toISOString()]
      expect(await runOps(args, { DATABASE_URL: portal.database.target.url })).toBe(0)
      expect(
        await runOps(['audit', '--receipt', receiptNumber], { DATABASE_URL: portal.database.target.url }),
      ).toBe(0)
    } finally {
      log.mockRestore()
    }
    expect(printed).toEqual([...text, text[2]])
  }

  // An entry written before changes had a 受付番号 carries the change's id only: found by it.
  const changeId = String(lines[2]?.detail.changeId)
  await portal.database.db
    .insertInto('audit_log')
    .values({ at: new Date(), action: 'user-contact-updated', outcome: 'success', detail: { changeId } })
    .execute()
  expect(await exported({ receiptNumber, changeId })).toHaveLength(2)
  if (portal.database.target.backend === 'postgres') {
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line))
    try {
      const args = ['audit', '--receipt', receiptNumber]
      expect(await runOps(args, { DATABASE_URL: portal.database.target.url })).toBe(0)
    } finally {
      log.mockRestore()
    }
    expect(printed).toHaveLength(2)
  }
})

it('refuses a range it cannot read, saying how to write one', async () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {})
  try {
    for (const args of [
      ['audit', '--since'],
      ['audit', '--since', 'yesterday'],
      ['audit', '--from', '2026-11-01T00:00:00Z'],
      ['audit', '--receipt', 'change 12'],
    ])
      expect(await runOps(args, {})).toBe(2)
    expect(error.mock.calls.flat().join('\n')).toContain('npm run ops -- audit [--since <time>]')
  } finally {
    error.mockRestore()
  }
})

it('records a failed card read in a flow with its reason, the read that locks the card, and sign-out', async () => {
  const started = new Date()
  const taro = formClient((path, init) => fetch(new URL(path, portal.url), init), portal.url)
  await taro.get('/sign-in')
  expect((await taro.post('/sign-in', { cardId: 'taro-ic', pin: '1234' })).status).toBe(303)
  const page = (await taro.get('/user/edit?fresh=1')).text
  expect((await taro.post('/user/edit', { ...textFieldsOf(page), action: 'add-certificate' })).status).toBe(
    303,
  )
  for (let i = 0; i < 5; i++) {
    await taro.get('/user/certificates/add')
    await taro.post('/user/certificates/add', { cardId: 'taro-ic-new', pin: `000${i}` })
  }
  await taro.get('/menu')
  expect((await taro.post('/sign-out', {})).status).toBe(303)

  const lines = (await exported({ since: started })).map((l) => JSON.parse(l) as Line)
  const reads = lines.filter((l) => l.action === 'card-read')
  expect(reads).toHaveLength(5)
  expect(reads.map((r) => r.detail.reason)).toEqual([
    'card-wrong-pin',
    'card-wrong-pin',
    'card-wrong-pin',
    'card-wrong-pin',
    'card-locked',
  ])
  for (const r of reads) {
    expect(r).toMatchObject({ outcome: 'failure', detail: { flow: 'user-update', input: 'reader' } })
    expect(r.clientAddress).toMatch(/127\.0\.0\.1/)
    expect(r.userId).toBe(lines[0]?.userId)
  }
  expect(reads.map((r) => r.detail.cardLocked === true)).toEqual([false, false, false, false, true])
  expect(lines.at(-1)).toMatchObject({ action: 'sign-out', outcome: 'success', userId: lines[0]?.userId })
})

it('records a certificate read well but refused by the flow: someone else’s to add, or to prove a removal', async () => {
  const started = new Date()
  const hanako = formClient((path, init) => fetch(new URL(path, portal.url), init), portal.url)
  await hanako.get('/sign-in')
  expect((await hanako.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })).status).toBe(303)
  const page = (await hanako.get('/user/edit?fresh=1')).text
  await hanako.post('/user/edit', { ...textFieldsOf(page), action: 'add-certificate' })
  await hanako.get('/user/certificates/add')
  expect((await hanako.post('/user/certificates/add', { cardId: 'saburo-ic-new', pin: '5678' })).status).toBe(
    422,
  )
  const registered = /value="remove-certificate:([0-9a-f-]{36})"/.exec(page)?.[1]
  await hanako.get(`/user/certificates/remove/${registered}`)
  const removal = await hanako.post(`/user/certificates/remove/${registered}`, {
    cardId: 'saburo-ic-new',
    pin: '5678',
  })
  expect(removal.status).toBe(422)

  const reads = (await exported({ since: started }))
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.action === 'card-read')
  expect(reads.map((r) => r.detail.reason)).toEqual(['holder-differs', 'not-own-certificate'])
  for (const r of reads)
    expect(r).toMatchObject({ outcome: 'failure', detail: { flow: 'user-update', input: 'reader' } })
})
