/** Everything a portal's database holds, as text, for tests that search it for what must not be there. */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../adapters/db/schema.ts'

/** Every row of every table of the portal's, pg-boss's and the development parts' schemas but `except`, as text. */
export const everythingStored = async (db: Kysely<Database>, except: string[]): Promise<string> => {
  const { rows: tables } = await sql<{ schema: string; name: string }>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_schema in ('public', 'pgboss', 'development') and table_type = 'BASE TABLE'`.execute(db)
  let text = ''
  for (const t of tables.filter((t) => !except.includes(t.name))) {
    const { rows } = await sql<{ dump: string | null }>`
      select json_agg(t)::text as dump from ${sql.id(t.schema, t.name)} t`.execute(db)
    text += rows[0]?.dump ?? ''
  }
  return text
}
