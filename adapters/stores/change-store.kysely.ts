import { type Kysely, type Selectable, sql } from 'kysely'
import { type BusinessFields, USER_FIELDS, type UserFields } from '../../core/domain/account.ts'
import { isId } from '../../core/lib/ids.ts'
import type { ChangeCursor, ChangeStore, SyncState, UserChange } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { compiledOnce } from './compiled-once.ts'
import { anyOfIds, byId, type Gathering, gatheredOrOne } from './gathered-calls.ts'
import { storableJson } from './storable-json.ts'

/** Certificates come back from jsonb with their dates as text. */
const certificatesOf = (value: unknown): UserChange['certificates'] => {
  if (!value) return undefined
  const stored = value as NonNullable<UserChange['certificates']>
  const withDates = <T extends { notBefore: Date; notAfter: Date }>(c: T): T => ({
    ...c,
    notBefore: new Date(c.notBefore),
    notAfter: new Date(c.notAfter),
  })
  return { added: stored.added.map(withDates), removed: stored.removed.map(withDates) }
}

const toChange = (r: Selectable<Database['user_changes']>): UserChange => ({
  id: r.id,
  receiptNumber: r.receipt_number,
  userId: r.user_id,
  businessId: r.business_id,
  kind: r.kind as UserChange['kind'],
  before: r.before as UserFields,
  after: r.after as UserFields,
  qualifications: (r.qualifications as UserChange['qualifications'] | null) ?? undefined,
  certificates: certificatesOf(r.certificates),
  business:
    r.business_before && r.business_after
      ? { before: r.business_before as BusinessFields, after: r.business_after as BusinessFields }
      : undefined,
  createdAt: new Date(r.created_at),
  sync: {
    state: r.sync_state,
    receipt: r.sync_receipt ?? undefined,
    attempts: r.sync_attempts,
    updatedAt: new Date(r.sync_updated_at),
    lastError: r.sync_error ?? undefined,
    failureNotifiedAt: r.failure_notified_at ? new Date(r.failure_notified_at) : undefined,
  },
  madeByName: r.made_by_name ?? undefined,
  erasedFields: r.erased_fields ? USER_FIELDS.filter((f) => r.erased_fields?.includes(f)) : undefined,
})

/**
 * Newest first by (created_at, id), after `before` when given: a keyset page, served by the
 * (business_id | user_id, created_at desc, id desc) indexes however long the history (0024).
 */
const newestFirst = async (
  db: Kysely<Database>,
  column: 'business_id' | 'user_id',
  id: string,
  limit: number,
  before?: ChangeCursor,
): Promise<UserChange[]> =>
  (
    await db
      .selectFrom('user_changes')
      .selectAll()
      .where(column, '=', id)
      .$if(before !== undefined, (q) =>
        q.where((eb) =>
          eb(
            eb.refTuple('created_at', 'id'),
            '<',
            eb.tuple(before?.createdAt ?? new Date(0), before?.id ?? ''),
          ),
        ),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
  ).map(toChange)

type SyncRecord = { changeId: string; state: SyncState; receipt?: string; at: Date; error?: string }

/**
 * Records outcomes of deliveries to GEPS in one statement, each as ChangeStore's recordSync says:
 * answers each with the change's sync as it now stands, or undefined where nothing was recorded
 * (no such change, or 連携完了 or superseded already). The calls' changes are distinct (the caller
 * keeps two records of one change apart: gatheredCalls' `keyOf`).
 */
const recordSyncs =
  (db: Kysely<Database>) =>
  async (records: SyncRecord[]): Promise<(UserChange['sync'] | undefined)[]> => {
    // In the order of their ids: two such statements (two workers) lock the rows they share in
    // the same order, and never wait for each other in a circle.
    const wellFormed = records
      .filter((r) => isId(r.changeId))
      .sort((a, b) => (a.changeId.toLowerCase() < b.changeId.toLowerCase() ? -1 : 1))
    const rows =
      wellFormed.length === 0
        ? []
        : (
            await sql<Selectable<Database['user_changes']>>`
      update user_changes as c set
        sync_state = v.state,
        sync_receipt = coalesce(v.receipt, c.sync_receipt),
        sync_error = v.error,
        sync_updated_at = v.at,
        sync_attempts = c.sync_attempts + 1
      from json_to_recordset(${JSON.stringify(
        // GEPS's receipt and error as text PostgreSQL can hold: one it cannot would fail the
        // records of every change in the statement (storable-json.ts).
        storableJson(wellFormed).map((r) => ({
          id: r.changeId,
          state: r.state,
          receipt: r.receipt ?? null,
          error: r.error ?? null,
          at: r.at.toISOString(),
        })),
      )}::text::json) as v(id uuid, state text, receipt text, error text, at timestamptz)
      where c.id = v.id and c.sync_state not in ('done', 'superseded')
      returning c.*`.execute(db)
          ).rows
    const synced = new Map(rows.map((r) => [r.id, toChange(r).sync]))
    return records.map((r) => synced.get(r.changeId.toLowerCase()))
  }

/**
 * The changes' store. With `gathering`, finds and sync records made in the same turn of the event
 * loop share a statement (gathered-calls.ts): for the connection pool outside transactions, where
 * a batch of deliveries makes them at once. A transaction's statements go one by one.
 */
export const kyselyChangeStore = (db: Kysely<Database>, gathering: Gathering = 'one by one'): ChangeStore => {
  const changesById = compiledOnce(1, (ids: string) =>
    db.selectFrom('user_changes').selectAll().where('id', '=', anyOfIds(ids)),
  )
  const find = gatheredOrOne(
    gathering,
    byId(
      async (ids) => (await db.executeQuery(changesById(JSON.stringify(ids)))).rows.map(toChange),
      (c) => c.id,
    ),
  )
  const recordSync = gatheredOrOne(gathering, recordSyncs(db), { keyOf: (r) => r.changeId.toLowerCase() })
  return {
    record: async (c) => {
      await db
        .insertInto('user_changes')
        .values({
          id: c.id,
          receipt_number: c.receiptNumber,
          user_id: c.userId,
          business_id: c.businessId,
          kind: c.kind,
          before: c.before,
          after: c.after,
          business_before: c.business?.before ?? null,
          qualifications: c.qualifications ?? null,
          certificates: c.certificates ?? null,
          business_after: c.business?.after ?? null,
          created_at: c.createdAt,
          sync_state: c.sync.state,
          sync_receipt: c.sync.receipt ?? null,
          sync_attempts: c.sync.attempts,
          sync_updated_at: c.sync.updatedAt,
          made_by_name: c.madeByName ?? null,
        })
        .execute()
    },
    listForBusiness: (businessId, limit, before) => newestFirst(db, 'business_id', businessId, limit, before),
    listForUser: (userId, limit) => newestFirst(db, 'user_id', userId, limit),
    find,
    recordSync: (changeId, sync) => recordSync({ changeId, ...sync }),
    nextReceiptSequence: async () => {
      const { rows } = await sql<{ n: string }>`select nextval('user_change_receipts')::text as n`.execute(db)
      return Number(rows[0]?.n)
    },
    findByReceiptNumber: async (receiptNumber) => {
      const r = await db
        .selectFrom('user_changes')
        .selectAll()
        .where('receipt_number', '=', receiptNumber)
        .executeTakeFirst()
      return r && toChange(r)
    },
    markFailureNotified: async (changeId, at) => {
      const updated = await db
        .updateTable('user_changes')
        .set({ failure_notified_at: at })
        .where('id', '=', changeId)
        .where('failure_notified_at', 'is', null)
        .executeTakeFirst()
      return updated.numUpdatedRows > 0n
    },
  }
}
