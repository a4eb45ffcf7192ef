/**
 * F1's [確認] (the input checked against the role and the rules, kept as the session's draft), the
 * 確認画面, and [更新], which commits the change, its audit record, its GEPS sync job and its mails
 * in one transaction, once, however often it is posted.
 */
import {
  type BusinessFields,
  businessFieldChanges,
  businessFieldsOf,
  type Certificate,
  type FieldChange,
  isMyNumberAgent,
  type UserFields,
  userFieldChanges,
  userFieldsOf,
} from '../../domain/account.ts'
import {
  forbiddenUserFields,
  validateBusinessFields,
  validateUserFields,
} from '../../domain/account-rules.ts'
import { addressChangedMail, userUpdatedMail } from '../../domain/mails.ts'
import {
  applyStaged,
  clashMessage,
  findClash,
  periodName,
  type Qualification,
} from '../../domain/qualifications.ts'
import { receiptNumberOf } from '../../domain/receipt-numbers.ts'
import { isId, newId } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type { UserChange, UserOverview } from '../../ports.ts'
import { commitChange } from '../shared/completed-change.ts'
import { loadStaging, loadUserOverview, saveStaging } from './staging.ts'
import {
  type DraftPayload,
  NOTHING_STAGED,
  payloadOf,
  type StagedCertificate,
  type UpdateInput,
  USER_UPDATE_FLOW,
  type UserUpdateError,
  type UserUpdatePorts,
} from './user-update.ts'

/** [確認]: checks the input against the role and the rules, and keeps it as the session's draft. */
export const prepareUserUpdate =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: UpdateInput
  }): Promise<Result<void, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    const { user, business } = overview.value
    const representative = user.role === 'representative'
    const staging = await loadStaging(ports)(cmd.sessionId)
    const qualificationChanges = {
      added: staging.qualifications.added,
      removed: overview.value.qualifications.filter((q) => staging.qualifications.removed.includes(q.id)),
    }
    const qualificationsChanged = qualificationChanges.added.length + qualificationChanges.removed.length > 0
    // Someone may have registered the same kind for the cycle since it was staged.
    const clash = findClash(applyStaged(overview.value.qualifications, staging.qualifications))
    if (clash) return err({ kind: 'invalid-qualification', errors: { kind: clashMessage(clash) } })
    const certificateChanges = {
      added: staging.certificates.added,
      removed: overview.value.certificates.filter((c) => staging.certificates.removed.includes(c.id)),
    }
    const certificatesChanged = certificateChanges.added.length + certificateChanges.removed.length > 0
    const forbidden =
      forbiddenUserFields(cmd.input.user, user.role).length > 0 ||
      ((cmd.input.business || qualificationsChanged) && !representative) ||
      (certificatesChanged && isMyNumberAgent(user))
    if (forbidden) return err({ kind: 'forbidden' })
    const userFields = validateUserFields(cmd.input.user, user.role, userFieldsOf(user))
    const businessFields = cmd.input.business ? validateBusinessFields(cmd.input.business) : undefined
    if (!userFields.ok || (businessFields && !businessFields.ok)) {
      return err({
        kind: 'invalid',
        userErrors: userFields.ok ? {} : userFields.error,
        businessErrors: businessFields && !businessFields.ok ? businessFields.error : {},
      })
    }
    const businessChanged =
      businessFields?.ok && businessFieldChanges(businessFieldsOf(business), businessFields.value).length > 0
    const userChanged = userFieldChanges(userFieldsOf(user), userFields.value).length > 0
    if (!userChanged && !businessChanged && !qualificationsChanged && !certificatesChanged) {
      return err({ kind: 'nothing-changed' })
    }
    // The business's version guards its qualifications as well as its fields.
    const payload: DraftPayload = {
      user: userFields.value,
      userBase: userFieldsOf(user),
      business:
        businessChanged || qualificationsChanged
          ? {
              fields:
                businessChanged && businessFields?.ok ? businessFields.value : businessFieldsOf(business),
              base: businessFieldsOf(business),
              baseVersion: business.version,
            }
          : undefined,
      qualifications: qualificationsChanged ? qualificationChanges : undefined,
      certificates: certificatesChanged ? certificateChanges : undefined,
    }
    await ports.drafts.save({
      id: newId(),
      sessionId: cmd.sessionId,
      flow: USER_UPDATE_FLOW,
      payload,
      baseVersion: user.version,
    })
    // The draft now holds what was typed; a copy kept for the card read would only be older.
    if (staging.typed || staging.typedQualification) {
      await saveStaging(ports, cmd.sessionId, { ...staging, typed: undefined, typedQualification: undefined })
    }
    return ok(undefined)
  }

export type UserUpdateReview = {
  overview: UserOverview
  userChanges: FieldChange[]
  businessChanges: FieldChange[]
  qualificationChanges: { added: Qualification[]; removed: Qualification[] }
  certificateChanges: { added: StagedCertificate[]; removed: Certificate[] }
  draft: { user: UserFields; business?: BusinessFields }
  /** Travels with the confirm screen's [更新], so that what is committed is what was shown. */
  draftId: string
}

/** 利用者情報の更新確認画面: the draft beside the current values. */
export const reviewUserUpdate =
  (ports: UserUpdatePorts) =>
  async (cmd: { sessionId: string; userId: string }): Promise<Result<UserUpdateReview, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    const draft = await ports.drafts.find(cmd.sessionId, USER_UPDATE_FLOW)
    const payload = draft && !draft.completedChangeId ? payloadOf(ports, draft.payload) : undefined
    if (!draft || !payload) return err({ kind: 'no-draft' })
    const { user, business } = overview.value
    return ok({
      overview: overview.value,
      userChanges: userFieldChanges(userFieldsOf(user), payload.user),
      businessChanges: payload.business
        ? businessFieldChanges(businessFieldsOf(business), payload.business.fields)
        : [],
      qualificationChanges: payload.qualifications ?? { added: [], removed: [] },
      certificateChanges: payload.certificates ?? { added: [], removed: [] },
      draft: { user: payload.user, business: payload.business?.fields },
      draftId: draft.id,
    })
  }

/**
 * [更新]: commits the draft that the confirm screen showed. A second post of the same screen returns
 * the first change, unchanged; a screen whose draft another [確認] replaced commits nothing; a
 * draft based on data someone else has changed since commits nothing either, and says what changed.
 */
export const completeUserUpdate =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    draftId: string
    clientAddress?: string
  }): Promise<Result<{ changeId: string }, UserUpdateError>> => {
    return ports.unitOfWork.run(async (tx): Promise<Result<{ changeId: string }, UserUpdateError>> => {
      // The user's row, then the draft: the order every completion and F4 take their locks in.
      // Statements issued together (Promise.all) leave together: one round trip for each group.
      const user = await tx.accounts.findUserForUpdate(cmd.userId)
      const [draft, business] = await Promise.all([
        tx.drafts.findForCompletion(cmd.sessionId, USER_UPDATE_FLOW),
        user && tx.accounts.findBusiness(user.businessId),
      ])
      if (!draft) return err({ kind: 'no-draft' })
      if (draft.id !== cmd.draftId) return err({ kind: 'draft-replaced' })
      if (draft.completedChangeId) return ok({ changeId: draft.completedChangeId })
      if (!user || !business) return err({ kind: 'user-not-found' })
      const payload = payloadOf(ports, draft.payload)
      if (!payload) return err({ kind: 'no-draft' })

      const userBefore = userFieldsOf(user)
      const businessBefore = businessFieldsOf(business)
      // What someone else changed since the draft was made: its base beside the values now.
      const theirs = [
        ...(user.version !== draft.baseVersion ? userFieldChanges(payload.userBase, userBefore) : []),
        ...(payload.business && business.version !== payload.business.baseVersion
          ? businessFieldChanges(payload.business.base, businessBefore)
          : []),
      ]
      // The receipt's number is drawn with the writes: a sequence, whose numbers a rollback skips anyway.
      const [userWritten, businessWritten, receiptSequence] = await Promise.all([
        tx.accounts.updateUser(user.id, draft.baseVersion, payload.user),
        !payload.business ||
          tx.accounts.updateBusiness(business.id, payload.business.baseVersion, payload.business.fields),
        tx.changes.nextReceiptSequence(),
      ])
      if (!userWritten || !businessWritten) return err({ kind: 'changed-by-someone-else', changes: theirs })
      let sessionsEnded = 0
      if (payload.certificates) {
        const { added, removed } = payload.certificates
        const now = ports.clock.now()
        for (const c of added) {
          // Since it was read, it may have expired, or someone else may have registered it.
          if (c.notAfter < now) {
            return err({
              kind: 'certificate-refused',
              reason: { kind: 'certificate', error: { kind: 'expired', notAfter: c.notAfter } },
            })
          }
          if (await tx.accounts.findCertificateByFingerprint(c.fingerprint)) {
            return err({ kind: 'certificate-refused', reason: { kind: 'already-registered' } })
          }
        }
        const remaining = (await tx.accounts.listCertificates(user.id)).filter(
          (c) => !removed.some((r) => r.id === c.id),
        )
        if (remaining.length + added.length === 0) return err({ kind: 'last-certificate' })
        const registered = await tx.accounts.changeCertificates(user.id, {
          added: added.map((c) => ({ ...c, userId: user.id })),
          removed: removed.map((c) => c.id),
        })
        if (!registered) return err({ kind: 'certificate-refused', reason: { kind: 'already-registered' } })
        // A removed certificate opens nothing any more: the sessions it signed in elsewhere end.
        // This session proved itself with a card read; it stays, bound to a certificate still registered.
        const stillRegistered = remaining[0]?.fingerprint ?? added[0]?.fingerprint ?? ''
        sessionsEnded = await tx.sessions.endSignedInWith(
          removed.map((c) => c.fingerprint),
          cmd.sessionId,
          stillRegistered,
        )
      }
      if (payload.qualifications) {
        // The business's version guards this, but a clash must never reach the unique key as a 500.
        const after = applyStaged(await tx.accounts.listQualifications(business.id), {
          added: payload.qualifications.added,
          removed: payload.qualifications.removed.map((q) => q.id),
        })
        const clash = findClash(after)
        if (clash) return err({ kind: 'invalid-qualification', errors: { kind: clashMessage(clash) } })
        await tx.accounts.changeQualifications(business.id, {
          added: payload.qualifications.added,
          removed: payload.qualifications.removed.map((q) => q.id),
        })
      }

      const now = ports.clock.now()
      const change: UserChange = {
        id: newId(),
        receiptNumber: receiptNumberOf(now, receiptSequence),
        userId: user.id,
        businessId: user.businessId,
        kind: 'user-contact-updated',
        before: userBefore,
        after: payload.user,
        business: payload.business ? { before: businessBefore, after: payload.business.fields } : undefined,
        qualifications: payload.qualifications,
        certificates: payload.certificates,
        createdAt: now,
        sync: { state: 'waiting', attempts: 0, updatedAt: now },
      }
      const userChanges = userFieldChanges(userBefore, payload.user)
      const businessChanges = payload.business
        ? businessFieldChanges(businessBefore, payload.business.fields)
        : []
      const updatedUser = { ...user, ...payload.user }
      const updatedBusiness = { ...business, ...(payload.business?.fields ?? {}) }
      await commitChange(tx, {
        change,
        draftId: draft.id,
        clientAddress: cmd.clientAddress,
        auditDetail: {
          fields: userChanges.map((c) => c.field),
          businessFields: businessChanges.map((c) => c.field),
          qualificationsAdded:
            payload.qualifications?.added.map((q) => `${q.kind} ${periodName(q.firstYear)}`) ?? [],
          qualificationsRemoved:
            payload.qualifications?.removed.map((q) => `${q.kind} ${periodName(q.firstYear)}`) ?? [],
          certificatesAdded: payload.certificates?.added.map((c) => c.fingerprint) ?? [],
          certificatesRemoved: payload.certificates?.removed.map((c) => c.fingerprint) ?? [],
          sessionsEnded,
        },
        mails: [
          userUpdatedMail({
            changeId: change.id,
            receiptNumber: change.receiptNumber,
            user: updatedUser,
            business: updatedBusiness,
            changes: [...businessChanges, ...userChanges],
            qualifications: payload.qualifications,
            certificates: payload.certificates,
            to: payload.user.email,
            at: now,
          }),
          // The address that stops receiving mail hears of it, so that a hijacked account is noticed.
          ...(userBefore.email !== payload.user.email
            ? [
                addressChangedMail({
                  changeId: change.id,
                  receiptNumber: change.receiptNumber,
                  user: updatedUser,
                  oldAddress: userBefore.email,
                  at: now,
                }),
              ]
            : []),
        ],
      })
      await saveStaging(tx, cmd.sessionId, NOTHING_STAGED)
      return ok({ changeId: change.id })
    })
  }

/** A completed change of the user's own, with its GEPS state, for the completion screen. */
export const viewOwnChange =
  (ports: Pick<UserUpdatePorts, 'changes'>) =>
  async (cmd: { userId: string; changeId: string }): Promise<UserChange | undefined> => {
    if (!isId(cmd.changeId)) return undefined
    const change = await ports.changes.find(cmd.changeId)
    return change && change.userId === cmd.userId ? change : undefined
  }
