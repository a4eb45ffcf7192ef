/**
 * F4 利用者情報削除: an agent registered with a My Number card deletes themself. From
 * マイナンバーカード電子委任状失効画面, [代理人情報削除] reads their own card with the
 * user-authentication PIN; 利用者情報削除確認(代理人・マイナンバーカード)画面 shows what will go;
 * [削除] deletes, in one transaction, the user and everything held about them (certificates,
 * mandate, notices and recommendations, sessions, drafts, their jobs, and the values of their
 * changes, which stay as records: name, kind, fields touched), records the deletion (ids and
 * name) with its GEPS sync job, an audit entry and two mails (to the address the agent had, and
 * to the representative), and leaves the browser a fresh anonymous session that can show the
 * completion screen and nothing else.
 */
import {
  type Business,
  type Certificate,
  isMyNumberAgent,
  NO_USER_FIELDS,
  type User,
} from '../../domain/account.ts'
import { agentDeletedMail, userDeletedMail } from '../../domain/mails.ts'
import type { Mandate } from '../../domain/mandates.ts'
import { receiptNumberOf } from '../../domain/receipt-numbers.ts'
import { newId, randomToken } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type {
  AccountStore,
  AuditLog,
  CardReader,
  ChangeStore,
  Clock,
  DraftFormat,
  DraftStore,
  FailureLog,
  MandateProvider,
  MandateStore,
  SessionStore,
  TrustAnchors,
  UnitOfWork,
  UserChange,
} from '../../ports.ts'
import type { CardInput, ChallengedReadError } from '../shared/card-proof.ts'
import { commitChange, viewCompletedChange } from '../shared/completed-change.ts'
import {
  type CardReadDraft,
  cardReadIsRecent,
  findMyNumberAgent,
  readOwnMyNumberCard,
} from '../shared/my-number-card.ts'

export const USER_DELETION_FLOW = 'user-deletion'

export type UserDeletionPorts = {
  accounts: AccountStore
  mandates: MandateStore
  changes: ChangeStore
  drafts: DraftStore
  draftFormats: { userDeletion: DraftFormat<CardReadDraft> }
  sessions: SessionStore
  cardReader: CardReader
  trustAnchors: TrustAnchors
  failures: FailureLog
  mandateProviders: MandateProvider[]
  audit: AuditLog
  unitOfWork: UnitOfWork
  clock: Clock
}

/** Why [代理人情報削除]'s card read was refused. */
export type DeletionCardReadError =
  | ChallengedReadError
  /** Not a My Number card's user-authentication certificate: F4 asks for the 4-digit PIN. */
  | { kind: 'not-authentication-certificate' }
  /** A certificate registered to someone else, or to no one. */
  | { kind: 'not-your-card' }
  /** The user is not a My Number agent: F4 is theirs only. */
  | { kind: 'forbidden' }

/** Why the 確認画面 or [削除] cannot go on. */
export type DeletionStepError =
  | { kind: 'forbidden' }
  /** The card was not read in this flow, or too long ago. */
  | { kind: 'card-not-read' }
  /** The confirmation shown is not this session's latest: the card was read again since. */
  | { kind: 'draft-replaced' }
  /** The user is deleted already (a second [削除] that waited for the first). */
  | { kind: 'already-deleted' }

export type UserDeletionError = DeletionCardReadError | DeletionStepError

/** Whether the session's card read for F4 stands: made in this flow, not used yet, recent enough. */
const standingRead = (
  ports: Pick<UserDeletionPorts, 'draftFormats' | 'clock'>,
  draft: { payload: unknown; completedChangeId?: string } | undefined,
): boolean => {
  const read = draft && !draft.completedChangeId ? ports.draftFormats.userDeletion(draft.payload) : undefined
  return !!read && cardReadIsRecent(ports.clock.now(), read.cardReadAt)
}

export const readCardForDeletion =
  (ports: UserDeletionPorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<void, DeletionCardReadError>> => {
    const read = await readOwnMyNumberCard(ports, cmd, {
      use: 'my-number-user-authentication',
      flow: USER_DELETION_FLOW,
    })
    if (read.ok) return read
    const e = read.error
    return err(e.kind === 'wrong-certificate' ? { kind: 'not-authentication-certificate' } : e)
  }

export type DeletionReview = {
  user: User
  business: Business
  certificates: Certificate[]
  mandate?: Mandate
  /** The name of the mandate-handling business that issued it, as the screens and mails show it. */
  providerName?: string
  draftId: string
}

/** A provider's name by its id; the id itself for one no longer configured. */
const providerNameOf = (ports: Pick<UserDeletionPorts, 'mandateProviders'>, mandate?: Mandate) =>
  mandate && (ports.mandateProviders.find((p) => p.id === mandate.providerId)?.name ?? mandate.providerId)

/** 利用者情報削除確認(代理人・マイナンバーカード)画面: everything that [削除] deletes. */
export const reviewDeletion =
  (ports: UserDeletionPorts) =>
  async (cmd: { sessionId: string; userId: string }): Promise<Result<DeletionReview, DeletionStepError>> => {
    const user = await findMyNumberAgent(ports, cmd.userId)
    if (!user) return err({ kind: 'forbidden' })
    const draft = await ports.drafts.find(cmd.sessionId, USER_DELETION_FLOW)
    if (!standingRead(ports, draft) || !draft) return err({ kind: 'card-not-read' })
    const business = await ports.accounts.findBusiness(user.businessId)
    if (!business) return err({ kind: 'forbidden' })
    const mandate = await ports.mandates.findForUser(user.id)
    return ok({
      user,
      business,
      certificates: await ports.accounts.listCertificates(user.id),
      mandate,
      providerName: providerNameOf(ports, mandate),
      draftId: draft.id,
    })
  }

/**
 * [削除]: deletes the user with everything held about them, once. Every session of theirs ends,
 * this one too: the browser gets a new anonymous session, which alone shows the completion screen.
 */
export const deleteAgent =
  (ports: UserDeletionPorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    draftId: string
    clientAddress?: string
  }): Promise<Result<{ changeId: string; sessionId: string }, DeletionStepError>> =>
    ports.unitOfWork.run(async (tx) => {
      // The user's row first, always: two [削除] (or a change of the user's own) queue up behind
      // it instead of deadlocking over their drafts, and nothing of theirs commits after this.
      const user = await tx.accounts.findUserForUpdate(cmd.userId)
      if (!user) return err({ kind: 'already-deleted' as const })
      if (!isMyNumberAgent(user)) return err({ kind: 'forbidden' as const })
      const draft = await tx.drafts.findForCompletion(cmd.sessionId, USER_DELETION_FLOW)
      const now = ports.clock.now()
      if (!draft || !standingRead(ports, draft)) return err({ kind: 'card-not-read' as const })
      if (draft.id !== cmd.draftId) return err({ kind: 'draft-replaced' as const })

      // What the mails say went, read before it goes.
      const business = await tx.accounts.findBusiness(user.businessId)
      const representative = await tx.accounts.findRepresentative(user.businessId)
      const certificates = await tx.accounts.listCertificates(user.id)
      const mandate = await tx.mandates.findForUser(user.id)
      await tx.accounts.eraseUser(user.id)
      await tx.jobs.forgetJobsOf(user.id)

      const session = { id: randomToken(32), csrfToken: randomToken(32), createdAt: now, lastSeenAt: now }
      await tx.sessions.create(session) // in the transaction: startSession would write outside it
      const completionDraftId = newId()
      await tx.drafts.save({
        id: completionDraftId,
        sessionId: session.id,
        flow: USER_DELETION_FLOW,
        payload: {},
        baseVersion: 0,
      })
      const change: UserChange = {
        id: newId(),
        receiptNumber: receiptNumberOf(now, await tx.changes.nextReceiptSequence()),
        userId: user.id,
        businessId: user.businessId,
        kind: 'user-deleted',
        before: NO_USER_FIELDS,
        after: NO_USER_FIELDS,
        createdAt: now,
        sync: { state: 'waiting', attempts: 0, updatedAt: now },
        madeByName: user.name,
      }
      // The audit record and the GEPS job hold ids only. The mails go to the address the user had
      // and to the representative: their jobs are the last place the address is kept, until sent.
      const deleted = {
        changeId: change.id,
        receiptNumber: change.receiptNumber,
        user,
        certificates,
        mandate,
        providerName: providerNameOf(ports, mandate),
        at: now,
      }
      await commitChange(tx, {
        change,
        draftId: completionDraftId,
        clientAddress: cmd.clientAddress,
        auditDetail: {},
        mails: business
          ? [
              ...(user.email ? [userDeletedMail({ ...deleted, business })] : []),
              ...(representative?.email ? [agentDeletedMail({ ...deleted, business, representative })] : []),
            ]
          : [],
      })
      return ok({ changeId: change.id, sessionId: session.id })
    })

/** 利用者情報削除完了(代理人・マイナンバーカード)画面: the deletion this browser's session completed, and no other. */
export const viewDeletion = (ports: Pick<UserDeletionPorts, 'drafts' | 'changes'>) =>
  viewCompletedChange(ports, USER_DELETION_FLOW)
