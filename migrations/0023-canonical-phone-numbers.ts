import { type Kysely, sql } from 'kysely'
import { faxNumber } from '../core/domain/text-rules.ts'

/**
 * 電話番号 and FAX番号 were stored as typed (0312345670 beside 03-1234-5678); from now on in one
 * form, hyphenated by the area code (core/domain/text-rules.ts). The numbers stored before take
 * that form too, so that GEPS receives one shape whatever was typed when; one the rule does not
 * recognise is left as it is, for its user to correct at the next update.
 */
export const up = async (db: Kysely<unknown>): Promise<void> => {
  for (const table of ['users', 'businesses']) {
    const rows = await sql<{ id: string; phone: string; fax: string }>`
      select id, phone, fax from ${sql.table(table)}`.execute(db)
    for (const row of rows.rows) {
      const [phone, fax] = [canonical(row.phone), canonical(row.fax)]
      if (phone === row.phone && fax === row.fax) continue
      await sql`update ${sql.table(table)} set phone = ${phone}, fax = ${fax} where id = ${row.id}`.execute(
        db,
      )
    }
  }
}

/** The stored form of a number, or the number as it was when the rule refuses it. */
const canonical = (stored: string): string => {
  const checked = faxNumber(stored)
  return checked.ok ? checked.value : stored
}

/** The numbers keep their new form: it is the same number. */
export const down = async (): Promise<void> => {}
