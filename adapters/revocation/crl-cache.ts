/** The CRLs fetched from distribution points, by URL: in PostgreSQL, or in memory for tests. */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

export type CachedCrl = { crl: Uint8Array; nextUpdate?: Date; fetchedAt: Date }

export type CrlCache = {
  find(url: string): Promise<CachedCrl | undefined>
  save(url: string, entry: CachedCrl): Promise<void>
}

export const kyselyCrlCache = (db: Kysely<Database>): CrlCache => ({
  find: async (url) => {
    const r = await db.selectFrom('crl_cache').selectAll().where('url', '=', url).executeTakeFirst()
    return (
      r && {
        crl: new Uint8Array(r.crl),
        nextUpdate: r.next_update ? new Date(r.next_update) : undefined,
        fetchedAt: new Date(r.fetched_at),
      }
    )
  },
  save: async (url, entry) => {
    const row = { crl: entry.crl, next_update: entry.nextUpdate ?? null, fetched_at: entry.fetchedAt }
    await db
      .insertInto('crl_cache')
      .values({ url, ...row })
      .onConflict((oc) => oc.column('url').doUpdateSet(row))
      .execute()
  },
})

export const memoryCrlCache = (): CrlCache => {
  const entries = new Map<string, CachedCrl>()
  return {
    find: async (url) => entries.get(url),
    save: async (url, entry) => {
      entries.set(url, entry)
    },
  }
}
