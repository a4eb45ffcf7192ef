import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../adapters/demo/demo-data.ts'
import { memoryPortal } from '../tests/support/memory-portal.ts'
import { issueChallenge, signInWithCard, startSession } from './sign-in.ts'

const signedInPortal = async () => {
  const portal = await memoryPortal()
  const session = await startSession(portal.ports)()
  const attempt = async (cardId: string, pin: string) => {
    await issueChallenge(portal.ports)(session.id)
    return signInWithCard(portal.ports)({ sessionId: session.id, cardId, pin, clientAddress: '127.0.0.1' })
  }
  return { portal, session, attempt }
}

describe('sign-in with a card', () => {
  it('signs the holder of a registered certificate in, under a new session id', async () => {
    const { portal, session, attempt } = await signedInPortal()
    const result = await attempt('hanako-file', 'hanako-2026')
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value.user.id).toBe(DEMO_USER_IDS.hanako)
    expect(result.value.sessionId).not.toBe(session.id)
    expect(await portal.ports.sessions.find(session.id)).toBeUndefined()
    expect((await portal.ports.sessions.find(result.value.sessionId))?.userId).toBe(DEMO_USER_IDS.hanako)
    expect(portal.state.audit.at(-1)).toMatchObject({
      action: 'sign-in',
      outcome: 'success',
      userId: DEMO_USER_IDS.hanako,
    })
  })

  it('counts wrong PINs down and locks the card, even for the right PIN afterwards', async () => {
    const { attempt } = await signedInPortal()
    const tries = []
    for (let i = 0; i < 5; i++) tries.push(await attempt('taro-ic', '0000'))
    expect(tries.map((t) => (t.ok ? 'ok' : t.error.kind === 'card' ? t.error.error : t.error.kind))).toEqual([
      { kind: 'wrong-pin', triesLeft: 4 },
      { kind: 'wrong-pin', triesLeft: 3 },
      { kind: 'wrong-pin', triesLeft: 2 },
      { kind: 'wrong-pin', triesLeft: 1 },
      { kind: 'locked' },
    ])
    const right = await attempt('taro-ic', '1234')
    expect(right).toEqual({ ok: false, error: { kind: 'card', error: { kind: 'locked' } } })
  })

  it('resets the count after a right PIN', async () => {
    const { portal, attempt } = await signedInPortal()
    await attempt('taro-ic', '0000')
    expect(await portal.ports.cardReader.triesLeft('taro-ic')).toBe(4)
    const session = await startSession(portal.ports)()
    await issueChallenge(portal.ports)(session.id)
    await signInWithCard(portal.ports)({ sessionId: session.id, cardId: 'taro-ic', pin: '1234' })
    expect(await portal.ports.cardReader.triesLeft('taro-ic')).toBe(5)
  })

  it('refuses a My Number PIN that is not 4 digits without counting a try', async () => {
    const { portal, attempt } = await signedInPortal()
    const result = await attempt('jiro-mynumber', 'ABC123')
    expect(result.ok).toBe(false)
    if (!result.ok && result.error.kind === 'card') expect(result.error.error.kind).toBe('pin-format')
    expect(await portal.ports.cardReader.triesLeft('jiro-mynumber')).toBe(3)
  })

  it('refuses an expired certificate', async () => {
    const { attempt } = await signedInPortal()
    const result = await attempt('saburo-ic-expired', '5678')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatchObject({ kind: 'certificate', error: { kind: 'expired' } })
  })

  it('refuses a valid certificate that is registered to no user', async () => {
    const { portal, attempt } = await signedInPortal()
    const result = await attempt('saburo-ic-new', '5678')
    expect(result).toEqual({ ok: false, error: { kind: 'certificate-not-registered' } })
    expect(portal.state.audit.at(-1)).toMatchObject({
      outcome: 'failure',
      detail: { reason: 'certificate-not-registered' },
    })
  })

  it('uses a challenge once: a second read without a new challenge is refused', async () => {
    const { portal, session, attempt } = await signedInPortal()
    await attempt('hanako-file', 'wrong')
    const replay = await signInWithCard(portal.ports)({
      sessionId: session.id,
      cardId: 'hanako-file',
      pin: 'hanako-2026',
    })
    expect(replay).toEqual({ ok: false, error: { kind: 'challenge-missing' } })
  })

  it('refuses an expired challenge', async () => {
    const portal = await memoryPortal()
    const session = await startSession(portal.ports)()
    await issueChallenge(portal.ports)(session.id)
    const later = { ...portal.ports, clock: { now: () => new Date(Date.now() + 6 * 60 * 1000) } }
    const result = await signInWithCard(later)({
      sessionId: session.id,
      cardId: 'hanako-file',
      pin: 'hanako-2026',
    })
    expect(result).toEqual({ ok: false, error: { kind: 'challenge-missing' } })
  })
})
