import { isId } from '../../lib/ids.ts'
import type { ChangeStore, DraftStore, Transactional, UserChange, UserMail } from '../../ports.ts'

/**
 * A wizard's completion screen: the change this session's draft of `flow` completed, and no other
 * (another session's change id shows nothing).
 */
export const viewCompletedChange =
  (ports: { drafts: DraftStore; changes: ChangeStore }, flow: string) =>
  async (cmd: { sessionId: string; changeId: string }): Promise<UserChange | undefined> => {
    if (!isId(cmd.changeId)) return undefined
    const draft = await ports.drafts.find(cmd.sessionId, flow)
    if (draft?.completedChangeId !== cmd.changeId) return undefined
    return ports.changes.find(cmd.changeId)
  }

/**
 * Commits a completed change with everything that belongs to it, in the caller's transaction: the
 * change, its audit record (its action is the change's kind), its GEPS sync job, its mails, and
 * the draft it completes. One place, so that no flow forgets one of them.
 */
export const commitChange = async (
  tx: Transactional,
  args: {
    change: UserChange
    draftId: string
    clientAddress?: string
    auditDetail: Record<string, unknown>
    mails: UserMail[]
  },
): Promise<void> => {
  const { change } = args
  // None of these depends on another: issued together, they leave in one round trip.
  await Promise.all([
    tx.changes.record(change),
    tx.audit.append({
      at: change.createdAt,
      action: change.kind,
      outcome: 'success',
      userId: change.userId,
      businessId: change.businessId,
      clientAddress: args.clientAddress,
      detail: { changeId: change.id, receiptNumber: change.receiptNumber, ...args.auditDetail },
    }),
    tx.jobs.enqueue({ queue: 'geps-sync', data: { changeId: change.id, userId: change.userId } }),
    ...args.mails.map((mail) => tx.jobs.enqueue({ queue: 'mail', data: mail })),
    tx.drafts.markCompleted(args.draftId, change.id),
  ])
}
