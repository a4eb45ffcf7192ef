import { type Kysely, sql } from 'kysely'

export const up = async (db: Kysely<unknown>): Promise<void> => {
  await db.schema
    .createTable('businesses')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('corporate_number', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_kana', 'text', (c) => c.notNull())
    .addColumn('representative_title', 'text', (c) => c.notNull())
    .addColumn('representative_name', 'text', (c) => c.notNull())
    .addColumn('representative_name_kana', 'text', (c) => c.notNull())
    .addColumn('postal_code', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('fax', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()

  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('business_id', 'uuid', (c) => c.notNull().references('businesses.id'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('representative', 'agent')`))
    .addColumn('card_kind', 'text', (c) =>
      c.notNull().check(sql`card_kind in ('ic-card', 'file', 'my-number')`),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_kana', 'text', (c) => c.notNull())
    .addColumn('department', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('title', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('postal_code', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('fax', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()
  // One representative per business.
  await sql`create unique index users_one_representative on users (business_id) where role = 'representative'`.execute(
    db,
  )

  await db.schema
    .createTable('certificates')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('serial_number', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('not_before', 'timestamptz', (c) => c.notNull())
    .addColumn('not_after', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('certificates_user').on('certificates').column('user_id').execute()

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey()) // SHA-256 of the cookie's token, never the token
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('challenge', 'text')
    .addColumn('challenge_expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('drafts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) =>
      c.notNull().references('sessions.id').onDelete('cascade').onUpdate('cascade'),
    )
    .addColumn('flow', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('base_version', 'integer', (c) => c.notNull())
    .addColumn('completed_change_id', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('drafts_one_per_flow', ['session_id', 'flow'])
    .execute()

  await db.schema
    .createTable('user_changes')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('business_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('before', 'jsonb', (c) => c.notNull())
    .addColumn('after', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sync_state', 'text', (c) =>
      c.notNull().check(sql`sync_state in ('waiting', 'retrying', 'done', 'failed')`),
    )
    .addColumn('sync_receipt', 'text')
    .addColumn('sync_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sync_updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sync_error', 'text')
    .execute()
  await db.schema
    .createIndex('user_changes_user')
    .on('user_changes')
    .columns(['user_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid')
    .addColumn('business_id', 'uuid')
    .addColumn('client_address', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute()

  // The test PKI's virtual cards and the trust anchors (development and tests; see adapters/card-reader).
  await db.schema
    .createTable('trust_anchors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('certificate', 'bytea', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('virtual_cards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('holder_name', 'text', (c) => c.notNull())
    .addColumn('card_kind', 'text', (c) => c.notNull())
    .addColumn('pin_salt', 'text', (c) => c.notNull())
    .addColumn('pin_hash', 'text', (c) => c.notNull())
    .addColumn('max_tries', 'integer', (c) => c.notNull())
    .addColumn('tries_left', 'integer', (c) => c.notNull())
    .addColumn('certificate', 'bytea', (c) => c.notNull())
    .addColumn('private_key', 'bytea', (c) => c.notNull()) // PKCS#8, of a test key only
    .addColumn('sort_order', 'integer', (c) => c.notNull())
    .execute()
}

export const down = async (db: Kysely<unknown>): Promise<void> => {
  for (const t of [
    'virtual_cards',
    'trust_anchors',
    'audit_log',
    'user_changes',
    'drafts',
    'sessions',
    'certificates',
    'users',
    'businesses',
  ]) {
    await db.schema.dropTable(t).execute()
  }
}
