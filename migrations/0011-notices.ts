import { type Kysely, sql } from 'kysely'

/** お知らせ and レコメンド, each a user's, read or not. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('notices')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('notice', 'recommendation')`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz', (c) => c.notNull())
    .addColumn('read_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('notices_user').on('notices').columns(['user_id', 'published_at']).execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropTable('notices').execute()
}
