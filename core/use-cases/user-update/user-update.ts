/**
 * F1 利用者情報更新: input → confirm (確認) → complete (完了). An agent changes their own user
 * fields; the representative changes all of theirs and the business's (事業者情報) too.
 * Nothing is written before the confirm step; the complete step commits the change, its audit
 * record, its GEPS sync job and its mails in one transaction, once, however often it is posted.
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
  type BusinessFieldErrors,
  type BusinessInput,
  forbiddenUserFields,
  type UserFieldErrors,
  type UserInput,
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
  type QualificationFieldErrors,
  type QualificationInput,
  stageAddition,
  stageRemoval,
  validateQualification,
} from '../../domain/qualifications.ts'
import { isId, newId } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type {
  AccountStore,
  AuditLog,
  CardReader,
  ChangeStore,
  Clock,
  DraftStore,
  FailureLog,
  SessionStore,
  TrustAnchors,
  UnitOfWork,
  UserChange,
  UserOverview,
} from '../../ports.ts'
import {
  type CardInput,
  type ChallengedReadError,
  readAndVerify,
  recordRefusedRead,
} from '../shared/card-proof.ts'
import { commitChange } from '../shared/completed-change.ts'

export const USER_UPDATE_FLOW = 'user-update'
/**
 * What the input screen has staged before [確認], bound to the session: qualifications and
 * certificates to add and remove, and what was typed when [追加] or [削除] of 電子証明書情報 led
 * away to a card read (so that nothing typed is lost on the way there and back).
 */
export const STAGING_FLOW = 'user-update-staging'

/** A certificate read and checked, not yet registered; `id` names it on the screen until then. */
export type StagedCertificate = Omit<Certificate, 'userId'>

export type Staging = {
  qualifications: { added: Qualification[]; removed: string[] }
  certificates: { added: StagedCertificate[]; removed: string[] }
  typed?: UpdateInput
  /** 資格情報選択 as it was typed, not yet [追加]ed. */
  typedQualification?: QualificationInput
}
const NOTHING_STAGED: Staging = {
  qualifications: { added: [], removed: [] },
  certificates: { added: [], removed: [] },
}

/** A certificate as it comes back from a stored draft: its dates as text, made dates again. */
const withDates = <T extends { notBefore: Date; notAfter: Date }>(c: T): T => ({
  ...c,
  notBefore: new Date(c.notBefore),
  notAfter: new Date(c.notAfter),
})

const stagingOf = (stored: unknown): Staging => {
  const staging = { ...NOTHING_STAGED, ...(stored as Partial<Staging>) }
  return {
    ...staging,
    certificates: { ...staging.certificates, added: staging.certificates.added.map(withDates) },
  }
}

/** What the input screen sent: the user's fields, and the business's when the screen has them. */
export type UpdateInput = { user: UserInput; business?: BusinessInput }

export type UserUpdatePorts = {
  accounts: AccountStore
  changes: ChangeStore
  drafts: DraftStore
  unitOfWork: UnitOfWork
  clock: Clock
}

/** What adding or removing a certificate needs besides: the card, the trust anchors, the session's challenge. */
export type CertificatePorts = {
  sessions: SessionStore
  cardReader: CardReader
  trustAnchors: TrustAnchors
  failures: FailureLog
  audit: AuditLog
}

/** Why a certificate could not be added or removed, each with its own message on the screen. */
export type CertificateRefusal =
  | ChallengedReadError
  | { kind: 'holder-differs'; holder: string; user: string }
  | { kind: 'organisation-differs'; organisation: string; business: string }
  | { kind: 'already-registered' }
  /** A My Number card's certificate: those are registered with the card, and renewed through F2. */
  | { kind: 'my-number-certificate' }
  /** A removal's read: the card read is not one of this user's registered certificates. */
  | { kind: 'not-own-certificate' }

/**
 * The draft: the fields as they will be, and what they were based on (the values and, for the
 * business, the version), so that a conflict can say what someone else changed meanwhile.
 */
type DraftPayload = {
  user: UserFields
  userBase: UserFields
  business?: { fields: BusinessFields; base: BusinessFields; baseVersion: number }
  qualifications?: { added: Qualification[]; removed: Qualification[] }
  certificates?: { added: StagedCertificate[]; removed: Certificate[] }
}

const payloadOf = (stored: unknown): DraftPayload => {
  const payload = stored as DraftPayload
  return payload.certificates
    ? {
        ...payload,
        certificates: {
          added: payload.certificates.added.map(withDates),
          removed: payload.certificates.removed.map(withDates),
        },
      }
    : payload
}

export type UserUpdateError =
  | { kind: 'user-not-found' }
  /** The request changes what the user's role may not change (SPEC §2): refused whole. */
  | { kind: 'forbidden' }
  | { kind: 'invalid'; userErrors: UserFieldErrors; businessErrors: BusinessFieldErrors }
  | { kind: 'invalid-qualification'; errors: QualificationFieldErrors }
  /** A certificate could not be added or removed: the card, the certificate, or whose it is. */
  | { kind: 'certificate-refused'; reason: CertificateRefusal }
  /** The user's last certificate: without one they could never sign in again. */
  | { kind: 'last-certificate' }
  /** Removing a registered certificate takes a card read first (stageCertificateRemoval). */
  | { kind: 'card-read-required'; certificateId: string }
  /** No certificate of this user's has that id. */
  | { kind: 'certificate-not-found' }
  | { kind: 'nothing-changed' }
  | { kind: 'no-draft' }
  /** The confirm screen that was posted is not the latest one: another [確認] replaced its draft. */
  | { kind: 'draft-replaced' }
  /** Someone else committed a change first; `changes` are theirs: what the draft was based on → now. */
  | { kind: 'changed-by-someone-else'; changes: FieldChange[] }

/** The signed-in user with their business and certificates, as the input screen shows them. */
export const loadUserOverview =
  (ports: Pick<UserUpdatePorts, 'accounts'>) =>
  async (userId: string): Promise<Result<UserOverview, UserUpdateError>> => {
    const overview = await ports.accounts.findUserOverview(userId)
    return overview ? ok(overview) : err({ kind: 'user-not-found' })
  }

/** What the input screen has staged, not yet confirmed. */
export const loadStaging =
  (ports: Pick<UserUpdatePorts, 'drafts'>) =>
  async (sessionId: string): Promise<Staging> => {
    const draft = await ports.drafts.find(sessionId, STAGING_FLOW)
    return draft ? stagingOf(draft.payload) : NOTHING_STAGED
  }

const saveStaging = (ports: Pick<UserUpdatePorts, 'drafts'>, sessionId: string, staging: Staging) =>
  ports.drafts.save({ id: newId(), sessionId, flow: STAGING_FLOW, payload: staging, baseVersion: 0 })

/** Keeps what was typed, before [追加] or [削除] of 電子証明書情報 leads away to a card read. */
export const keepTyped =
  (ports: Pick<UserUpdatePorts, 'drafts'>) =>
  async (cmd: {
    sessionId: string
    typed: UpdateInput
    typedQualification?: QualificationInput
  }): Promise<void> => {
    const staging = await loadStaging(ports)(cmd.sessionId)
    await saveStaging(ports, cmd.sessionId, {
      ...staging,
      typed: cmd.typed,
      typedQualification: cmd.typedQualification,
    })
    // What was typed now is newer than a draft confirmed before: the draft would only hide it.
    await ports.drafts.discard(cmd.sessionId, USER_UPDATE_FLOW)
  }

/** Starting again from the registered values forgets what was staged and what was confirmed. */
export const discardStaging = (ports: Pick<UserUpdatePorts, 'drafts'>) => async (sessionId: string) => {
  await ports.drafts.discard(sessionId, STAGING_FLOW)
  await ports.drafts.discard(sessionId, USER_UPDATE_FLOW)
}

/** [追加] of 資格情報選択: checks the qualification and stages it. Only the representative may. */
export const stageQualification =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: QualificationInput
  }): Promise<Result<void, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    if (overview.value.user.role !== 'representative') return err({ kind: 'forbidden' })
    const qualification = validateQualification(cmd.input, ports.clock.now())
    if (!qualification.ok) return err({ kind: 'invalid-qualification', errors: qualification.error })
    const staging = await loadStaging(ports)(cmd.sessionId)
    const staged = stageAddition(overview.value.qualifications, staging.qualifications, qualification.value)
    if (!staged.ok) return err({ kind: 'invalid-qualification', errors: staged.error })
    await saveStaging(ports, cmd.sessionId, { ...staging, qualifications: staged.value })
    return ok(undefined)
  }

/** [削除] of a qualification in 資格情報: stages its removal. Only the representative may. */
export const unstageQualification =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    qualificationId: string
  }): Promise<Result<void, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    if (overview.value.user.role !== 'representative') return err({ kind: 'forbidden' })
    const staging = await loadStaging(ports)(cmd.sessionId)
    const known =
      overview.value.qualifications.some((q) => q.id === cmd.qualificationId) ||
      staging.qualifications.added.some((q) => q.id === cmd.qualificationId)
    if (known) {
      await saveStaging(ports, cmd.sessionId, {
        ...staging,
        qualifications: stageRemoval(staging.qualifications, cmd.qualificationId),
      })
    }
    return ok(undefined)
  }

/** The user's certificates as they will be: registered, less staged removals, plus staged additions. */
export const certificatesAfter = (
  registered: Certificate[],
  staged: Staging['certificates'],
): StagedCertificate[] => [...registered.filter((c) => !staged.removed.includes(c.id)), ...staged.added]

/**
 * [追加] of 電子証明書情報, after the card read: the certificate must prove possession of its key
 * over the session's challenge, be trusted and valid now, belong to this user (the holder's name,
 * and for a private certificate the business's), and be registered to no one yet.
 */
export const stageCertificate =
  (ports: UserUpdatePorts & CertificatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<StagedCertificate, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    const { user, business, certificates } = overview.value
    if (isMyNumberAgent(user)) return err({ kind: 'forbidden' })
    const context = { ...cmd, flow: USER_UPDATE_FLOW }
    const read = await readAndVerify(ports, context, cmd.input)
    if (!read.ok) return err({ kind: 'certificate-refused', reason: read.error })
    // A certificate read well, but not one to add: the audit log records why, as for a failed read.
    const refuse = async (reason: CertificateRefusal) => {
      await recordRefusedRead(ports, context, cmd.input, reason.kind)
      return err({ kind: 'certificate-refused' as const, reason })
    }
    const { facts } = read.value
    if (facts.use !== 'private') return refuse({ kind: 'my-number-certificate' })
    if (facts.holderName !== user.name) {
      return refuse({ kind: 'holder-differs', holder: facts.holderName, user: user.name })
    }
    if (facts.organisation !== '' && facts.organisation !== business.name) {
      return refuse({
        kind: 'organisation-differs',
        organisation: facts.organisation,
        business: business.name,
      })
    }
    const staging = await loadStaging(ports)(cmd.sessionId)
    const registered = await ports.accounts.findCertificateByFingerprint(facts.fingerprint)
    const already = certificatesAfter(certificates, staging.certificates).some(
      (c) => c.fingerprint === facts.fingerprint,
    )
    if (registered || already) return refuse({ kind: 'already-registered' })
    const certificate: StagedCertificate = {
      id: newId(),
      fingerprint: facts.fingerprint,
      serialNumber: facts.serialNumber,
      subject: facts.subject,
      issuer: facts.issuer,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
    }
    await saveStaging(ports, cmd.sessionId, {
      ...staging,
      certificates: { ...staging.certificates, added: [...staging.certificates.added, certificate] },
    })
    return ok(certificate)
  }

/**
 * [削除] of 電子証明書情報. A certificate staged for addition is withdrawn at once (it was never
 * registered). Removing a registered one takes a card read in this flow, whatever the session's
 * age: the answer is `card-read-required`, and stageCertificateRemoval does it after the read.
 * Neither may leave the user without a certificate.
 */
export const requestCertificateRemoval =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    certificateId: string
  }): Promise<Result<void, UserUpdateError>> => {
    const removal = await checkRemoval(ports, cmd)
    if (!removal.ok) return removal
    const { staging } = removal.value
    const staged = staging.certificates
    if (!staged.added.some((c) => c.id === cmd.certificateId)) {
      return err({ kind: 'card-read-required', certificateId: cmd.certificateId })
    }
    const next = { ...staged, added: staged.added.filter((c) => c.id !== cmd.certificateId) }
    await saveStaging(ports, cmd.sessionId, { ...staging, certificates: next })
    return ok(undefined)
  }

/**
 * Whether the user may remove this certificate of theirs (registered or staged) now: they change
 * their own certificates here, it is theirs, and one would be left after it.
 */
const checkRemoval = async (
  ports: UserUpdatePorts,
  cmd: { sessionId: string; userId: string; certificateId: string },
): Promise<Result<{ overview: UserOverview; staging: Staging }, UserUpdateError>> => {
  const overview = await loadUserOverview(ports)(cmd.userId)
  if (!overview.ok) return overview
  if (isMyNumberAgent(overview.value.user)) return err({ kind: 'forbidden' })
  const staging = await loadStaging(ports)(cmd.sessionId)
  const after = certificatesAfter(overview.value.certificates, staging.certificates)
  if (!after.some((c) => c.id === cmd.certificateId)) return err({ kind: 'certificate-not-found' })
  if (after.length === 1) return err({ kind: 'last-certificate' })
  return ok({ overview: overview.value, staging })
}

/** A removal of a registered certificate (not a staged one), if it may go ahead. */
const checkRegisteredRemoval = async (
  ports: UserUpdatePorts,
  cmd: { sessionId: string; userId: string; certificateId: string },
): Promise<
  Result<{ overview: UserOverview; staging: Staging; certificate: Certificate }, UserUpdateError>
> => {
  const removal = await checkRemoval(ports, cmd)
  if (!removal.ok) return removal
  const certificate = removal.value.overview.certificates.find((c) => c.id === cmd.certificateId)
  return certificate ? ok({ ...removal.value, certificate }) : err({ kind: 'certificate-not-found' })
}

/** The registered certificate a removal's read screen names, if the removal may go ahead. */
export const certificateToRemove =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    certificateId: string
  }): Promise<Result<Certificate, UserUpdateError>> => {
    const removal = await checkRegisteredRemoval(ports, cmd)
    return removal.ok ? ok(removal.value.certificate) : removal
  }

/**
 * [削除] of a registered certificate, after the card read: the user proves who they are with a
 * certificate registered to them (the one to remove, or another: a lost card cannot be read), over
 * the session's challenge, valid now. Then the removal is staged, to be written at [更新].
 */
export const stageCertificateRemoval =
  (ports: UserUpdatePorts & CertificatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    certificateId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<void, UserUpdateError>> => {
    const before = await checkRegisteredRemoval(ports, cmd)
    if (!before.ok) return before
    const context = { ...cmd, flow: USER_UPDATE_FLOW }
    const read = await readAndVerify(ports, context, cmd.input)
    if (!read.ok) return err({ kind: 'certificate-refused', reason: read.error })
    if (!before.value.overview.certificates.some((c) => c.fingerprint === read.value.facts.fingerprint)) {
      await recordRefusedRead(ports, context, cmd.input, 'not-own-certificate')
      return err({ kind: 'certificate-refused', reason: { kind: 'not-own-certificate' } })
    }
    // Read again after the card: another tab may have staged something meanwhile.
    const removal = await checkRegisteredRemoval(ports, cmd)
    if (!removal.ok) return removal
    const { staging } = removal.value
    const removed = [...new Set([...staging.certificates.removed, cmd.certificateId])]
    await saveStaging(ports, cmd.sessionId, {
      ...staging,
      certificates: { ...staging.certificates, removed },
    })
    return ok(undefined)
  }

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
    if (!draft || draft.completedChangeId) return err({ kind: 'no-draft' })
    const payload = payloadOf(draft.payload)
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

/** The draft's values, to fill the input screen again when the user goes back from confirm. */
export const draftValues =
  (ports: Pick<UserUpdatePorts, 'drafts'>) =>
  async (sessionId: string): Promise<{ user: UserFields; business?: BusinessFields } | undefined> => {
    const draft = await ports.drafts.find(sessionId, USER_UPDATE_FLOW)
    if (!draft || draft.completedChangeId) return undefined
    const payload = payloadOf(draft.payload)
    return { user: payload.user, business: payload.business?.fields }
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
      const user = await tx.accounts.findUserForUpdate(cmd.userId)
      const draft = await tx.drafts.findForCompletion(cmd.sessionId, USER_UPDATE_FLOW)
      if (!draft) return err({ kind: 'no-draft' })
      if (draft.id !== cmd.draftId) return err({ kind: 'draft-replaced' })
      if (draft.completedChangeId) return ok({ changeId: draft.completedChangeId })
      const business = user && (await tx.accounts.findBusiness(user.businessId))
      if (!user || !business) return err({ kind: 'user-not-found' })
      const payload = payloadOf(draft.payload)

      const userBefore = userFieldsOf(user)
      const businessBefore = businessFieldsOf(business)
      // What someone else changed since the draft was made: its base beside the values now.
      const theirs = [
        ...(user.version !== draft.baseVersion ? userFieldChanges(payload.userBase, userBefore) : []),
        ...(payload.business && business.version !== payload.business.baseVersion
          ? businessFieldChanges(payload.business.base, businessBefore)
          : []),
      ]
      const userWritten = await tx.accounts.updateUser(user.id, draft.baseVersion, payload.user)
      const businessWritten =
        !payload.business ||
        (await tx.accounts.updateBusiness(business.id, payload.business.baseVersion, payload.business.fields))
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
