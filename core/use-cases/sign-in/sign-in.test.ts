import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../../adapters/dev/demo-data.ts'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { CARD_READ_LIMITS } from '../shared/card-read-limits.ts'
import { issueChallenge, type SignInPorts, signIn, startSession } from './sign-in.ts'

/** A fresh session with a challenge, and the card to read in it. */
const challenged = async (
  portal: Awaited<ReturnType<typeof memoryPortal>>,
  cardId: string,
  pin: string,
): Promise<{ sessionId: string; cardId: string; pin: string; clientAddress: string }> => {
  const session = await startSession(portal.ports)()
  await issueChallenge(portal.ports)(session.id)
  return { sessionId: session.id, cardId, pin, clientAddress: '192.0.2.44' }
}

/** Sign-in with a card in the (virtual) reader. */
const signInWithCard =
  (ports: SignInPorts) => (cmd: { sessionId: string; cardId: string; pin: string; clientAddress?: string }) =>
    signIn(ports)({
      sessionId: cmd.sessionId,
      clientAddress: cmd.clientAddress,
      input: { kind: 'reader', cardId: cmd.cardId, pin: cmd.pin },
    })

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
    portal.clock.advance(6 * 60_000)
    const result = await signInWithCard(portal.ports)({
      sessionId: session.id,
      cardId: 'hanako-file',
      pin: 'hanako-2026',
    })
    expect(result).toEqual({ ok: false, error: { kind: 'challenge-missing' } })
  })
})

describe('rate limits on failed sign-ins', () => {
  it('refuses a client address after too many failures, before its card is read', async () => {
    const portal = await memoryPortal()
    const attempt = async (cardId: string, pin: string, clientAddress: string) => {
      const session = await startSession(portal.ports)()
      await issueChallenge(portal.ports)(session.id)
      return signInWithCard(portal.ports)({ sessionId: session.id, cardId, pin, clientAddress })
    }
    // 入札 花子's file never locks, so only the address limit stops a guesser.
    for (let i = 0; i < CARD_READ_LIMITS.perAddress; i++) {
      expect(await attempt('hanako-file', `guess-${i}`, '198.51.100.7')).toMatchObject({
        ok: false,
        error: { kind: 'card' },
      })
    }
    expect(await attempt('hanako-file', 'hanako-2026', '198.51.100.7')).toEqual({
      ok: false,
      error: { kind: 'too-many-attempts', retryAfterMinutes: 15 },
    })
    // The refusal read no card: 調達 太郎's IC card still has all its tries.
    await attempt('taro-ic', '1234', '198.51.100.7')
    expect(await portal.ports.cardReader.triesLeft('taro-ic')).toBe(5)
    // Another address is not affected.
    expect((await attempt('hanako-file', 'hanako-2026', '198.51.100.8')).ok).toBe(true)
  })

  it('refuses a certificate after too many failures, from any address', async () => {
    const portal = await memoryPortal()
    const attempt = async (clientAddress: string) => {
      const session = await startSession(portal.ports)()
      await issueChallenge(portal.ports)(session.id)
      return signInWithCard(portal.ports)({
        sessionId: session.id,
        cardId: 'saburo-ic-expired',
        pin: '5678',
        clientAddress,
      })
    }
    for (let i = 0; i < CARD_READ_LIMITS.perCertificate; i++) {
      expect(await attempt(`203.0.113.${i}`)).toMatchObject({
        ok: false,
        error: { kind: 'certificate', error: { kind: 'expired' } },
      })
    }
    expect(await attempt('203.0.113.200')).toMatchObject({ ok: false, error: { kind: 'too-many-attempts' } })
  })

  it('never locks a holder out for tokens that only show the certificate: they count against the address', async () => {
    const portal = await memoryPortal()
    const hanakos = portal.demo.cards.find((c) => c.cardId === 'hanako-file')?.certificate
    if (!hanakos) throw new Error('the demo has 入札 花子’s file')
    const forged = async (i: number) => {
      const session = await startSession(portal.ports)()
      await issueChallenge(portal.ports)(session.id)
      return signIn(portal.ports)({
        sessionId: session.id,
        clientAddress: `203.0.113.${i}`,
        input: {
          kind: 'token',
          token: { certificate: hanakos, algorithm: 'ES256', signature: new Uint8Array(64).fill(i) },
          origin: 'http://localhost',
        },
      })
    }
    // Her certificate is public: anyone may send it with a signature that does not hold.
    for (let i = 0; i < CARD_READ_LIMITS.perCertificate * 2; i++) {
      expect(await forged(i)).toMatchObject({
        ok: false,
        error: { kind: 'certificate', error: { kind: 'bad-signature' } },
      })
    }
    expect(
      (await signInWithCard(portal.ports)(await challenged(portal, 'hanako-file', 'hanako-2026'))).ok,
    ).toBe(true)
  })

  it('judges no more attempts than an address may make, however many arrive at once', async () => {
    const portal = await memoryPortal()
    const attempts = await Promise.all(
      Array.from({ length: CARD_READ_LIMITS.perAddress + 40 }, async () => {
        const session = await startSession(portal.ports)()
        await issueChallenge(portal.ports)(session.id)
        return signIn(portal.ports)({
          sessionId: session.id,
          clientAddress: '198.51.100.77',
          input: { kind: 'file-unopened', error: { kind: 'damaged' } },
        })
      }),
    )
    const judged = attempts.filter((a) => !a.ok && a.error.kind !== 'too-many-attempts')
    expect(judged).toHaveLength(CARD_READ_LIMITS.perAddress)
  })

  it('lets the limits pass with the window', async () => {
    const { ports, clock } = await memoryPortal(new Date('2026-11-27T10:00:00Z'))
    const attempt = async () => {
      const session = await startSession(ports)()
      await issueChallenge(ports)(session.id)
      return signInWithCard(ports)({
        sessionId: session.id,
        cardId: 'saburo-ic-expired',
        pin: '5678',
        clientAddress: '192.0.2.9',
      })
    }
    for (let i = 0; i < CARD_READ_LIMITS.perCertificate; i++) await attempt()
    expect(await attempt()).toMatchObject({ error: { kind: 'too-many-attempts' } })
    clock.advance(CARD_READ_LIMITS.windowMs + 1000)
    expect(await attempt()).toMatchObject({ error: { kind: 'certificate', error: { kind: 'expired' } } })
  })
})
