/** F3 over in-memory ports: the order of the steps, who may take them, and the check at [電子委任状更新]. */
import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../adapters/demo/demo-data.ts'
import { memoryPortal } from '../tests/support/memory-portal.ts'
import {
  completeMandateRenewal,
  mandateGateApplies,
  readCardForMandate,
  requestMandate,
  reviewMandate,
} from './mandate-renewal.ts'
import { issueChallenge, startSession } from './sign-in.ts'

const setUp = async () => {
  const portal = await memoryPortal()
  const session = await startSession(portal.ports)()
  const jiro = DEMO_USER_IDS.jiro
  const readCard = async (userId: string = jiro, cardId = 'jiro-mynumber-signing', pin = 'ABC123') => {
    await issueChallenge(portal.ports)(session.id)
    return readCardForMandate(portal.ports)({
      sessionId: session.id,
      userId,
      input: { kind: 'reader', cardId, pin },
    })
  }
  const ask = (referenceNumber: string, userId: string = jiro) =>
    requestMandate(portal.ports)({
      sessionId: session.id,
      userId,
      providerId: 'sample-mandates',
      corporateNumber: '7123456789012',
      referenceNumber,
    })
  return { portal, session, jiro, readCard, ask }
}

describe('F3 マイナンバーカード電子委任状更新', () => {
  it('gates only a My Number agent whose mandate is not in force', async () => {
    const { portal, jiro } = await setUp()
    const user = async (id: string) => {
      const found = await portal.ports.accounts.findUser(id)
      if (!found) throw new Error(id)
      return found
    }
    expect(await mandateGateApplies(portal.ports, await user(jiro))).toBe(true)
    expect(await mandateGateApplies(portal.ports, await user(DEMO_USER_IDS.hanako))).toBe(false)
  })

  it('asks no provider before the card is read, and lets no one but a My Number agent begin', async () => {
    const { portal, readCard, ask } = await setUp()
    expect(await ask('POA-2026-0001')).toEqual({ ok: false, error: { kind: 'card-not-read' } })
    expect(portal.mandateProviders[0]?.lookups).toHaveLength(0)
    expect(await readCard(DEMO_USER_IDS.hanako, 'hanako-file', 'hanako-2026')).toEqual({
      ok: false,
      error: { kind: 'forbidden' },
    })
  })

  it('refuses at [電子委任状更新] a mandate of another business, whatever the screen showed, and changes nothing', async () => {
    const { portal, session, jiro, readCard, ask } = await setUp()
    expect((await readCard()).ok).toBe(true)
    expect((await ask('POA-2026-0002')).ok).toBe(true)
    const review = await reviewMandate(portal.ports)({ sessionId: session.id, userId: jiro })
    if (!review.ok) throw new Error(review.error.kind)
    const done = await completeMandateRenewal(portal.ports)({
      sessionId: session.id,
      userId: jiro,
      draftId: review.value.draftId,
    })
    expect(done).toMatchObject({
      ok: false,
      error: { kind: 'mandate-problems', problems: [{ kind: 'other-delegator' }] },
    })
    expect((await portal.ports.mandates.findForUser(jiro))?.referenceNumber).toBe('POA-2025-0042')
    expect(portal.state.jobs).toHaveLength(0)
  })

  it('tells a provider that is down from one that refuses', async () => {
    const { portal, readCard, ask } = await setUp()
    await readCard()
    portal.mandateProviders[0]?.failNext('transient', 'permanent')
    expect(await ask('POA-2026-0001')).toEqual({ ok: false, error: { kind: 'provider-unavailable' } })
    expect(await ask('POA-2026-0001')).toEqual({ ok: false, error: { kind: 'provider-refused' } })
    expect((await ask('POA-2026-0001')).ok).toBe(true)
  })
})
