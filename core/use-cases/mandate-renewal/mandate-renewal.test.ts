/** F3 over in-memory ports: the order of the steps, who may take them, and the check at [電子委任状更新]. */
import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../../adapters/dev/demo-data.ts'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { ok } from '../../lib/result.ts'
import { issueChallenge, startSession } from '../sign-in/sign-in.ts'
import {
  completeMandateRenewal,
  MANDATE_RENEWAL_FLOW,
  mandateGateApplies,
  readCardForMandate,
  requestMandate,
  reviewMandate,
} from './mandate-renewal.ts'

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
      clientAddress: '192.0.2.7',
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

  it('asks for a mandate only under the agent’s own business’s 法人番号, and takes none whose 委任者 is another', async () => {
    const { portal, session, jiro, readCard } = await setUp()
    expect((await readCard()).ok).toBe(true)
    const sample = portal.mandateProviders[0]
    if (!sample) throw new Error('no demo provider')
    const request = { sessionId: session.id, userId: jiro, providerId: 'sample-mandates' }
    // Another business's valid 法人番号 (the National Tax Agency's): refused, and no provider is asked.
    expect(
      await requestMandate(portal.ports)({
        ...request,
        corporateNumber: '7000012050002',
        referenceNumber: 'POA-2026-0001',
      }),
    ).toEqual({
      ok: false,
      error: {
        kind: 'invalid-request',
        errors: {
          corporateNumber: expect.stringContaining('株式会社サンプル商事）の法人番号 7123456789012'),
        },
      },
    })
    expect(sample.lookups).toHaveLength(0)
    // Full-width digits with hyphens, as an IME types them, are the same number.
    const typed = { ...request, corporateNumber: '７１２３ー４５６７ー８９０１２' }
    expect((await requestMandate(portal.ports)({ ...typed, referenceNumber: 'POA-2026-0001' })).ok).toBe(true)
    // Asked again with another business's number: refused, and the mandate fetched before goes.
    const again = await requestMandate(portal.ports)({
      ...request,
      corporateNumber: '7000012050002',
      referenceNumber: 'POA-2026-0001',
    })
    expect(again.ok).toBe(false)
    expect(await reviewMandate(portal.ports)({ sessionId: session.id, userId: jiro })).toEqual({
      ok: false,
      error: { kind: 'card-not-read' },
    })
    // A provider that answers with another business's mandate: refused next to 受付番号, nothing kept.
    const theirs = await sample.port.fetchMandate({
      corporateNumber: '9234567890123',
      referenceNumber: 'POA-2026-0004',
    })
    if (!theirs.ok || !theirs.value) throw new Error('no demo mandate of the other business')
    const foreign = theirs.value
    const careless = { id: 'sample-mandates', name: 'x', fetchMandate: async () => ok(foreign) }
    expect(
      await requestMandate({ ...portal.ports, mandateProviders: [careless] })({
        ...typed,
        referenceNumber: 'POA-2026-0004',
      }),
    ).toEqual({
      ok: false,
      error: {
        kind: 'invalid-request',
        errors: {
          referenceNumber: expect.stringContaining('委任者が株式会社ほかの商事（法人番号 9234567890123）'),
        },
      },
    })
    expect(await reviewMandate(portal.ports)({ sessionId: session.id, userId: jiro })).toEqual({
      ok: false,
      error: { kind: 'card-not-read' },
    })
    expect(portal.state.audit.filter((e) => e.action === 'mandate-request').at(-1)).toMatchObject({
      outcome: 'failure',
      detail: { delegator: '9234567890123' },
    })
  })

  it('refuses at [電子委任状更新] a mandate naming another agent, whatever the screen showed, and changes nothing', async () => {
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
      error: { kind: 'mandate-problems', problems: [{ kind: 'other-delegate' }] },
    })
    expect((await portal.ports.mandates.findForUser(jiro))?.referenceNumber).toBe('POA-2025-0042')
    expect(portal.state.jobs).toHaveLength(0)
  })

  it('forgets a mandate fetched before once another is asked for, whatever the answer', async () => {
    const { portal, session, jiro, readCard, ask } = await setUp()
    await readCard()
    expect((await ask('POA-2026-0001')).ok).toBe(true)
    expect(await ask('POA-1999-0001')).toEqual({ ok: false, error: { kind: 'mandate-not-found' } })
    expect(await reviewMandate(portal.ports)({ sessionId: session.id, userId: jiro })).toEqual({
      ok: false,
      error: { kind: 'card-not-read' },
    })
  })

  it('takes from a provider only the mandate asked for, and registers it as that provider’s', async () => {
    const { portal, session, jiro, readCard } = await setUp()
    await readCard()
    const [sample] = portal.mandateProviders
    if (!sample) throw new Error('no demo provider')
    const honest = await sample.port.fetchMandate({
      corporateNumber: '7123456789012',
      referenceNumber: 'POA-2026-0001',
    })
    if (!honest.ok || !honest.value) throw new Error('no demo mandate')
    const mandate = honest.value
    const liar = {
      id: 'sample-mandates',
      name: 'サンプル電子委任状サービス',
      fetchMandate: async () =>
        ok({ ...mandate, providerId: 'someone-else', referenceNumber: 'POA-2026-0009' }),
    }
    const ports = { ...portal.ports, mandateProviders: [liar] }
    const request = {
      sessionId: session.id,
      userId: jiro,
      providerId: 'sample-mandates',
      corporateNumber: '7123456789012',
    }
    expect(await requestMandate(ports)({ ...request, referenceNumber: 'POA-2026-0001' })).toEqual({
      ok: false,
      error: { kind: 'provider-refused' },
    })
    const renamed = { ...liar, fetchMandate: async () => ok({ ...mandate, providerId: 'someone-else' }) }
    expect(
      (
        await requestMandate({ ...ports, mandateProviders: [renamed] })({
          ...request,
          referenceNumber: 'POA-2026-0001',
        })
      ).ok,
    ).toBe(true)
    const review = await reviewMandate(ports)({ sessionId: session.id, userId: jiro })
    expect(review.ok && review.value.mandate.providerId).toBe('sample-mandates')
  })

  it('stands by one card read for 15 minutes, and refuses a mandate that lapsed before [電子委任状更新]', async () => {
    const { portal, session, jiro, readCard, ask } = await setUp()
    await readCard()
    expect((await ask('POA-2026-0001')).ok).toBe(true)
    // The request to the provider is in the audit log, with where it came from.
    expect(portal.state.audit.filter((e) => e.action === 'mandate-request')).toEqual([
      expect.objectContaining({ outcome: 'success', userId: jiro, clientAddress: '192.0.2.7' }),
    ])
    const review = await reviewMandate(portal.ports)({ sessionId: session.id, userId: jiro })
    if (!review.ok) throw new Error(review.error.kind)
    const readAt = portal.clock.now()
    /** [電子委任状更新] `ms` after the card read. */
    const complete = (ms: number) => {
      portal.clock.set(new Date(readAt.getTime() + ms))
      return completeMandateRenewal(portal.ports)({
        sessionId: session.id,
        userId: jiro,
        draftId: review.value.draftId,
      })
    }
    expect(await complete(16 * 60_000)).toEqual({ ok: false, error: { kind: 'card-not-read' } })
    // Within the read's lifetime, but past the mandate's end (POA-2026-0001 runs for a year).
    const lapsed = { ...review.value.mandate, validTo: new Date(readAt.getTime() + 60_000) }
    await portal.ports.drafts.save({
      id: review.value.draftId,
      sessionId: session.id,
      flow: MANDATE_RENEWAL_FLOW,
      payload: { cardReadAt: readAt.toISOString(), mandate: lapsed },
      baseVersion: 0,
    })
    expect(await complete(2 * 60_000)).toMatchObject({
      ok: false,
      error: { kind: 'mandate-problems', problems: [{ kind: 'expired' }] },
    })
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
