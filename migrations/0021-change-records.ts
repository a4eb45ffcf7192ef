import { type Kysely, sql } from 'kysely'

/**
 * A change remembers whether its user was told that GEPS refused it for good (once only), and
 * keeps, after its user is deleted (F4), who made it and which fields it touched, without the
 * values: the business's 変更履歴 keeps that an agent existed without his contact data. A change
 * of his that GEPS had not taken when he was deleted is 'superseded': the deletion replaces it.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .alterTable('user_changes')
    .addColumn('failure_notified_at', 'timestamptz')
    .addColumn('made_by_name', 'text')
    .addColumn('erased_fields', 'jsonb')
    .execute()
  await setSyncStates(db, ['waiting', 'retrying', 'done', 'failed', 'superseded'])
}

const setSyncStates = async (db: Kysely<unknown>, states: string[]) => {
  await sql`alter table user_changes drop constraint if exists user_changes_sync_state_check`.execute(db)
  await sql`alter table user_changes add constraint user_changes_sync_state_check
    check (sync_state in (${sql.join(states.map((s) => sql.lit(s)))}))`.execute(db)
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await sql`update user_changes set sync_state = 'failed' where sync_state = 'superseded'`.execute(db)
  await setSyncStates(db, ['waiting', 'retrying', 'done', 'failed'])
  await db.schema
    .alterTable('user_changes')
    .dropColumn('failure_notified_at')
    .dropColumn('made_by_name')
    .dropColumn('erased_fields')
    .execute()
}
