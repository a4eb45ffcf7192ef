/** F2's My Number path over in-memory ports: what must hold before anything is staged. */
import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../../adapters/dev/demo-data.ts'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { fingerprintOf } from '../../domain/certificates.ts'
import { helperSignedData } from '../../lib/helper-token.ts'
import { ok } from '../../lib/result.ts'
import { issueChallenge, startSession } from '../sign-in/sign-in.ts'
import {
  completeRenewal,
  RENEWAL_FLOW,
  readRenewedMyNumberCard,
  reviewRenewal,
} from './certificate-renewal.ts'

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
    expect(await read()).toEqual({ ok: false, error: { kind: 'linked-to-two-users' } })
    expect(await staged()).toBeUndefined()
  })

  it('renews a card registered by its user-authentication certificate alone, registering both new ones', async () => {
    const { portal, session, read, certificateOf } = await setUp()
    const signingFingerprint = await fingerprintOf(new Uint8Array(certificateOf('jiro-mynumber-signing')))
    for (const [id, c] of portal.state.certificates)
      if (c.fingerprint === signingFingerprint) portal.state.certificates.delete(id)
    expect((await read()).ok).toBe(true)
    const review = await reviewRenewal(portal.ports)(session.id)
    if (!review.ok) throw new Error(review.error.kind)
    expect(review.value.old.map((c) => c.use)).toEqual(['my-number-user-authentication'])
    expect(review.value.new.map((c) => c.use)).toEqual(['my-number-signing', 'my-number-user-authentication'])
    const done = await completeRenewal(portal.ports)({ sessionId: session.id, draftId: review.value.draftId })
    expect(done.ok).toBe(true)
    const now = await portal.ports.accounts.listCertificates(review.value.user.id)
    expect(now.map((c) => c.fingerprint).sort()).toEqual(review.value.new.map((c) => c.fingerprint).sort())
  })

  it('says when JPKI links the card to no earlier certificate', async () => {
    const { portal, session } = await setUp()
    await issueChallenge(portal.ports)(session.id)
    const unlinked = { findPreviousCertificate: async () => ok(undefined) }
    const result = await readRenewedMyNumberCard({ ...portal.ports, jpki: unlinked })({
      sessionId: session.id,
      input: { kind: 'reader', cardId: 'jiro-mynumber-renewed-signing', pin: 'ABC123' },
      consent: true,
    })
    expect(result).toEqual({ ok: false, error: { kind: 'no-previous-certificate' } })
  })

  it('says when JPKI links the new card to certificates registered to no one', async () => {
    const { portal, read } = await setUp()
    for (const [id, c] of portal.state.certificates)
      if (c.userId === DEMO_USER_IDS.jiro) portal.state.certificates.delete(id)
    expect(await read()).toEqual({ ok: false, error: { kind: 'previous-not-registered' } })
  })

  it('tells a JPKI refusal from an outage, and audits each look-up with its outcome', async () => {
    const { portal, read } = await setUp()
    portal.jpki.failNext('permanent')
    expect(await read()).toEqual({ ok: false, error: { kind: 'jpki-refused' } })
    expect((await read()).ok).toBe(true)
    const lookups = portal.state.audit.filter((a) => a.action === 'jpki-link-lookup')
    expect(lookups.map((a) => a.outcome)).toEqual(['failure', 'success'])
    expect(lookups[0]?.detail).toMatchObject({ consent: true, reason: 'permanent' })
  })

  it('refuses a file: only a card, in a reader or through the card helper, gives both of its certificates', async () => {
    const { portal, session, staged } = await setUp()
    const result = await readRenewedMyNumberCard(portal.ports)({
      sessionId: session.id,
      input: { kind: 'file', file: new Uint8Array([0x30, 0x00]), password: 'x' },
      consent: true,
    })
    expect(result).toEqual({ ok: false, error: { kind: 'my-number-needs-reader' } })
    expect(await staged()).toBeUndefined()
  })

  it('takes a card helper’s token that proves both of the card’s keys, and no token that does not', async () => {
    const { portal, session, staged } = await setUp()
    const origin = 'https://portal.example.go.jp'
    const keyOf = (cardId: string) => {
      const card = portal.demo.cards.find((c) => c.cardId === cardId)
      if (!card) throw new Error(`no demo card ${cardId}`)
      return card
    }
    const signed = async (cardId: string, challenge: string, signWith = cardId) => {
      const key = await crypto.subtle.importKey(
        'pkcs8',
        new Uint8Array(keyOf(signWith).privateKey),
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['sign'],
      )
      const data = await helperSignedData('ES256', origin, challenge)
      return {
        certificate: keyOf(cardId).certificate,
        algorithm: 'ES256' as const,
        signature: new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, data)),
      }
    }
    const readToken = async (second: 'proven' | 'signed-by-the-signing-key' | 'absent') => {
      const challenge = await issueChallenge(portal.ports)(session.id)
      const token = await signed('jiro-mynumber-renewed-signing', challenge)
      const userAuthentication =
        second === 'absent'
          ? undefined
          : await signed(
              'jiro-mynumber-renewed',
              challenge,
              second === 'proven' ? 'jiro-mynumber-renewed' : 'jiro-mynumber-renewed-signing',
            )
      return readRenewedMyNumberCard(portal.ports)({
        sessionId: session.id,
        input: {
          kind: 'token',
          origin,
          token: { ...token, ...(userAuthentication && { userAuthentication }) },
        },
        consent: true,
      })
    }
    // The user-authentication certificate is public: without its own signature it proves nothing.
    expect(await readToken('signed-by-the-signing-key')).toEqual({
      ok: false,
      error: { kind: 'certificate', error: { kind: 'bad-signature' } },
    })
    expect(await readToken('absent')).toEqual({ ok: false, error: { kind: 'not-my-number' } })
    expect(await staged()).toBeUndefined()
    expect(await readToken('proven')).toEqual({ ok: true, value: undefined })
    expect(await staged()).toBeDefined()
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
