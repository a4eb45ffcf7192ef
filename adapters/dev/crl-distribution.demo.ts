/**
 * The development twin of the CRL distribution points: the demo certificates name
 * http://crl.portal-demo.invalid/<anchor>.crl, and this answers each with the CRL kept beside its
 * anchor in `trust_anchors` (or, for tests in memory, in the demo data), as an authority's web
 * server would. Any other URL is not one it publishes: a permanent refusal.
 */
import type { Kysely } from 'kysely'
import { err, ok } from '../../core/lib/result.ts'
import type { CrlDistribution } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { DEMO_CRL_HOST } from './demo-data.ts'

const anchorNameOf = (url: string): string | undefined => {
  try {
    const u = new URL(url)
    return u.host === DEMO_CRL_HOST ? /^\/([\w-]+)\.crl$/.exec(u.pathname)?.[1] : undefined
  } catch {
    return undefined
  }
}

export const demoCrlDistribution = (
  crlOf: (anchorName: string) => Promise<Uint8Array | undefined>,
): CrlDistribution => ({
  fetch: async (url) => {
    const name = anchorNameOf(url)
    const crl = name && (await crlOf(name))
    return crl ? ok(crl) : err({ kind: 'permanent', message: `no CRL published at ${url.slice(0, 200)}` })
  },
})

/** The twin over the database's trust anchors. */
export const trustTableCrls =
  (db: Kysely<Database>) =>
  async (anchorName: string): Promise<Uint8Array | undefined> => {
    const row = await db
      .selectFrom('trust_anchors')
      .select('crl')
      .where('name', '=', anchorName)
      .executeTakeFirst()
    return row?.crl ? new Uint8Array(row.crl) : undefined
  }
