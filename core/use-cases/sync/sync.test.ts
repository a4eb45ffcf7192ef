/**
 * Delivery to GEPS over in-memory ports: who is told of a 連携失敗 and when (once, and again only
 * when a re-drive goes through), and that an outcome arriving late never takes back 連携完了.
 */
import { describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../../adapters/dev/demo-data.ts'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { NO_USER_FIELDS } from '../../domain/account.ts'
import { SYNC_FAILED_SUBJECT, SYNC_RECOVERED_SUBJECT } from '../../domain/mails.ts'
import type { UserChange, UserMail } from '../../ports.ts'
import { deliverChangeToGeps } from './sync.ts'

let receipts = 0

const setUp = async () => {
  const portal = await memoryPortal()
  const businessId = (await portal.ports.accounts.findUser(DEMO_USER_IDS.taro))?.businessId ?? ''
  const record = async (userId: string, fields: Partial<UserChange> = {}): Promise<UserChange> => {
    const now = portal.clock.now()
    const id = crypto.randomUUID()
    const change: UserChange = {
      id,
      receiptNumber: `20261127-${String(++receipts).padStart(6, '0')}`,
      userId,
      businessId,
      kind: 'user-contact-updated',
      before: NO_USER_FIELDS,
      after: { ...NO_USER_FIELDS, title: '部長' },
      createdAt: now,
      sync: { state: 'waiting', attempts: 0, updatedAt: now },
      ...fields,
    }
    await portal.ports.unitOfWork.run((tx) => tx.changes.record(change))
    return change
  }
  const deliver = (changeId: string, finalAttempt = false) =>
    deliverChangeToGeps(portal.ports)({ changeId, finalAttempt })
  const mails = (subject: string) =>
    portal.state.jobs.flatMap((j) =>
      j.queue === 'mail' && j.data.subject === subject ? [j.data as UserMail] : [],
    )
  return { portal, record, deliver, mails }
}

describe('a change GEPS does not take', () => {
  it('tells its user once, with the 受付番号, whether refused or out of tries, and not while it retries', async () => {
    const { portal, record, deliver, mails } = await setUp()
    const change = await record(DEMO_USER_IDS.hanako)
    portal.geps.failNext('transient', 'transient', 'permanent')
    await deliver(change.id)
    expect((await portal.ports.changes.find(change.id))?.sync.state).toBe('retrying')
    expect(mails(SYNC_FAILED_SUBJECT)).toEqual([])
    await deliver(change.id, true) // the last try, failing for a passing reason: given up
    expect((await portal.ports.changes.find(change.id))?.sync.state).toBe('failed')
    const [notice, ...more] = mails(SYNC_FAILED_SUBJECT)
    expect(more).toEqual([])
    expect(notice).toMatchObject({ userId: DEMO_USER_IDS.hanako, to: 'hanako@sample-shoji.example.jp' })
    expect(notice?.text).toContain(`受付番号: ${change.receiptNumber}`)
    expect(notice?.text).not.toContain(change.id)
    // Re-driven, refused again: 連携失敗 still, and no second notice.
    await deliver(change.id)
    expect((await portal.ports.changes.find(change.id))?.sync).toMatchObject({ state: 'failed', attempts: 3 })
    expect(mails(SYNC_FAILED_SUBJECT)).toHaveLength(1)
    // Re-driven once more, taken: 連携完了, and she learns it.
    expect((await deliver(change.id)).ok).toBe(true)
    const [recovered, ...moreRecovered] = mails(SYNC_RECOVERED_SUBJECT)
    expect(moreRecovered).toEqual([])
    expect(recovered?.to).toBe('hanako@sample-shoji.example.jp')
    expect(recovered?.text).toContain(`受付番号: ${change.receiptNumber}`)
    expect(recovered?.text).not.toContain(change.id)
    // Sent again after that (a job handed out twice): nothing more.
    await deliver(change.id)
    expect(mails(SYNC_RECOVERED_SUBJECT)).toHaveLength(1)
  })

  it('tells the representative of a change of the business, and of an agent who was deleted', async () => {
    const { portal, record, deliver, mails } = await setUp()
    const business = await portal.ports.accounts.findBusiness(
      (await portal.ports.accounts.findUser(DEMO_USER_IDS.hanako))?.businessId ?? '',
    )
    if (!business) throw new Error('no demo business')
    const { id: _, corporateNumber: __, version: ___, ...fields } = business
    const ofBusiness = await record(DEMO_USER_IDS.taro, {
      business: { before: fields, after: { ...fields, phone: '03-1111-2222' } },
    })
    portal.geps.failNext('permanent')
    await deliver(ofBusiness.id)
    expect(mails(SYNC_FAILED_SUBJECT).map((m) => m.to)).toEqual(['taro@sample-shoji.example.jp'])

    const deletion = await record(DEMO_USER_IDS.jiro, { kind: 'user-deleted', madeByName: '委任 次郎' })
    portal.geps.failNext('permanent')
    await deliver(deletion.id)
    const [, toRepresentative] = mails(SYNC_FAILED_SUBJECT)
    expect(toRepresentative).toMatchObject({ userId: DEMO_USER_IDS.taro, to: 'taro@sample-shoji.example.jp' })
    expect(toRepresentative?.text).toContain('貴社の利用者（委任 次郎）の手続き')
    expect(toRepresentative?.text).toContain('利用者情報削除')
  })

  it('tells of the recovery even when another delivery gave up and told of the failure meanwhile', async () => {
    const { portal, record, mails } = await setUp()
    const change = await record(DEMO_USER_IDS.hanako)
    // This delivery reads the change (no notice yet); while GEPS answers it, another delivery of
    // the same change gives up and tells her of the 連携失敗.
    const geps = portal.ports.geps
    const ports = {
      ...portal.ports,
      geps: {
        ...geps,
        syncUserChange: async (request: Parameters<typeof geps.syncUserChange>[0]) => {
          await portal.ports.changes.recordSync(change.id, {
            state: 'failed',
            at: portal.clock.now(),
            error: 'x',
          })
          await portal.ports.changes.markFailureNotified(change.id, portal.clock.now())
          return geps.syncUserChange(request)
        },
      },
    }
    expect((await deliverChangeToGeps(ports)({ changeId: change.id, finalAttempt: false })).ok).toBe(true)
    expect((await portal.ports.changes.find(change.id))?.sync.state).toBe('done')
    expect(mails(SYNC_RECOVERED_SUBJECT)).toHaveLength(1)
  })

  it('never takes back 連携完了: a late failure of another delivery records nothing', async () => {
    const { portal, record, deliver } = await setUp()
    const change = await record(DEMO_USER_IDS.hanako)
    expect((await deliver(change.id)).ok).toBe(true)
    expect(
      await portal.ports.changes.recordSync(change.id, {
        state: 'retrying',
        at: portal.clock.now(),
        error: 'late',
      }),
    ).toBeUndefined()
    expect((await portal.ports.changes.find(change.id))?.sync).toMatchObject({ state: 'done', attempts: 1 })
  })
})

describe('the reads of a delivery', () => {
  it('begin the user’s reads with the change’s when the job names the user, and read the change’s own user when it names another', async () => {
    const { portal, record } = await setUp()
    const asked: string[] = []
    const { changes, accounts, mandates } = portal.ports
    const ports = {
      ...portal.ports,
      changes: {
        ...changes,
        find: async (id: string) => {
          asked.push('change')
          await new Promise((r) => setTimeout(r, 10))
          asked.push('change found')
          return changes.find(id)
        },
      },
      accounts: {
        ...accounts,
        findUserOverview: async (id: string) => {
          asked.push(`overview ${id}`)
          return accounts.findUserOverview(id)
        },
      },
      mandates: {
        ...mandates,
        findForUser: async (id: string) => {
          asked.push(`mandate ${id}`)
          return mandates.findForUser(id)
        },
      },
    }
    const hanako = await record(DEMO_USER_IDS.hanako)
    await deliverChangeToGeps(ports)({
      changeId: hanako.id,
      userId: DEMO_USER_IDS.hanako,
      finalAttempt: false,
    })
    expect(asked).toEqual([
      `overview ${DEMO_USER_IDS.hanako}`,
      `mandate ${DEMO_USER_IDS.hanako}`,
      'change',
      'change found',
    ])
    // A job that names someone else (made by a version that put another id there): the change decides.
    asked.length = 0
    const taro = await record(DEMO_USER_IDS.taro)
    await deliverChangeToGeps(ports)({ changeId: taro.id, userId: DEMO_USER_IDS.hanako, finalAttempt: false })
    expect(asked.slice(-2)).toEqual([`overview ${DEMO_USER_IDS.taro}`, `mandate ${DEMO_USER_IDS.taro}`])
    expect(portal.geps.requests.at(-1)?.user.userId).toBe(DEMO_USER_IDS.taro)
    expect((await changes.find(taro.id))?.sync.state).toBe('done')
  })
})
