/**
 * F2 電子証明書更新: a user whose registered certificate has expired (so that sign-in fails)
 * replaces it with a new one, without signing in. The old certificate is read first (it must be
 * registered, and may be expired, but not revoked), then the new one (valid now, trusted,
 * registered to no one, the same person of the same business). The replacement, its GEPS sync
 * job and its mail commit together; the user's other certificates stay as they are.
 */
import { type Business, type Certificate, type User, userFieldsOf } from './account.ts'
import { type CertificateError, verifyProof } from './certificates.ts'
import { isId, newId } from './ids.ts'
import { certificateRenewedMail } from './mails.ts'
import type {
  AccountStore,
  CardReadError,
  CardReader,
  ChangeStore,
  Clock,
  DraftStore,
  SessionStore,
  TrustAnchors,
  UnitOfWork,
  UserChange,
} from './ports.ts'
import { err, ok, type Result } from './result.ts'

export const RENEWAL_FLOW = 'certificate-renewal'

export type RenewalPorts = {
  accounts: AccountStore
  changes: ChangeStore
  drafts: DraftStore
  sessions: SessionStore
  cardReader: CardReader
  trustAnchors: TrustAnchors
  unitOfWork: UnitOfWork
  clock: Clock
}

export type RenewalError =
  | { kind: 'challenge-missing' }
  | { kind: 'card'; error: CardReadError }
  | { kind: 'certificate'; error: CertificateError }
  /** The first card's certificate is registered to no one: there is nothing to renew. */
  | { kind: 'not-registered' }
  /** The new certificate names another person: that is a new agent's registration, not a renewal. */
  | { kind: 'holder-differs'; registered: string; presented: string }
  | { kind: 'organisation-differs'; registered: string; presented: string }
  | { kind: 'already-registered' }
  | { kind: 'no-draft' }
  | { kind: 'draft-replaced' }
  /** The old certificate is no longer registered (renewed meanwhile from elsewhere). */
  | { kind: 'changed-meanwhile' }

type Read = Omit<Certificate, 'id' | 'userId'> & { holderName: string; organisation: string }
type RenewalDraft = { old: Certificate & { holderName: string; organisation: string }; new?: Read }

export type RenewalReview = { old: Certificate; new: Read; user: User; business: Business; draftId: string }

/** Dates come back from a stored draft as text. */
const withDates = <T extends { notBefore: Date; notAfter: Date }>(c: T): T => ({
  ...c,
  notBefore: new Date(c.notBefore),
  notAfter: new Date(c.notAfter),
})
const draftOf = (stored: unknown): RenewalDraft => {
  const d = stored as RenewalDraft
  return { old: withDates(d.old), new: d.new && withDates(d.new) }
}

/** Reads a card against the session's challenge and checks what it presents. */
const readCard = async (
  ports: RenewalPorts,
  cmd: { sessionId: string; cardId: string; pin: string },
  options: { allowExpired: boolean },
): Promise<Result<Read, RenewalError>> => {
  const now = ports.clock.now()
  const taken = await ports.sessions.takeChallenge(cmd.sessionId)
  if (!taken || taken.expiresAt < now) return err({ kind: 'challenge-missing' })
  const read = await ports.cardReader.read({ cardId: cmd.cardId, pin: cmd.pin, challenge: taken.challenge })
  if (!read.ok) return err({ kind: 'card', error: read.error })
  const verified = await verifyProof(
    read.value,
    taken.challenge,
    await ports.trustAnchors.load(),
    now,
    options,
  )
  if (!verified.ok) return err({ kind: 'certificate', error: verified.error })
  const { fingerprint, serialNumber, subject, issuer, notBefore, notAfter, holderName, organisation } =
    verified.value
  return ok({ fingerprint, serialNumber, subject, issuer, notBefore, notAfter, holderName, organisation })
}

/** 更新する電子証明書の種別選択画面, [読込]: the registered certificate, which may have expired. */
export const readRegisteredCertificate =
  (ports: RenewalPorts) =>
  async (cmd: { sessionId: string; cardId: string; pin: string }): Promise<Result<void, RenewalError>> => {
    const read = await readCard(ports, cmd, { allowExpired: true })
    if (!read.ok) return read
    const registered = await ports.accounts.findCertificateByFingerprint(read.value.fingerprint)
    if (!registered) return err({ kind: 'not-registered' })
    const old = { ...registered, holderName: read.value.holderName, organisation: read.value.organisation }
    await ports.drafts.save({
      id: newId(),
      sessionId: cmd.sessionId,
      flow: RENEWAL_FLOW,
      payload: { old },
      baseVersion: 0,
    })
    return ok(undefined)
  }

/** 更新する電子証明書の読み込み画面, [読込]: the new certificate, of the same person and business. */
export const readNewCertificate =
  (ports: RenewalPorts) =>
  async (cmd: { sessionId: string; cardId: string; pin: string }): Promise<Result<void, RenewalError>> => {
    const draft = await ports.drafts.find(cmd.sessionId, RENEWAL_FLOW)
    if (!draft || draft.completedChangeId) return err({ kind: 'no-draft' })
    const { old } = draftOf(draft.payload)
    const read = await readCard(ports, cmd, { allowExpired: false })
    if (!read.ok) return read
    if (read.value.holderName !== old.holderName) {
      return err({ kind: 'holder-differs', registered: old.holderName, presented: read.value.holderName })
    }
    if (read.value.organisation !== old.organisation) {
      return err({
        kind: 'organisation-differs',
        registered: old.organisation,
        presented: read.value.organisation,
      })
    }
    if (await ports.accounts.findCertificateByFingerprint(read.value.fingerprint)) {
      return err({ kind: 'already-registered' })
    }
    await ports.drafts.save({
      id: newId(),
      sessionId: cmd.sessionId,
      flow: RENEWAL_FLOW,
      payload: { old, new: read.value },
      baseVersion: 0,
    })
    return ok(undefined)
  }

/** 電子証明書の更新確認画面: 更新元, 更新先 and 事業者情報, before [更新実行]. */
export const reviewRenewal =
  (ports: RenewalPorts) =>
  async (sessionId: string): Promise<Result<RenewalReview, RenewalError>> => {
    const draft = await ports.drafts.find(sessionId, RENEWAL_FLOW)
    if (!draft || draft.completedChangeId) return err({ kind: 'no-draft' })
    const renewal = draftOf(draft.payload)
    if (!renewal.new) return err({ kind: 'no-draft' })
    const user = await ports.accounts.findUser(renewal.old.userId)
    const business = user && (await ports.accounts.findBusiness(user.businessId))
    if (!user || !business) return err({ kind: 'changed-meanwhile' })
    return ok({ old: renewal.old, new: renewal.new, user, business, draftId: draft.id })
  }

/** [更新実行]: replaces the old certificate by the new one, once, with its GEPS sync and its mail. */
export const completeRenewal =
  (ports: RenewalPorts) =>
  async (cmd: {
    sessionId: string
    draftId: string
    clientAddress?: string
  }): Promise<Result<{ changeId: string }, RenewalError>> =>
    ports.unitOfWork.run(async (tx): Promise<Result<{ changeId: string }, RenewalError>> => {
      const draft = await tx.drafts.findForCompletion(cmd.sessionId, RENEWAL_FLOW)
      if (!draft) return err({ kind: 'no-draft' })
      if (draft.id !== cmd.draftId) return err({ kind: 'draft-replaced' })
      if (draft.completedChangeId) return ok({ changeId: draft.completedChangeId })
      const renewal = draftOf(draft.payload)
      if (!renewal.new) return err({ kind: 'no-draft' })
      const now = ports.clock.now()
      if (renewal.new.notAfter < now) {
        return err({ kind: 'certificate', error: { kind: 'expired', notAfter: renewal.new.notAfter } })
      }
      const still = await tx.accounts.findCertificateByFingerprint(renewal.old.fingerprint)
      if (!still || still.id !== renewal.old.id) return err({ kind: 'changed-meanwhile' })
      const user = await tx.accounts.findUser(still.userId)
      const business = user && (await tx.accounts.findBusiness(user.businessId))
      if (!user || !business) return err({ kind: 'changed-meanwhile' })
      const { holderName: _, organisation: __, ...fresh } = renewal.new
      const added: Certificate = { ...fresh, id: newId(), userId: user.id }
      const registered = await tx.accounts.changeCertificates(user.id, {
        added: [added],
        removed: [still.id],
      })
      if (!registered) return err({ kind: 'already-registered' })
      // The user's version moves on, so that an update confirmed meanwhile on an old base stops.
      await tx.accounts.updateUser(user.id, user.version, userFieldsOf(user))
      const change: UserChange = {
        id: newId(),
        userId: user.id,
        businessId: user.businessId,
        kind: 'certificate-renewed',
        before: userFieldsOf(user),
        after: userFieldsOf(user),
        certificates: { added: [added], removed: [still] },
        createdAt: now,
        sync: { state: 'waiting', attempts: 0, updatedAt: now },
      }
      await tx.changes.record(change)
      await tx.audit.append({
        at: now,
        action: 'certificate-renewed',
        outcome: 'success',
        userId: user.id,
        businessId: user.businessId,
        clientAddress: cmd.clientAddress,
        detail: { changeId: change.id, from: still.fingerprint, to: added.fingerprint },
      })
      await tx.jobs.enqueue({ queue: 'geps-sync', data: { changeId: change.id } })
      await tx.jobs.enqueue({
        queue: 'mail',
        data: certificateRenewedMail({
          changeId: change.id,
          user,
          business,
          from: still,
          to: added,
          at: now,
        }),
      })
      await tx.drafts.markCompleted(draft.id, change.id)
      return ok({ changeId: change.id })
    })

/** The completion screen: the renewal this session completed, and no other. */
export const viewRenewal =
  (ports: Pick<RenewalPorts, 'drafts' | 'changes'>) =>
  async (cmd: { sessionId: string; changeId: string }): Promise<UserChange | undefined> => {
    if (!isId(cmd.changeId)) return undefined
    const draft = await ports.drafts.find(cmd.sessionId, RENEWAL_FLOW)
    if (draft?.completedChangeId !== cmd.changeId) return undefined
    return ports.changes.find(cmd.changeId)
  }
