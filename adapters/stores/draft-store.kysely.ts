import { type Kysely, type Selectable, sql } from 'kysely'
import type { Draft, DraftStore } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { compiledOnce } from './compiled-once.ts'
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

export const kyselyDraftStore = (db: Kysely<Database>): DraftStore => {
  // The input screens run it on each request: built once (compiled-once.ts).
  const draftOf = compiledOnce(2, (key: string, flow: string) =>
    db.selectFrom('drafts').selectAll().where('session_id', '=', key).where('flow', '=', flow),
  )
  return {
    // Only while the session lasts: a request still under way when its session got a new id (a card
    // read in another tab) or ended saves nothing, rather than failing on the foreign key.
    save: async (d) => {
      await sql`
      insert into drafts (id, session_id, flow, payload, base_version, completed_change_id, updated_at, user_id)
      select ${d.id}, id, ${d.flow}, ${storableJson(d.payload)}::jsonb, ${d.baseVersion}, null, now(), ${d.userId ?? null}
      from sessions where id = ${sessionKey(d.sessionId)}
      on conflict on constraint drafts_one_per_flow do update set
        id = excluded.id, payload = excluded.payload, base_version = excluded.base_version,
        completed_change_id = null, updated_at = excluded.updated_at, user_id = excluded.user_id`.execute(db)
    },
    find: async (sessionId, flow) => {
      const r = (await db.executeQuery(draftOf(sessionKey(sessionId), flow))).rows[0]
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
        .set({ completed_change_id: changeId, updated_at: sql`now()` })
        .where('id', '=', draftId)
        .execute()
    },
  }
}
