import { type Insertable, type Kysely, type Selectable, sql } from 'kysely'
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres'
import {
  type Business,
  type BusinessFields,
  type Certificate,
  NO_USER_FIELDS,
  type User,
  type UserFields,
} from '../../core/domain/account.ts'
import type { Qualification } from '../../core/domain/qualifications.ts'
import type { AccountStore } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { compiledOnce } from './compiled-once.ts'
import { anyOfIds, byId, type Gathering, gatheredOrOne } from './gathered-calls.ts'

const ERASED_FIELDS_JSON = JSON.stringify(NO_USER_FIELDS)

/**
 * Each table's one mapping between its row (snake_case columns) and the core's value, both ways;
 * every query here and the demo data's inserts go through these.
 */
const toBusiness = (r: Selectable<Database['businesses']>): Business => ({
  id: r.id,
  corporateNumber: r.corporate_number,
  name: r.name,
  nameKana: r.name_kana,
  representativeTitle: r.representative_title,
  representativeName: r.representative_name,
  representativeNameKana: r.representative_name_kana,
  postalCode: r.postal_code,
  address: r.address,
  phone: r.phone,
  fax: r.fax,
  version: r.version,
})

/** The columns of 利用者基本情報(事業者情報) that the representative changes. */
const businessFieldColumns = (f: BusinessFields) => ({
  name: f.name,
  name_kana: f.nameKana,
  representative_title: f.representativeTitle,
  representative_name: f.representativeName,
  representative_name_kana: f.representativeNameKana,
  postal_code: f.postalCode,
  address: f.address,
  phone: f.phone,
  fax: f.fax,
})

export const businessRow = (b: Business): Insertable<Database['businesses']> => ({
  id: b.id,
  corporate_number: b.corporateNumber,
  ...businessFieldColumns(b),
  version: b.version,
})

export const toUser = (r: Selectable<Database['users']>): User => ({
  id: r.id,
  businessId: r.business_id,
  role: r.role,
  cardKind: r.card_kind,
  name: r.name,
  nameKana: r.name_kana,
  department: r.department,
  title: r.title,
  postalCode: r.postal_code,
  address: r.address,
  phone: r.phone,
  fax: r.fax,
  email: r.email,
  version: r.version,
})

/** The columns of 利用者基本情報(利用者情報) that the user changes. */
const userFieldColumns = (f: UserFields) => ({
  name_kana: f.nameKana,
  department: f.department,
  title: f.title,
  postal_code: f.postalCode,
  address: f.address,
  phone: f.phone,
  fax: f.fax,
  email: f.email,
})

export const userRow = (u: User): Insertable<Database['users']> => ({
  id: u.id,
  business_id: u.businessId,
  role: u.role,
  card_kind: u.cardKind,
  name: u.name,
  ...userFieldColumns(u),
  version: u.version,
})

const toQualification = (r: Selectable<Database['qualifications']>): Qualification => ({
  id: r.id,
  supplierCode: r.supplier_code,
  kind: r.kind as Qualification['kind'],
  grade: r.grade as Qualification['grade'],
  regions: r.regions as Qualification['regions'],
  firstYear: r.first_year,
})

const qualificationRow = (q: Qualification, businessId: string): Insertable<Database['qualifications']> => ({
  id: q.id,
  business_id: businessId,
  supplier_code: q.supplierCode,
  kind: q.kind,
  grade: q.grade,
  regions: q.regions,
  first_year: q.firstYear,
})

/** A row of certificates, read as a row or as JSON (where its timestamps are strings). */
type CertificateRow = Omit<Selectable<Database['certificates']>, 'not_before' | 'not_after'> & {
  not_before: Date | string
  not_after: Date | string
}

export const toCertificate = (r: CertificateRow): Certificate => ({
  id: r.id,
  userId: r.user_id,
  fingerprint: r.fingerprint,
  serialNumber: r.serial_number,
  subject: r.subject,
  issuer: r.issuer,
  notBefore: new Date(r.not_before),
  notAfter: new Date(r.not_after),
})

const certificateRow = (
  c: Omit<Certificate, 'userId'>,
  userId: string,
): Insertable<Database['certificates']> => ({
  id: c.id,
  user_id: userId,
  fingerprint: c.fingerprint,
  serial_number: c.serialNumber,
  subject: c.subject,
  issuer: c.issuer,
  not_before: c.notBefore,
  not_after: c.notAfter,
})

/**
 * The accounts' store. With `gathering`, users' overviews read in the same turn of the event loop
 * share a statement (gathered-calls.ts): outside transactions, where a batch of deliveries reads
 * its users at once.
 */
export const kyselyAccountStore = (
  db: Kysely<Database>,
  gathering: Gathering = 'one by one',
): AccountStore => {
  // The input screens run it on each request: built once (compiled-once.ts). One round trip: the
  // business, certificates and qualifications come as JSON beside the user (a timestamp in JSON is
  // a string, which toCertificate reads as well as a Date).
  const userOverviews = compiledOnce(1, (ids: string) =>
    db
      .selectFrom('users')
      .selectAll('users')
      .select((eb) => [
        jsonObjectFrom(
          eb
            .selectFrom('businesses')
            .selectAll('businesses')
            .whereRef('businesses.id', '=', 'users.business_id'),
        ).as('business'),
        jsonArrayFrom(
          eb
            .selectFrom('certificates')
            .selectAll('certificates')
            .whereRef('certificates.user_id', '=', 'users.id')
            .orderBy('not_after'),
        ).as('certificates'),
        jsonArrayFrom(
          eb
            .selectFrom('qualifications')
            .selectAll('qualifications')
            .whereRef('qualifications.business_id', '=', 'users.business_id')
            .orderBy('first_year')
            .orderBy('kind'),
        ).as('qualifications'),
      ])
      .where('users.id', '=', anyOfIds(ids)),
  )
  const findUserOverview = gatheredOrOne(
    gathering,
    byId(
      async (ids) =>
        (await db.executeQuery(userOverviews(JSON.stringify(ids)))).rows.flatMap(
          ({ business, certificates, qualifications, ...user }) =>
            // A user is always of a business; a row without one was read mid-deletion.
            business
              ? [
                  {
                    user: toUser(user),
                    business: toBusiness(business),
                    certificates: certificates.map(toCertificate),
                    qualifications: qualifications.map(toQualification),
                  },
                ]
              : [],
        ),
      (overview) => overview.user.id,
    ),
  )
  return {
    eraseUser: async (userId) => {
      // Their changes stay as records: who (by name), which fields, no values. One statement: the
      // fields a change touched are the keys whose values differ between before and after.
      await sql`
      update user_changes set
        erased_fields = (
          select coalesce(jsonb_agg(key), '[]'::jsonb) from jsonb_object_keys(before) as key
          where before -> key is distinct from after -> key
        ),
        made_by_name = coalesce(made_by_name, (select name from users where id = ${userId})),
        before = ${sql.lit(ERASED_FIELDS_JSON)}::jsonb,
        after = ${sql.lit(ERASED_FIELDS_JSON)}::jsonb,
        sync_state = case when sync_state = 'done' then sync_state else 'superseded' end
      where user_id = ${userId} and erased_fields is null`.execute(db)
      // Certificates, mandate, notices, reminders, drafts naming the user, and sessions (and
      // through them, their drafts) go with the user: their keys cascade. Changes keep no key.
      await db.deleteFrom('users').where('id', '=', userId).execute()
    },
    findRepresentative: async (businessId) => {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('business_id', '=', businessId)
        .where('role', '=', 'representative')
        .executeTakeFirst()
      return row && toUser(row)
    },
    findUserForUpdate: async (userId) => {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirst()
      return row && toUser(row)
    },
    findUser: async (userId) => {
      const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
      return row && toUser(row)
    },
    findUserOverview,
    findBusiness: async (businessId) => {
      const row = await db
        .selectFrom('businesses')
        .selectAll()
        .where('id', '=', businessId)
        .executeTakeFirst()
      return row && toBusiness(row)
    },
    listCertificates: async (userId) =>
      (
        await db
          .selectFrom('certificates')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('not_after')
          .execute()
      ).map(toCertificate),
    findCertificateByFingerprint: async (fingerprint) => {
      const row = await db
        .selectFrom('certificates')
        .selectAll()
        .where('fingerprint', '=', fingerprint)
        .executeTakeFirst()
      return row && toCertificate(row)
    },
    updateUser: async (userId, baseVersion, fields) => {
      const result = await db
        .updateTable('users')
        .set((eb) => ({ ...userFieldColumns(fields), version: eb('version', '+', 1) }))
        .where('id', '=', userId)
        .where('version', '=', baseVersion)
        .executeTakeFirst()
      return result.numUpdatedRows === 1n
    },
    updateBusiness: async (businessId, baseVersion, fields) => {
      const result = await db
        .updateTable('businesses')
        .set((eb) => ({ ...businessFieldColumns(fields), version: eb('version', '+', 1) }))
        .where('id', '=', businessId)
        .where('version', '=', baseVersion)
        .executeTakeFirst()
      return result.numUpdatedRows === 1n
    },
    listQualifications: async (businessId) =>
      (
        await db
          .selectFrom('qualifications')
          .selectAll()
          .where('business_id', '=', businessId)
          .orderBy('first_year')
          .orderBy('kind')
          .execute()
      ).map(toQualification),
    changeQualifications: async (businessId, changes) => {
      if (changes.removed.length > 0) {
        await db
          .deleteFrom('qualifications')
          .where('business_id', '=', businessId)
          .where('id', 'in', changes.removed)
          .execute()
      }
      if (changes.added.length > 0) {
        await db
          .insertInto('qualifications')
          .values(changes.added.map((q) => qualificationRow(q, businessId)))
          .execute()
      }
    },
    changeCertificates: async (userId, changes) => {
      if (changes.removed.length > 0) {
        await db
          .deleteFrom('certificates')
          .where('user_id', '=', userId)
          .where('id', 'in', changes.removed)
          .execute()
      }
      if (changes.added.length === 0) return true
      try {
        await db
          .insertInto('certificates')
          .values(changes.added.map((c) => certificateRow(c, userId)))
          .execute()
        return true
      } catch (e) {
        // 23505: the unique key on the fingerprint. Another user registered it at the same moment.
        if ((e as { code?: string }).code === '23505') return false
        throw e
      }
    },
  }
}
