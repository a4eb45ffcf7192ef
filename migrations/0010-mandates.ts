import type { Kysely } from 'kysely'

/** Each My Number agent's registered electronic mandate (電子委任状): one per agent. */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('mandates')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('delegator_corporate_number', 'text', (c) => c.notNull())
    .addColumn('delegator_business_name', 'text', (c) => c.notNull())
    .addColumn('delegator_representative_name', 'text', (c) => c.notNull())
    .addColumn('delegate_name', 'text', (c) => c.notNull())
    .addColumn('authorities', 'jsonb', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('reference_number', 'text', (c) => c.notNull())
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema.dropTable('mandates').execute()
}
