import type { Kysely, Selectable } from 'kysely'
import type { Draft, DraftStore } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { sessionKey } from './session-key.ts'
import { storableJson } from './storable-json.ts'

/** The draft as the core knows it: under the session's id, which the database keeps only hashed. */
const toDraft = (r: Selectable<Database['drafts']>, sessionId: string): Draft => ({
  id: r.id,
  sessionId,
  flow: r.flow,
  payload: r.payload,
  baseVersion: r.base_version,
  completedChangeId: r.completed_change_id ?? undefined,
  userId: r.user_id ?? undefined,
})

export const kyselyDraftStore = (db: Kysely<Database>): DraftStore => ({
  save: async (d) => {
    const values = {
      id: d.id,
      session_id: sessionKey(d.sessionId),
      flow: d.flow,
      payload: storableJson(d.payload),
      base_version: d.baseVersion,
      completed_change_id: null,
      updated_at: new Date(),
      user_id: d.userId ?? null,
    }
    await db
      .insertInto('drafts')
      .values(values)
      .onConflict((oc) => oc.constraint('drafts_one_per_flow').doUpdateSet(values))
      .execute()
  },
  find: async (sessionId, flow) => {
    const r = await db
      .selectFrom('drafts')
      .selectAll()
      .where('session_id', '=', sessionKey(sessionId))
      .where('flow', '=', flow)
      .executeTakeFirst()
    return r && toDraft(r, sessionId)
  },
  findForCompletion: async (sessionId, flow) => {
    const r = await db
      .selectFrom('drafts')
      .selectAll()
      .where('session_id', '=', sessionKey(sessionId))
      .where('flow', '=', flow)
      .forUpdate()
      .executeTakeFirst()
    return r && toDraft(r, sessionId)
  },
  discard: async (sessionId, flow) => {
    await db
      .deleteFrom('drafts')
      .where('session_id', '=', sessionKey(sessionId))
      .where('flow', '=', flow)
      .execute()
  },
  markCompleted: async (draftId, changeId) => {
    await db
      .updateTable('drafts')
      .set({ completed_change_id: changeId, updated_at: new Date() })
      .where('id', '=', draftId)
      .execute()
  },
})
