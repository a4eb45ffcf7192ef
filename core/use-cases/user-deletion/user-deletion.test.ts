/** F4 over in-memory ports: who may delete, the card it takes, and what one [削除] leaves behind. */
import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../../adapters/dev/demo-data.ts'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { NO_USER_FIELDS } from '../../domain/account.ts'
import { AGENT_DELETED_SUBJECT, USER_DELETED_SUBJECT } from '../../domain/mails.ts'
import type { UserChange } from '../../ports.ts'
import { issueChallenge, startSession } from '../sign-in/sign-in.ts'
import {
  deleteAgent,
  readCardForDeletion,
  reviewDeletion,
  USER_DELETION_FLOW,
  viewDeletion,
} from './user-deletion.ts'

const setUp = async () => {
  const portal = await memoryPortal()
  const jiro = DEMO_USER_IDS.jiro
  /** A session signed in as `userId`. */
  const signedIn = async (userId: string) => {
    const session = await startSession(portal.ports)()
    const stored = portal.state.sessions.get(session.id)
    if (stored) stored.userId = userId
    return session
  }
  const session = await signedIn(jiro)
  const readCard = async (userId: string = jiro, cardId = 'jiro-mynumber', pin = '4321') => {
    await issueChallenge(portal.ports)(session.id)
    return readCardForDeletion(portal.ports)({
      sessionId: session.id,
      userId,
      input: { kind: 'reader', cardId, pin },
    })
  }
  const draftId = async () => {
    const review = await reviewDeletion(portal.ports)({ sessionId: session.id, userId: jiro })
    if (!review.ok) throw new Error(review.error.kind)
    return review.value.draftId
  }
  return { portal, session, jiro, readCard, draftId, signedIn }
}

describe('F4 利用者情報削除', () => {
  it('takes only the agent’s own card, read with the user-authentication PIN', async () => {
    const { readCard } = await setUp()
    expect(await readCard(DEMO_USER_IDS.jiro, 'jiro-mynumber-signing', 'ABC123')).toEqual({
      ok: false,
      error: { kind: 'not-authentication-certificate' },
    })
    expect(await readCard(DEMO_USER_IDS.jiro, 'jiro-mynumber-renewed', '4321')).toEqual({
      ok: false,
      error: { kind: 'not-your-card' },
    })
    expect(await readCard(DEMO_USER_IDS.jiro, 'jiro-mynumber', '0000')).toMatchObject({
      ok: false,
      error: { kind: 'card', error: { kind: 'wrong-pin' } },
    })
    expect(await readCard()).toEqual({ ok: true, value: undefined })
  })

  it('lets no one but a My Number agent begin or finish, and changes nothing for them', async () => {
    const { portal, session, readCard, draftId, signedIn } = await setUp()
    expect(await readCard(DEMO_USER_IDS.hanako, 'hanako-file', 'hanako-2026')).toEqual({
      ok: false,
      error: { kind: 'forbidden' },
    })
    // In a session of her own, with no card read: refused for who she is, not for a missing step.
    const hers = await signedIn(DEMO_USER_IDS.hanako)
    expect(
      await deleteAgent(portal.ports)({ sessionId: hers.id, userId: DEMO_USER_IDS.hanako, draftId: 'any' }),
    ).toEqual({ ok: false, error: { kind: 'forbidden' } })
    expect((await readCard()).ok).toBe(true)
    const id = await draftId()
    for (const userId of [DEMO_USER_IDS.hanako, DEMO_USER_IDS.taro]) {
      expect(await deleteAgent(portal.ports)({ sessionId: session.id, userId, draftId: id })).toEqual({
        ok: false,
        error: { kind: 'forbidden' },
      })
    }
    expect(portal.state.users.has(DEMO_USER_IDS.jiro)).toBe(true)
    expect(portal.state.changes.size).toBe(0)
    expect(portal.state.jobs).toEqual([])
  })

  it('shows nothing and deletes nothing before the card is read, or 15 minutes after', async () => {
    const { portal, session, jiro, readCard, draftId } = await setUp()
    expect(await reviewDeletion(portal.ports)({ sessionId: session.id, userId: jiro })).toEqual({
      ok: false,
      error: { kind: 'card-not-read' },
    })
    expect((await readCard()).ok).toBe(true)
    const id = await draftId()
    expect(
      await deleteAgent(portal.ports)({ sessionId: session.id, userId: jiro, draftId: 'another' }),
    ).toEqual({
      ok: false,
      error: { kind: 'draft-replaced' },
    })
    portal.clock.advance(16 * 60_000)
    expect(await deleteAgent(portal.ports)({ sessionId: session.id, userId: jiro, draftId: id })).toEqual({
      ok: false,
      error: { kind: 'card-not-read' },
    })
    expect(portal.state.users.has(jiro)).toBe(true)
  })

  it('deletes him with all he holds, records the deletion with ids only, and leaves a new session to show it', async () => {
    const { portal, session, jiro, readCard, draftId, signedIn } = await setUp()
    const elsewhere = await signedIn(jiro)
    const hanakos = await signedIn(DEMO_USER_IDS.hanako)
    // What else holds his data: a change of his with its jobs, beside one of hers, and an F2
    // draft naming him in a session that is no one's.
    const change = (id: string, userId: string): UserChange => ({
      id,
      receiptNumber: `20261127-${id}`,
      userId,
      businessId: '00000000-0000-4000-8000-000000000001',
      kind: 'user-contact-updated',
      before: { ...NO_USER_FIELDS, email: `${id}@example.jp` },
      after: { ...NO_USER_FIELDS, email: `${id}@example.jp` },
      createdAt: portal.clock.now(),
      sync: { state: 'waiting', attempts: 0, updatedAt: portal.clock.now() },
    })
    const mail = (userId: string) => ({
      userId,
      idempotencyKey: userId,
      to: 'x@example.jp',
      subject: 's',
      text: 't',
    })
    await portal.ports.unitOfWork.run(async (tx) => {
      for (const [id, userId] of [
        ['his', jiro],
        ['hers', DEMO_USER_IDS.hanako],
      ] as const) {
        await tx.changes.record(change(id, userId))
        await tx.jobs.enqueue({ queue: 'geps-sync', data: { changeId: id, userId } })
        await tx.jobs.enqueue({ queue: 'mail', data: mail(userId) })
      }
    })
    const anonymous = await startSession(portal.ports)()
    await portal.ports.drafts.save({
      id: 'f2',
      sessionId: anonymous.id,
      flow: 'renewal',
      payload: {},
      baseVersion: 0,
      userId: jiro,
    })
    expect((await readCard()).ok).toBe(true)
    const review = await reviewDeletion(portal.ports)({ sessionId: session.id, userId: jiro })
    expect(review).toMatchObject({
      ok: true,
      value: { user: { name: '委任 次郎' }, mandate: { referenceNumber: 'POA-2025-0042' } },
    })
    expect(review.ok && review.value.certificates).toHaveLength(2)

    const done = await deleteAgent(portal.ports)({
      sessionId: session.id,
      userId: jiro,
      draftId: await draftId(),
      clientAddress: '192.0.2.1',
    })
    if (!done.ok) throw new Error(done.error.kind)
    const { changeId } = done.value
    expect(portal.state.users.has(jiro)).toBe(false)
    expect([...portal.state.certificates.values()].filter((c) => c.userId === jiro)).toEqual([])
    expect(portal.state.mandates.has(jiro)).toBe(false)
    expect([...portal.state.notices.values()].filter((n) => n.userId === jiro)).toEqual([])
    expect(portal.state.sessions.has(session.id)).toBe(false)
    expect(portal.state.sessions.has(elsewhere.id)).toBe(false)
    expect(portal.state.sessions.has(hanakos.id)).toBe(true)
    expect(portal.state.users.has(DEMO_USER_IDS.hanako)).toBe(true)
    // His change stays as a record of the business: his name, its kind; no values.
    expect(portal.state.changes.get('his')).toMatchObject({
      madeByName: '委任 次郎',
      erasedFields: [],
      before: NO_USER_FIELDS,
      sync: { state: 'superseded' },
    })
    expect(JSON.stringify(portal.state.changes.get('his'))).not.toContain('his@example.jp')
    expect(portal.state.changes.has('hers')).toBe(true)
    expect(portal.state.drafts.has('f2')).toBe(false)
    expect(portal.state.sessions.has(anonymous.id)).toBe(true)

    expect(portal.state.changes.get(changeId)).toMatchObject({
      kind: 'user-deleted',
      userId: jiro,
      before: { email: '', nameKana: '' },
      after: { email: '', nameKana: '' },
    })
    // His jobs are forgotten, hers stay; the deletion's own are left: its GEPS job and two mails,
    // to the address he had and to the representative, each forgotten once sent.
    expect(portal.state.jobs).toEqual([
      { queue: 'geps-sync', data: { changeId: 'hers', userId: DEMO_USER_IDS.hanako } },
      { queue: 'mail', data: mail(DEMO_USER_IDS.hanako) },
      { queue: 'geps-sync', data: { changeId, userId: jiro } },
      {
        queue: 'mail',
        data: expect.objectContaining({
          userId: jiro,
          to: 'jiro@sample-shoji.example.jp',
          subject: USER_DELETED_SUBJECT,
          forgetOnceSent: true,
        }),
      },
      {
        queue: 'mail',
        data: expect.objectContaining({
          userId: DEMO_USER_IDS.taro,
          to: 'taro@sample-shoji.example.jp',
          subject: AGENT_DELETED_SUBJECT,
          text: expect.stringContaining('サンプル電子委任状サービス（受付番号 POA-2025-0042）'),
          forgetOnceSent: true,
        }),
      },
    ])
    expect(portal.state.audit.at(-1)).toMatchObject({
      action: 'user-deleted',
      userId: jiro,
      clientAddress: '192.0.2.1',
      detail: { changeId },
    })
    // The new session is no one's, and it alone shows the completion screen.
    const fresh = portal.state.sessions.get(done.value.sessionId)
    expect(fresh?.id).toBe(done.value.sessionId)
    expect(fresh?.userId).toBeUndefined()
    const view = viewDeletion(portal.ports)
    expect((await view({ sessionId: done.value.sessionId, changeId }))?.id).toBe(changeId)
    expect(await view({ sessionId: elsewhere.id, changeId })).toBeUndefined()
    expect(
      (await portal.ports.drafts.find(done.value.sessionId, USER_DELETION_FLOW))?.completedChangeId,
    ).toBe(changeId)
    // A second [削除] that waited for the first finds him gone, and says so.
    expect(await deleteAgent(portal.ports)({ sessionId: session.id, userId: jiro, draftId: 'any' })).toEqual({
      ok: false,
      error: { kind: 'already-deleted' },
    })
  })
})
