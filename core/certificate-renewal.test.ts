/** F2's My Number path over in-memory ports: what must hold before anything is staged. */
import { describe, expect, it } from 'vitest'
import { memoryPortal } from '../tests/support/memory-portal.ts'
import { RENEWAL_FLOW, readRenewedMyNumberCard, reviewRenewal } from './certificate-renewal.ts'
import { fingerprintOf } from './certificates.ts'
import { issueChallenge, startSession } from './sign-in.ts'

const setUp = async () => {
  const portal = await memoryPortal()
  const session = await startSession(portal.ports)()
  const read = async (cmd: { cardId?: string; pin?: string; consent?: boolean } = {}) => {
    await issueChallenge(portal.ports)(session.id)
    return readRenewedMyNumberCard(portal.ports)({
      sessionId: session.id,
      input: {
        kind: 'reader',
        cardId: cmd.cardId ?? 'jiro-mynumber-renewed-signing',
        pin: cmd.pin ?? 'ABC123',
      },
      consent: cmd.consent ?? true,
    })
  }
  const staged = () => portal.ports.drafts.find(session.id, RENEWAL_FLOW)
  const certificateOf = (cardId: string) => {
    const card = portal.demo.cards.find((c) => c.cardId === cardId)
    if (!card) throw new Error(`no demo card ${cardId}`)
    return card.certificate
  }
  return { portal, session, read, staged, certificateOf }
}

describe('reading a renewed My Number card (F2)', () => {
  it('refuses without consent before the card is read: no PIN try, no JPKI look-up', async () => {
    const { portal, read, staged } = await setUp()
    expect(await read({ consent: false, pin: 'WRONG1' })).toEqual({
      ok: false,
      error: { kind: 'consent-missing' },
    })
    expect(await portal.ports.cardReader.triesLeft('jiro-mynumber-renewed-signing')).toBe(5)
    expect(portal.jpki.requests()).toBe(0)
    expect(await staged()).toBeUndefined()
  })

  it('stages both certificates of the old card and of the new, in the same order', async () => {
    const { portal, session, read, certificateOf } = await setUp()
    expect(await read()).toEqual({ ok: true, value: undefined })
    const review = await reviewRenewal(portal.ports)(session.id)
    if (!review.ok) throw new Error(review.error.kind)
    const registered = portal.demo.certificates.filter((c) => c.userId === review.value.user.id)
    expect(review.value.user.name).toBe('委任 次郎')
    expect(review.value.old.map((c) => c.id).sort()).toEqual(registered.map((c) => c.id).sort())
    // The signing certificate first, then the user-authentication one, in both lists.
    const fingerprint = (cardId: string) => fingerprintOf(new Uint8Array(certificateOf(cardId)))
    expect(review.value.new.map((c) => c.fingerprint)).toEqual([
      await fingerprint('jiro-mynumber-renewed-signing'),
      await fingerprint('jiro-mynumber-renewed'),
    ])
    expect(review.value.old.map((c) => c.fingerprint)).toEqual([
      await fingerprint('jiro-mynumber-signing'),
      await fingerprint('jiro-mynumber'),
    ])
  })

  it('refuses when JPKI links the certificates to two different users', async () => {
    const { portal, read, staged, certificateOf } = await setUp()
    // JPKI now says the renewed card's signing certificate replaced 入札 花子's registered one.
    await portal.jpki.link(certificateOf('jiro-mynumber-renewed-signing'), certificateOf('hanako-file'))
    expect(await read()).toEqual({ ok: false, error: { kind: 'not-registered' } })
    expect(await staged()).toBeUndefined()
  })

  it('says JPKI is unavailable, stages nothing, and succeeds when read again', async () => {
    const { portal, read, staged } = await setUp()
    portal.jpki.failNext('transient')
    expect(await read()).toEqual({ ok: false, error: { kind: 'jpki-unavailable' } })
    expect(await staged()).toBeUndefined()
    expect((await read()).ok).toBe(true)
  })

  it('refuses a card that gives no user-authentication certificate (not a My Number card)', async () => {
    const { read } = await setUp()
    expect(await read({ cardId: 'taro-ic', pin: '1234' })).toEqual({
      ok: false,
      error: { kind: 'not-my-number' },
    })
  })

  it('refuses a renewed card whose certificates are registered already', async () => {
    const { portal, read, certificateOf } = await setUp()
    // The old card's signing certificate claims to have replaced itself: the new one is registered.
    await portal.jpki.link(certificateOf('jiro-mynumber-signing'), certificateOf('jiro-mynumber-signing'))
    await portal.jpki.link(certificateOf('jiro-mynumber'), certificateOf('jiro-mynumber'))
    const oldCard = await read({ cardId: 'jiro-mynumber-signing' })
    expect(oldCard).toEqual({ ok: false, error: { kind: 'already-registered' } })
  })
})
