import { type Kysely, sql } from 'kysely'

/** 資格情報: the business's 全省庁統一資格, one kind per three-year cycle. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('qualifications')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('business_id', 'uuid', (c) => c.notNull().references('businesses.id'))
    .addColumn('supplier_code', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('物品の製造', '物品の販売', '役務の提供等', '物品の買受け')`),
    )
    .addColumn('grade', 'text', (c) => c.notNull().check(sql`grade in ('A', 'B', 'C', 'D')`))
    .addColumn('regions', 'jsonb', (c) => c.notNull())
    .addColumn('first_year', 'integer', (c) => c.notNull())
    .addUniqueConstraint('qualifications_one_kind_per_period', ['business_id', 'kind', 'first_year'])
    .execute()
  await db.schema.alterTable('user_changes').addColumn('qualifications', 'jsonb').execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.alterTable('user_changes').dropColumn('qualifications').execute()
  await db.schema.dropTable('qualifications').execute()
}
