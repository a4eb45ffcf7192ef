import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../../adapters/dev/demo-data.ts'
import { contactInput } from '../../../tests/support/contact-input.ts'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { validateUserFields } from '../../domain/account-rules.ts'
import { ADDRESS_CHANGED_SUBJECT, USER_UPDATED_SUBJECT } from '../../domain/mails.ts'
import { startSession } from '../sign-in/sign-in.ts'
import { draftValues } from './staging.ts'
import { completeUserUpdate, prepareUserUpdate, reviewUserUpdate } from './update.ts'

const hanako = DEMO_USER_IDS.hanako

/** The agent's input screen, as the use case gets it. */
const input = (overrides: Parameters<typeof contactInput>[0] = {}) => ({ user: contactInput(overrides) })

/** What the confirm screen carries to [更新]: the id of the draft it showed. */
const shownDraft = async (
  portal: Awaited<ReturnType<typeof memoryPortal>>,
  cmd: { sessionId: string; userId: string },
) => {
  const review = await reviewUserUpdate(portal.ports)(cmd)
  if (!review.ok) throw new Error(`no confirm screen: ${review.error.kind}`)
  return { ...cmd, draftId: review.value.draftId }
}

/** 入札 花子's fields as the demo data has them. */
const portalUserFields = () => ({
  nameKana: 'ニュウサツ ハナコ',
  department: '営業部',
  title: '課長',
  postalCode: '100-0013',
  address: '東京都千代田区霞が関三丁目1番1号',
  phone: '03-1234-5678',
  fax: '03-1234-5679',
  email: 'hanako@sample-shoji.example.jp',
})

const setUp = async () => {
  const portal = await memoryPortal()
  const session = await startSession(portal.ports)()
  const cmd = { sessionId: session.id, userId: hanako }
  return { portal, session, cmd }
}

describe('validateUserFields', () => {
  it('reports every refused field at once, and the confirmation separately', () => {
    const current = portalUserFields()
    const result = validateUserFields(
      contactInput({
        postalCode: '12',
        phone: 'x',
        email: 'a@example.jp',
        emailConfirmation: 'b@example.jp',
      }),
      'agent',
      current,
    )
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(Object.keys(result.error).sort()).toEqual(['emailConfirmation', 'phone', 'postalCode'])
  })
})

describe('F1 for an agent: prepare, review, complete', () => {
  it('writes nothing before the confirm step', async () => {
    const { portal, cmd } = await setUp()
    const before = structuredClone(portal.state.users.get(hanako))
    expect(await prepareUserUpdate(portal.ports)({ ...cmd, input: input() })).toEqual({
      ok: true,
      value: undefined,
    })
    expect(portal.state.users.get(hanako)).toEqual(before)
    expect(portal.state.jobs).toEqual([])
    expect(portal.state.changes.size).toBe(0)
  })

  it('keeps the refused input out of the draft and says which fields are wrong', async () => {
    const { portal, cmd } = await setUp()
    const result = await prepareUserUpdate(portal.ports)({ ...cmd, input: input({ postalCode: 'abc' }) })
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'invalid', userErrors: { postalCode: expect.stringMatching(/郵便番号/) } },
    })
    expect(await draftValues(portal.ports)(cmd.sessionId)).toBeUndefined()
  })

  it('says so when nothing changed', async () => {
    const { portal, cmd } = await setUp()
    const user = portal.state.users.get(hanako)
    if (!user) throw new Error('no demo user')
    const same = {
      title: user.title,
      postalCode: user.postalCode,
      address: user.address,
      phone: user.phone,
      fax: user.fax,
      email: user.email,
      emailConfirmation: user.email,
    }
    expect(await prepareUserUpdate(portal.ports)({ ...cmd, input: { user: same } })).toEqual({
      ok: false,
      error: { kind: 'nothing-changed' },
    })
  })

  it('shows old and new values side by side on review', async () => {
    const { portal, cmd } = await setUp()
    await prepareUserUpdate(portal.ports)({ ...cmd, input: input() })
    const review = await reviewUserUpdate(portal.ports)(cmd)
    expect(review.ok).toBe(true)
    if (!review.ok) return
    expect(review.value.userChanges.find((c) => c.field === 'postalCode')).toEqual({
      field: 'postalCode',
      label: '郵便番号',
      before: '100-0013',
      after: '100-0001',
    })
    expect(review.value.businessChanges).toEqual([])
    expect(review.value.userChanges.map((c) => c.label)).toEqual([
      '役職名',
      '郵便番号',
      '住所',
      '電話番号',
      'FAX番号',
      'メールアドレス',
    ])
  })

  it('commits the change, its audit record, its GEPS job and both mails together', async () => {
    const { portal, cmd } = await setUp()
    await prepareUserUpdate(portal.ports)({ ...cmd, input: input() })
    const done = await completeUserUpdate(portal.ports)({
      ...(await shownDraft(portal, cmd)),
      clientAddress: '192.0.2.1',
    })
    expect(done.ok).toBe(true)
    if (!done.ok) return
    const user = portal.state.users.get(hanako)
    expect(user).toMatchObject({
      title: '部長',
      postalCode: '100-0001',
      email: 'hanako.new@sample-shoji.example.jp',
      version: 2,
    })
    expect(user?.name).toBe('入札 花子')
    expect(user?.department).toBe('営業部')
    expect(portal.state.changes.get(done.value.changeId)?.sync.state).toBe('waiting')
    expect(portal.state.jobs).toEqual([
      { queue: 'geps-sync', data: { changeId: done.value.changeId, userId: DEMO_USER_IDS.hanako } },
      {
        queue: 'mail',
        data: expect.objectContaining({
          to: 'hanako.new@sample-shoji.example.jp',
          subject: USER_UPDATED_SUBJECT,
        }),
      },
      {
        queue: 'mail',
        data: expect.objectContaining({
          to: 'hanako@sample-shoji.example.jp',
          subject: ADDRESS_CHANGED_SUBJECT,
        }),
      },
    ])
    expect(portal.state.audit.at(-1)).toMatchObject({
      action: 'user-contact-updated',
      userId: hanako,
      clientAddress: '192.0.2.1',
    })
  })

  it('mails only the registered address when the address did not change', async () => {
    const { portal, cmd } = await setUp()
    await prepareUserUpdate(portal.ports)({
      ...cmd,
      input: input({
        email: 'hanako@sample-shoji.example.jp',
        emailConfirmation: 'hanako@sample-shoji.example.jp',
      }),
    })
    await completeUserUpdate(portal.ports)(await shownDraft(portal, cmd))
    expect(portal.state.jobs.filter((j) => j.queue === 'mail').map((j) => j.data.to)).toEqual([
      'hanako@sample-shoji.example.jp',
    ])
  })

  it('commits once however often the final step is posted', async () => {
    const { portal, cmd } = await setUp()
    await prepareUserUpdate(portal.ports)({ ...cmd, input: input() })
    const shown = await shownDraft(portal, cmd)
    const [first, second] = await Promise.all([
      completeUserUpdate(portal.ports)(shown),
      completeUserUpdate(portal.ports)(shown),
    ])
    const third = await completeUserUpdate(portal.ports)(shown)
    expect(first.ok && second.ok && third.ok).toBe(true)
    if (!first.ok || !second.ok || !third.ok) return
    expect(second.value.changeId).toBe(first.value.changeId)
    expect(third.value.changeId).toBe(first.value.changeId)
    expect(portal.state.changes.size).toBe(1)
    expect(portal.state.jobs.filter((j) => j.queue === 'geps-sync')).toHaveLength(1)
    expect(portal.state.users.get(hanako)?.version).toBe(2)
  })

  it('refuses to overwrite a change made meanwhile, and leaves nothing behind', async () => {
    const { portal, cmd } = await setUp()
    await prepareUserUpdate(portal.ports)({ ...cmd, input: input() })
    const shown = await shownDraft(portal, cmd)
    // Someone else updates the same user between confirm and complete.
    const other = await startSession(portal.ports)()
    await prepareUserUpdate(portal.ports)({
      sessionId: other.id,
      userId: hanako,
      input: input({ title: '次長' }),
    })
    await completeUserUpdate(portal.ports)(await shownDraft(portal, { sessionId: other.id, userId: hanako }))
    const jobsBefore = portal.state.jobs.length
    const late = await completeUserUpdate(portal.ports)(shown)
    expect(late).toMatchObject({ ok: false, error: { kind: 'changed-by-someone-else' } })
    expect(portal.state.users.get(hanako)?.title).toBe('次長')
    expect(portal.state.jobs.length).toBe(jobsBefore)
    expect(portal.state.changes.size).toBe(1)
  })

  it('has no draft to complete without the confirm step', async () => {
    const { portal, cmd } = await setUp()
    expect(await completeUserUpdate(portal.ports)({ ...cmd, draftId: 'none' })).toEqual({
      ok: false,
      error: { kind: 'no-draft' },
    })
  })

  it('commits only the draft the confirm screen showed, not one a later [確認] put in its place', async () => {
    const { portal, cmd } = await setUp()
    await prepareUserUpdate(portal.ports)({ ...cmd, input: input({ title: 'タブA' }) })
    const tabA = await shownDraft(portal, cmd)
    await prepareUserUpdate(portal.ports)({ ...cmd, input: input({ title: 'タブB' }) })
    const tabB = await shownDraft(portal, cmd)
    expect(await completeUserUpdate(portal.ports)(tabA)).toEqual({
      ok: false,
      error: { kind: 'draft-replaced' },
    })
    expect(portal.state.users.get(hanako)?.title).toBe('課長')
    expect(portal.state.jobs).toEqual([])
    const done = await completeUserUpdate(portal.ports)(tabB)
    expect(done.ok).toBe(true)
    expect(portal.state.users.get(hanako)?.title).toBe('タブB')
    // The old screen, posted again after the new one completed, still commits nothing.
    expect(await completeUserUpdate(portal.ports)(tabA)).toEqual({
      ok: false,
      error: { kind: 'draft-replaced' },
    })
  })
})
