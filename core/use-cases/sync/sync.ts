/**
 * Delivering a committed change to GEPS. The change's id is the idempotency key, so that a retry
 * after a lost answer never applies it twice; the change records each outcome for the user to see.
 * GEPS always gets the user's data as it is now, not as the change left it, with the user's
 * version: a request that waited in retry, or was overtaken on the way, must not put older data
 * back, and GEPS keeps the newest version it has seen. A deletion (F4) sends ids only; GEPS must
 * keep a deleted user deleted, for a change of theirs already on its way may arrive after it.
 * A change GEPS refuses for good (or that runs out of tries) is 連携失敗: its user, and the
 * representative for a change of the business or of a deleted agent, are mailed once, with what
 * to do; if an operator re-drives it and it then goes through, they are mailed that too.
 */
import { type Business, businessFieldsOf, userFieldsOf } from '../../domain/account.ts'
import { type ChangeRecipient, syncFailedMail, syncRecoveredMail } from '../../domain/mails.ts'
import type { Mandate } from '../../domain/mandates.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type {
  AccountStore,
  ChangeStore,
  Clock,
  DeliveryError,
  Geps,
  GepsReceipt,
  GepsUserChange,
  MandateStore,
  Transactional,
  UnitOfWork,
  UserChange,
  UserMail,
  UserOverview,
} from '../../ports.ts'

export type SyncPorts = {
  accounts: AccountStore
  mandates: MandateStore
  changes: ChangeStore
  geps: Geps
  unitOfWork: UnitOfWork
  clock: Clock
}

/** GEPS's receipt; whether an earlier delivery had it already; when the change was committed. */
export type SyncOutcome = { receiptNumber: string; alreadyDone: boolean; committedAt: Date }

type UserNow = [UserOverview | undefined, Mandate | undefined]
const userNow = (ports: SyncPorts, userId: string): Promise<UserNow> =>
  Promise.all([ports.accounts.findUserOverview(userId), ports.mandates.findForUser(userId)])

/**
 * Sends GEPS the user as they are now, with their business, qualifications, certificates and
 * mandate: two reads (the overview and the mandate, at once), for a backlog drains as fast as
 * these round trips allow.
 */
const sendUserAsItIsNow = async (
  ports: SyncPorts,
  change: UserChange,
  kind: GepsUserChange['kind'],
  /** The same reads, begun with the change's own (deliverChangeToGeps), if they were for its user. */
  readEarly?: Promise<UserNow>,
): Promise<Result<GepsReceipt, DeliveryError>> => {
  const [overview, mandate] = await (readEarly ?? userNow(ports, change.userId))
  if (!overview) return err({ kind: 'permanent', message: 'the user no longer exists' })
  const { user, business, qualifications, certificates } = overview
  return ports.geps.syncUserChange({
    idempotencyKey: change.id,
    portalReceiptNumber: change.receiptNumber,
    kind,
    corporateNumber: business.corporateNumber,
    business: { ...businessFieldsOf(business), version: business.version },
    qualifications: qualifications.map(({ id: _, ...q }) => q),
    certificates: certificates.map((c) => ({
      fingerprint: c.fingerprint,
      serialNumber: c.serialNumber,
      issuer: c.issuer,
      notAfter: c.notAfter.toISOString(),
    })),
    user: { userId: user.id, name: user.name, version: user.version, ...userFieldsOf(user) },
    ...(mandate && {
      mandate: {
        providerId: mandate.providerId,
        referenceNumber: mandate.referenceNumber,
        validFrom: mandate.validFrom.toISOString(),
        validTo: mandate.validTo.toISOString(),
        authorities: mandate.authorities,
      },
    }),
  })
}

/** Tells GEPS that a user was deleted (F4): ids only. */
const deleteUserInGeps = async (
  ports: SyncPorts,
  change: UserChange,
): Promise<Result<GepsReceipt, DeliveryError>> => {
  const business = await ports.accounts.findBusiness(change.businessId)
  if (!business) return err({ kind: 'permanent', message: 'the business no longer exists' })
  return ports.geps.deleteUser({
    idempotencyKey: change.id,
    portalReceiptNumber: change.receiptNumber,
    corporateNumber: business.corporateNumber,
    userId: change.userId,
  })
}

/**
 * Whom a mail about `change`'s delivery goes to: its user, about their own change, and the
 * representative when it changed the business or its user is gone (deleted, or the deletion
 * itself), about an agent's. Those without an address get none.
 */
const recipientsOf = async (
  ports: Pick<SyncPorts, 'accounts'>,
  change: UserChange,
): Promise<{ business: Business; madeBy: string; to: ChangeRecipient }[]> => {
  const business = await ports.accounts.findBusiness(change.businessId)
  if (!business) return []
  const user = change.kind === 'user-deleted' ? undefined : await ports.accounts.findUser(change.userId)
  const to: ChangeRecipient[] = user ? [{ user, about: 'own' }] : []
  if (change.business || !user) {
    const representative = await ports.accounts.findRepresentative(business.id)
    if (representative && representative.id !== user?.id) to.push({ user: representative, about: 'agent' })
  }
  const madeBy = user?.name ?? change.madeByName ?? '削除された利用者'
  return to.filter((r) => r.user.email !== '').map((r) => ({ business, madeBy, to: r }))
}

/** Enqueues, in `tx`, the mail `mailFor` makes for each of the change's recipients. */
const enqueueMails = async (
  tx: Transactional,
  change: UserChange,
  mailFor: (recipient: { business: Business; madeBy: string; to: ChangeRecipient }) => UserMail,
) => {
  for (const r of await recipientsOf(tx, change)) await tx.jobs.enqueue({ queue: 'mail', data: mailFor(r) })
}

export const deliverChangeToGeps =
  (ports: SyncPorts) =>
  async (cmd: {
    changeId: string
    /** The change's user, as its job says: their reads then go with the change's (one round trip). */
    userId?: string
    finalAttempt: boolean
  }): Promise<Result<SyncOutcome, DeliveryError>> => {
    const early = cmd.userId === undefined ? undefined : userNow(ports, cmd.userId)
    early?.catch(() => {}) // awaited below where used; unused when the change needs no delivery
    const change = await ports.changes.find(cmd.changeId)
    if (!change) return err({ kind: 'permanent', message: `change ${cmd.changeId} does not exist` })
    if (change.sync.state === 'done' && change.sync.receipt) {
      return ok({ receiptNumber: change.sync.receipt, alreadyDone: true, committedAt: change.createdAt })
    }
    if (change.sync.state === 'superseded')
      return ok({ receiptNumber: '', alreadyDone: true, committedAt: change.createdAt })
    const sent =
      change.kind === 'user-deleted'
        ? await deleteUserInGeps(ports, change)
        : await sendUserAsItIsNow(
            ports,
            change,
            change.kind,
            change.userId === cmd.userId ? early : undefined,
          )
    const at = ports.clock.now()
    if (sent.ok) {
      const done = { state: 'done' as const, receipt: sent.value.receiptNumber, at }
      // Its user was told it failed (an operator re-drove it): they learn that it went through, in
      // the transaction that records it. Otherwise no transaction is needed, unless a delivery
      // running beside this one gave up on it and told them meanwhile: the record says so.
      const tellRecovery = (tx: Transactional) =>
        enqueueMails(tx, change, (r) => syncRecoveredMail({ ...r, change, at }))
      if (change.sync.failureNotifiedAt) {
        await ports.unitOfWork.run(async (tx) => {
          if ((await tx.changes.recordSync(change.id, done))?.failureNotifiedAt) await tellRecovery(tx)
        })
      } else if ((await ports.changes.recordSync(change.id, done))?.failureNotifiedAt) {
        await ports.unitOfWork.run(tellRecovery)
      }
      return ok({
        receiptNumber: sent.value.receiptNumber,
        alreadyDone: false,
        committedAt: change.createdAt,
      })
    }
    const error = sent.error.message
    if (sent.error.kind === 'transient' && !cmd.finalAttempt) {
      await ports.changes.recordSync(change.id, { state: 'retrying', at, error })
      return sent
    }
    await recordFailure(ports, change, at, error)
    return sent
  }

/** 連携失敗: recorded with its notice in one transaction, the notice once however often it fails. */
const recordFailure = (ports: SyncPorts, change: UserChange, at: Date, error: string) =>
  ports.unitOfWork.run(async (tx) => {
    if (!(await tx.changes.recordSync(change.id, { state: 'failed', at, error }))) return
    if (!(await tx.changes.markFailureNotified(change.id, at))) return
    await enqueueMails(tx, change, (r) => syncFailedMail({ ...r, change }))
  })

/**
 * A change whose delivery job ended without its handler saying so (its worker was killed on the
 * last try and the job dead-lettered, the job expired, an operator deleted it): nothing will
 * deliver it, so it is 連携失敗 and told like one. False when it was no longer waiting.
 */
export const endLostDelivery =
  (ports: SyncPorts) =>
  async (cmd: { changeId: string; reason: string }): Promise<boolean> => {
    const change = await ports.changes.find(cmd.changeId)
    if (!change || (change.sync.state !== 'waiting' && change.sync.state !== 'retrying')) return false
    await recordFailure(
      ports,
      change,
      ports.clock.now(),
      `the delivery ended without a result: ${cmd.reason}`,
    )
    return true
  }
