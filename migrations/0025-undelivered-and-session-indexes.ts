import { type Kysely, sql } from 'kysely'

/**
 * Indexes for the scheduled jobs at a million users (issue 20, found by the bench's scale part):
 * the delivery reconciliation reads the changes still waiting for GEPS each minute, a handful
 * among millions delivered; the session clean-up deletes the sessions idle or old past their
 * limits. Without them both read their whole table.
 *
 * `if not exists`, as 0024: an operator may build them beforehand, concurrently
 * (docs/operations.md).
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await sql`create index if not exists user_changes_undelivered
    on user_changes (created_at) where sync_state in ('waiting', 'retrying')`.execute(db)
  await sql`create index if not exists sessions_last_seen on sessions (last_seen_at)`.execute(db)
  await sql`create index if not exists sessions_created on sessions (created_at)`.execute(db)
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  for (const index of ['sessions_created', 'sessions_last_seen', 'user_changes_undelivered'])
    await sql`drop index if exists ${sql.id(index)}`.execute(db)
}
