import { describe, expect, it } from 'vitest'
import { startSession } from '../../core/use-cases/sign-in/sign-in.ts'
import { draftValues } from '../../core/use-cases/user-update/staging.ts'
import {
  completeUserUpdate,
  prepareUserUpdate,
  reviewUserUpdate,
} from '../../core/use-cases/user-update/update.ts'
import { contactInput } from '../../tests/support/contact-input.ts'
import { memoryPortal } from '../../tests/support/memory-portal.ts'
import { DEMO_USER_IDS } from '../dev/demo-data.ts'
import { CertificateCodec, decodeDraft, MandateCodec } from './draft-formats.zod.ts'

/** What the database gives back for a payload: JSON, its dates as text. */
const throughJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

describe('a draft read back', () => {
  it('has its dates as dates again', () => {
    const certificate = {
      id: 'c1',
      userId: 'u1',
      fingerprint: 'ab',
      serialNumber: '01',
      subject: 'CN=x',
      issuer: 'CN=y',
      notBefore: new Date('2026-04-01T00:00:00Z'),
      notAfter: new Date('2027-03-31T14:59:59Z'),
    }
    const decoded = decodeDraft(CertificateCodec, throughJson(certificate))
    expect(decoded).toEqual(certificate)
    expect(decoded?.notAfter).toBeInstanceOf(Date)
  })

  it('is refused when it is not what its flow wrote: a missing field, a wrong type, a date that is none', () => {
    const mandate = {
      delegator: { corporateNumber: '7123456789012', businessName: 'x', representativeName: 'y' },
      delegate: { name: 'z' },
      authorities: ['政府電子調達手続'],
      validFrom: '2026-04-01T00:00:00.000Z',
      validTo: '2027-03-31T00:00:00.000Z',
      providerId: 'p',
      referenceNumber: 'POA-1',
    }
    expect(decodeDraft(MandateCodec, mandate)?.validTo).toEqual(new Date('2027-03-31T00:00:00.000Z'))
    expect(decodeDraft(MandateCodec, { ...mandate, delegate: undefined })).toBeUndefined()
    expect(decodeDraft(MandateCodec, { ...mandate, authorities: 'all' })).toBeUndefined()
    for (const notADate of ['soon', null, 0, true, '2027-03-31'])
      expect(decodeDraft(MandateCodec, { ...mandate, validTo: notADate }), String(notADate)).toBeUndefined()
    expect(decodeDraft(MandateCodec, null)).toBeUndefined()
  })

  it('that does not fit is no draft: F1 shows no confirm screen and commits nothing', async () => {
    const portal = await memoryPortal()
    const session = await startSession(portal.ports)()
    const cmd = { sessionId: session.id, userId: DEMO_USER_IDS.hanako }
    const prepared = await prepareUserUpdate(portal.ports)({
      ...cmd,
      input: { user: contactInput({ title: '部長' }) },
    })
    expect(prepared.ok).toBe(true)
    const review = await reviewUserUpdate(portal.ports)(cmd)
    if (!review.ok) throw new Error(review.error.kind)
    // What an older portal, or a hand in the database, left in its place.
    const draft = portal.state.drafts.get(review.value.draftId)
    if (!draft) throw new Error('no draft stored')
    portal.state.drafts.set(draft.id, { ...draft, payload: { user: { title: 42 } } })

    expect(await reviewUserUpdate(portal.ports)(cmd)).toEqual({ ok: false, error: { kind: 'no-draft' } })
    expect(await draftValues(portal.ports)(cmd.sessionId)).toBeUndefined()
    const completed = await completeUserUpdate(portal.ports)({ ...cmd, draftId: draft.id })
    expect(completed).toEqual({ ok: false, error: { kind: 'no-draft' } })
    expect(portal.state.users.get(DEMO_USER_IDS.hanako)?.title).toBe('課長')
  })
})
