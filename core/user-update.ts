/**
 * F1 利用者情報更新, the user's own contact fields: input → confirm (確認) → complete (完了).
 * Nothing is written before the confirm step; the complete step commits the change, its audit
 * record, its GEPS sync job and its mails in one transaction, once, however often it is posted.
 */
import {
  type Business,
  type Certificate,
  contactChanges,
  contactOf,
  type FieldChange,
  type User,
  type UserContact,
} from './account.ts'
import { isId, newId } from './ids.ts'
import { addressChangedMail, userUpdatedMail } from './mails.ts'
import type { AccountStore, ChangeStore, Clock, DraftStore, UnitOfWork, UserChange } from './ports.ts'
import { err, ok, type Result } from './result.ts'
import {
  emailAddress,
  type FieldRefusal,
  faxNumber,
  freeText,
  phoneNumber,
  postalCode,
  sameEmailAgain,
} from './text-rules.ts'

export const USER_UPDATE_FLOW = 'user-update'

export type ContactInput = Record<keyof UserContact | 'emailConfirmation', string>
export type FieldErrors = Partial<Record<keyof ContactInput, FieldRefusal>>

/** Checks and normalises every field at once, so that the screen can show every refusal together. */
export const validateContact = (input: ContactInput): Result<UserContact, FieldErrors> => {
  const checks = {
    title: freeText('役職名', input.title, { required: false, maxLength: 50 }),
    postalCode: postalCode(input.postalCode),
    address: freeText('住所', input.address, { required: true, maxLength: 100 }),
    phone: phoneNumber(input.phone),
    fax: faxNumber(input.fax),
    email: emailAddress(input.email),
  }
  const errors: FieldErrors = {}
  const values: Partial<UserContact> = {}
  for (const [field, result] of Object.entries(checks) as [
    keyof UserContact,
    Result<string, FieldRefusal>,
  ][]) {
    if (result.ok) values[field] = result.value
    else errors[field] = result.error
  }
  const confirmation = sameEmailAgain(input.email, input.emailConfirmation)
  if (!errors.email && !confirmation.ok) errors.emailConfirmation = confirmation.error
  return Object.keys(errors).length > 0 ? err(errors) : ok(values as UserContact)
}

export type UserUpdatePorts = {
  accounts: AccountStore
  changes: ChangeStore
  drafts: DraftStore
  unitOfWork: UnitOfWork
  clock: Clock
}

type DraftPayload = { contact: UserContact }

export type UserOverview = { user: User; business: Business; certificates: Certificate[] }

export type UserUpdateError =
  | { kind: 'user-not-found' }
  | { kind: 'invalid'; fieldErrors: FieldErrors }
  | { kind: 'nothing-changed' }
  | { kind: 'no-draft' }
  /** The confirm screen that was posted is not the latest one: another [確認] replaced its draft. */
  | { kind: 'draft-replaced' }
  | { kind: 'changed-by-someone-else'; current: UserContact }

/** The signed-in user with their business and certificates, as the input screen shows them. */
export const loadUserOverview =
  (ports: Pick<UserUpdatePorts, 'accounts'>) =>
  async (userId: string): Promise<Result<UserOverview, UserUpdateError>> => {
    const user = await ports.accounts.findUser(userId)
    const business = user && (await ports.accounts.findBusiness(user.businessId))
    if (!user || !business) return err({ kind: 'user-not-found' })
    return ok({ user, business, certificates: await ports.accounts.listCertificates(user.id) })
  }

/** [確認]: validates the input and keeps it as the session's draft. Writes nothing else. */
export const prepareUserUpdate =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: ContactInput
  }): Promise<Result<void, UserUpdateError>> => {
    const user = await ports.accounts.findUser(cmd.userId)
    if (!user) return err({ kind: 'user-not-found' })
    const contact = validateContact(cmd.input)
    if (!contact.ok) return err({ kind: 'invalid', fieldErrors: contact.error })
    if (contactChanges(contactOf(user), contact.value).length === 0) return err({ kind: 'nothing-changed' })
    const payload: DraftPayload = { contact: contact.value }
    await ports.drafts.save({
      id: newId(),
      sessionId: cmd.sessionId,
      flow: USER_UPDATE_FLOW,
      payload,
      baseVersion: user.version,
    })
    return ok(undefined)
  }

export type UserUpdateReview = {
  overview: UserOverview
  changes: FieldChange[]
  draft: UserContact
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
    if (!draft || draft.completedChangeId) return err({ kind: 'no-draft' })
    const contact = (draft.payload as DraftPayload).contact
    return ok({
      overview: overview.value,
      changes: contactChanges(contactOf(overview.value.user), contact),
      draft: contact,
      draftId: draft.id,
    })
  }

/** The draft's values, to fill the input screen again when the user goes back from confirm. */
export const draftContact =
  (ports: Pick<UserUpdatePorts, 'drafts'>) =>
  async (sessionId: string): Promise<UserContact | undefined> => {
    const draft = await ports.drafts.find(sessionId, USER_UPDATE_FLOW)
    return draft && !draft.completedChangeId ? (draft.payload as DraftPayload).contact : undefined
  }

/**
 * [更新]: commits the draft that the confirm screen showed. A second post of the same screen returns
 * the first change, unchanged; a screen whose draft another [確認] replaced commits nothing.
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
      const draft = await tx.drafts.findForCompletion(cmd.sessionId, USER_UPDATE_FLOW)
      if (!draft) return err({ kind: 'no-draft' })
      if (draft.id !== cmd.draftId) return err({ kind: 'draft-replaced' })
      if (draft.completedChangeId) return ok({ changeId: draft.completedChangeId })
      const user = await tx.accounts.findUser(cmd.userId)
      const business = user && (await tx.accounts.findBusiness(user.businessId))
      if (!user || !business) return err({ kind: 'user-not-found' })
      const before = contactOf(user)
      const after = (draft.payload as DraftPayload).contact
      if (!(await tx.accounts.updateUserContact(user.id, draft.baseVersion, after))) {
        return err({ kind: 'changed-by-someone-else', current: before })
      }
      const now = ports.clock.now()
      const change: UserChange = {
        id: newId(),
        userId: user.id,
        businessId: user.businessId,
        kind: 'user-contact-updated',
        before,
        after,
        createdAt: now,
        sync: { state: 'waiting', attempts: 0, updatedAt: now },
      }
      const changes = contactChanges(before, after)
      await tx.changes.record(change)
      await tx.audit.append({
        at: now,
        action: 'user-contact-updated',
        outcome: 'success',
        userId: user.id,
        businessId: user.businessId,
        clientAddress: cmd.clientAddress,
        detail: { changeId: change.id, fields: changes.map((c) => c.field) },
      })
      await tx.jobs.enqueue({ queue: 'geps-sync', data: { changeId: change.id } })
      const updated = { ...user, ...after }
      await tx.jobs.enqueue({
        queue: 'mail',
        data: userUpdatedMail({
          changeId: change.id,
          user: updated,
          business,
          changes,
          to: after.email,
          at: now,
        }),
      })
      if (before.email !== after.email) {
        await tx.jobs.enqueue({
          queue: 'mail',
          data: addressChangedMail({ changeId: change.id, user: updated, oldAddress: before.email, at: now }),
        })
      }
      await tx.drafts.markCompleted(draft.id, change.id)
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
