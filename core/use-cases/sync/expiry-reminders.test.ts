/** Expiry reminders over in-memory ports: which threshold is due, once each, and what the menu lists. */
import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../../adapters/dev/demo-data.ts'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { reminderDue } from '../../domain/expiry.ts'
import { CERTIFICATE_EXPIRY_SUBJECT, MANDATE_EXPIRY_SUBJECT } from '../../domain/mails.ts'
import type { Mandate } from '../../domain/mandates.ts'
import type { UserMail } from '../../ports.ts'
import { expiringSoonFor } from '../menu/menu.ts'
import { sendExpiryReminders } from './expiry-reminders.ts'

const DAY = 24 * 60 * 60 * 1000
const now = new Date('2026-11-27T00:00:00Z')
const inDays = (days: number) => new Date(now.getTime() + days * DAY)

describe('reminderDue', () => {
  it('is the tightest threshold reached, none beyond 60 days or once expired', () => {
    expect(reminderDue(inDays(61), now)).toBeUndefined()
    expect(reminderDue(inDays(60), now)).toBe(60)
    expect(reminderDue(inDays(31), now)).toBe(60)
    expect(reminderDue(inDays(20), now)).toBe(30)
    expect(reminderDue(inDays(7), now)).toBe(7)
    expect(reminderDue(inDays(0.5), now)).toBe(7)
    expect(reminderDue(now, now)).toBeUndefined()
    expect(reminderDue(inDays(-3), now)).toBeUndefined()
  })
})

describe('sendExpiryReminders', () => {
  const setUp = async () => {
    const portal = await memoryPortal()
    /** The ports with the portal's clock moved to `time`. */
    const at = (time: Date) => {
      portal.clock.set(time)
      return portal.ports
    }
    const mails = () => portal.state.jobs.flatMap((j) => (j.queue === 'mail' ? [j.data as UserMail] : []))
    const hanakos = [...portal.state.certificates.values()].find(
      (c) =>
        c.userId === DEMO_USER_IDS.hanako && c.notAfter.getTime() - portal.clock.now().getTime() < 30 * DAY,
    )
    if (!hanakos) throw new Error('the demo gives 入札 花子 a certificate that expires within 30 days')
    return { portal, at, mails, hanakos }
  }

  it('mails each threshold once, the tightest reached first, and nothing once expired', async () => {
    const { portal, at, mails, hanakos } = await setUp()
    const today = portal.clock.now()
    // 25 days left: the 30-day reminder only, however often the scan runs.
    expect(await sendExpiryReminders(at(today))()).toBe(1)
    expect(await sendExpiryReminders(at(today))()).toBe(0)
    expect(mails()).toHaveLength(1)
    expect(mails()[0]).toMatchObject({
      userId: DEMO_USER_IDS.hanako,
      to: 'hanako@sample-shoji.example.jp',
      subject: CERTIFICATE_EXPIRY_SUBJECT,
      idempotencyKey: `expiry:certificate:${hanakos.fingerprint}:30`,
    })
    expect(mails()[0]?.text).toContain(`シリアル番号 ${hanakos.serialNumber}`)
    expect(mails()[0]?.text).toContain('（あと25日）')
    expect(mails()[0]?.text).toContain('「利用者情報更新」で追加してください')

    // Six days left: the 7-day one, once; after expiry, nothing more.
    const sixDaysLeft = new Date(hanakos.notAfter.getTime() - 6 * DAY)
    expect(await sendExpiryReminders(at(sixDaysLeft))()).toBe(1)
    expect(await sendExpiryReminders(at(sixDaysLeft))()).toBe(0)
    expect(mails().at(-1)?.idempotencyKey).toBe(`expiry:certificate:${hanakos.fingerprint}:7`)
    expect(await sendExpiryReminders(at(new Date(hanakos.notAfter.getTime() + DAY)))()).toBe(0)
    expect(mails()).toHaveLength(2)
  })

  it('mails a My Number agent about his mandate, and forgets him with his reminders when he is deleted', async () => {
    const { portal, at, mails } = await setUp()
    const today = portal.clock.now()
    const mandate = portal.state.mandates.get(DEMO_USER_IDS.jiro) as Mandate
    portal.state.mandates.set(DEMO_USER_IDS.jiro, {
      ...mandate,
      validTo: new Date(today.getTime() + 50 * DAY),
    })
    await sendExpiryReminders(at(today))()
    const his = mails().find((m) => m.userId === DEMO_USER_IDS.jiro)
    expect(his).toMatchObject({
      subject: MANDATE_EXPIRY_SUBJECT,
      idempotencyKey: `expiry:mandate:sample-mandates:POA-2025-0042:60`,
    })
    expect(his?.text).toContain('「電子委任状更新」で登録してください')
    expect([...portal.state.reminders.values()].some((r) => r.userId === DEMO_USER_IDS.jiro)).toBe(true)
    await portal.ports.unitOfWork.run((tx) => tx.accounts.eraseUser(DEMO_USER_IDS.jiro))
    expect([...portal.state.reminders.values()].some((r) => r.userId === DEMO_USER_IDS.jiro)).toBe(false)
  })

  it('lists for the menu what expires within 60 days, and what has expired', async () => {
    const { portal, hanakos } = await setUp()
    const soon = async (id: string) => {
      const user = await portal.ports.accounts.findUser(id)
      if (!user) throw new Error(id)
      return expiringSoonFor(portal.ports)(user)
    }
    expect(await soon(DEMO_USER_IDS.hanako)).toEqual([
      expect.objectContaining({ kind: 'certificate', daysLeft: 25, expired: false, certificate: hanakos }),
    ])
    expect(await soon(DEMO_USER_IDS.taro)).toEqual([])
    expect(await soon(DEMO_USER_IDS.jiro)).toEqual([
      expect.objectContaining({ kind: 'mandate', expired: true }),
    ])
  })

  it('neither mails nor lists a certificate another of the user’s takes over from, unless that one is revoked', async () => {
    const { portal, at, mails, hanakos } = await setUp()
    const hanako = await portal.ports.accounts.findUser(DEMO_USER_IDS.hanako)
    if (!hanako) throw new Error('no 入札 花子')
    // Her other registered file is newer, but revoked by its authority: it takes over nothing, and
    // she is reminded (the demo's case).
    const revoked = [...portal.state.certificates.values()].find(
      (c) => c.userId === hanako.id && c.fingerprint !== hanakos.fingerprint,
    )
    expect(revoked?.notAfter.getTime()).toBeGreaterThan(hanakos.notAfter.getTime())
    expect(await expiringSoonFor(portal.ports)(hanako)).toHaveLength(1)
    // A newer certificate of hers, valid on the day hers expires: no reminder, nothing listed.
    portal.state.certificates.set('newer', {
      ...hanakos,
      id: 'newer',
      fingerprint: 'f'.repeat(64),
      serialNumber: '7e57',
      notBefore: portal.clock.now(),
      notAfter: new Date(hanakos.notAfter.getTime() + 365 * DAY),
    })
    expect(await expiringSoonFor(portal.ports)(hanako)).toEqual([])
    expect(await sendExpiryReminders(at(portal.clock.now()))()).toBe(0)
    expect(mails()).toEqual([])
    // One that only begins after hers has ended leaves a gap: she is reminded.
    portal.state.certificates.set('newer', {
      ...hanakos,
      id: 'newer',
      fingerprint: 'f'.repeat(64),
      serialNumber: '7e57',
      notBefore: new Date(hanakos.notAfter.getTime() + DAY),
      notAfter: new Date(hanakos.notAfter.getTime() + 365 * DAY),
    })
    expect(await sendExpiryReminders(at(portal.clock.now()))()).toBe(1)
  })
})
