/**
 * The business's change history (変更履歴): every committed change, who made it and when, what
 * changed from what to what, and where it stands with GEPS. Only the representative sees it.
 */
import {
  businessFieldChanges,
  FIELD_LABELS,
  type FieldChange,
  userFieldChanges,
} from '../../domain/account.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type { AccountStore, ChangeCursor, ChangeStore, UserChange } from '../../ports.ts'

export type HistoryEntry = {
  change: UserChange
  /** Who made the change: the user's name, marked when the user has since been deleted. */
  madeBy: string
  fieldChanges: FieldChange[]
  /**
   * The fields the change touched whose values were erased with its user (F4): the record keeps
   * that they changed, not what they were.
   */
  erasedFields: string[]
}

/** How many entries a page of the history shows. */
export const HISTORY_LENGTH = 100

/** A page of the history, and where the next (older) one starts when there is one. */
export type HistoryPage = { entries: HistoryEntry[]; next?: ChangeCursor }

export const businessHistory =
  (ports: { accounts: AccountStore; changes: ChangeStore }) =>
  async (
    userId: string,
    /** The page after this one (older); the newest page without. */
    before?: ChangeCursor,
  ): Promise<Result<HistoryPage, { kind: 'forbidden' } | { kind: 'user-not-found' }>> => {
    const user = await ports.accounts.findUser(userId)
    if (!user) return err({ kind: 'user-not-found' })
    if (user.role !== 'representative') return err({ kind: 'forbidden' })
    // One more than a page: whether there is a next one.
    const listed = await ports.changes.listForBusiness(user.businessId, HISTORY_LENGTH + 1, before)
    const changes = listed.slice(0, HISTORY_LENGTH)
    const last = changes.at(-1)
    const next =
      listed.length > HISTORY_LENGTH && last ? { createdAt: last.createdAt, id: last.id } : undefined
    const names = new Map<string, string | undefined>()
    for (const id of new Set(changes.map((c) => c.userId))) {
      names.set(id, (await ports.accounts.findUser(id))?.name)
    }
    return ok({
      next,
      entries: changes.map((change) => ({
        change,
        madeBy:
          names.get(change.userId) ??
          (change.madeByName ? `${change.madeByName}（削除済みの利用者）` : '（削除された利用者）'),
        fieldChanges: [
          ...(change.business ? businessFieldChanges(change.business.before, change.business.after) : []),
          ...userFieldChanges(change.before, change.after),
        ],
        erasedFields: (change.erasedFields ?? []).map((f) => FIELD_LABELS[f]),
      })),
    })
  }
