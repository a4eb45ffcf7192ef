/**
 * The operator's hand on the trust store (`npm run ops -- trust ...`): the certification
 * authorities whose cards the portal accepts (anchors, each a private authority's or JPKI's), and
 * the intermediate authorities under them. A certificate is checked before it is stored: an
 * anchor must be a self-signed CA valid now, an intermediate a CA valid now. CRLs are fetched
 * from the http(s) distribution points the cards name; an authority that publishes its CRL
 * otherwise (LDAP, a directory name, as JPKI does to its verifiers) has it kept here
 * (`trust crl`), replaced by the operator before its nextUpdate, or its cards are refused as
 * revocation-unknown. An intermediate's kind is stored but not used: the anchor's decides.
 */
import type { Kysely } from 'kysely'
import { fingerprintOf } from '../../core/domain/certificates.ts'
import { fromBase64 } from '../../core/lib/base64.ts'
import { err, ok, type Result } from '../../core/lib/result.ts'
import { x509 } from '../../core/lib/x509.ts'
import type { TrustAnchors } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'

export type TrustEntry = {
  name: string
  role: 'anchor' | 'intermediate'
  kind: 'private' | 'jpki'
  subject: string
  notAfter: Date
  fingerprint: string
}

/** A file as authorities publish them: DER, or PEM (the first block labelled `label` in it). */
const derFromFile = (bytes: Uint8Array, label: string): Uint8Array<ArrayBuffer> => {
  const text = new TextDecoder().decode(bytes)
  const pem = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(text)
  return pem?.[1] ? fromBase64(pem[1].replace(/\s+/g, '')) : new Uint8Array(bytes)
}

/** A certificate file: DER, or PEM (the first certificate in it). */
export const certificateFromFile = (bytes: Uint8Array) => derFromFile(bytes, 'CERTIFICATE')
/** A CRL file: DER, or PEM (X509 CRL). */
export const crlFromFile = (bytes: Uint8Array) => derFromFile(bytes, 'X509 CRL')

export const listTrust = async (db: Kysely<Database>): Promise<TrustEntry[]> => {
  const rows = await db
    .selectFrom('trust_anchors')
    .select(['name', 'role', 'kind', 'certificate'])
    .orderBy('name')
    .execute()
  return Promise.all(rows.map((r) => entryOf(r)))
}

/** What the store says of an entry: its name, role and kind, and its certificate's facts. */
const entryOf = async (e: {
  name: string
  role: TrustEntry['role']
  kind: TrustEntry['kind']
  certificate: Uint8Array
}): Promise<TrustEntry> => {
  const cert = new x509.X509Certificate(new Uint8Array(e.certificate))
  return {
    name: e.name,
    role: e.role,
    kind: e.kind,
    subject: cert.subject,
    notAfter: cert.notAfter,
    fingerprint: await fingerprintOf(new Uint8Array(e.certificate)),
  }
}

export const addTrust = async (
  db: Kysely<Database>,
  entry: { name: string; role: 'anchor' | 'intermediate'; kind: 'private' | 'jpki'; certificate: Uint8Array },
  now: Date,
): Promise<Result<TrustEntry, string>> => {
  let cert: InstanceType<typeof x509.X509Certificate>
  try {
    cert = new x509.X509Certificate(new Uint8Array(entry.certificate))
  } catch {
    return err('not a certificate (DER or PEM)')
  }
  if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca)
    return err(`${cert.subject} is not a CA (basicConstraints cA)`)
  if (now < cert.notBefore || now > cert.notAfter)
    return err(
      `${cert.subject} is not valid now (${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`,
    )
  if (entry.role === 'anchor' && !(await cert.isSelfSigned()))
    return err(`${cert.subject} is not self-signed: add it as an intermediate under its anchor`)
  const taken = await db
    .selectFrom('trust_anchors')
    .select('name')
    .where('name', '=', entry.name)
    .executeTakeFirst()
  if (taken) return err(`the name ${entry.name} is taken: remove it first`)
  await db
    .insertInto('trust_anchors')
    .values({
      name: entry.name,
      role: entry.role,
      kind: entry.kind,
      certificate: new Uint8Array(entry.certificate),
      crl: null,
    })
    .execute()
  return ok(await entryOf(entry))
}

/** Keeps `crl` beside the authority `name`, if that authority signed it and it is current. */
export const setTrustCrl = async (
  db: Kysely<Database>,
  name: string,
  crl: Uint8Array,
  now: Date,
): Promise<Result<{ thisUpdate: Date; nextUpdate?: Date }, string>> => {
  const row = await db
    .selectFrom('trust_anchors')
    .select('certificate')
    .where('name', '=', name)
    .executeTakeFirst()
  if (!row) return err(`no trust entry named ${name}`)
  let list: InstanceType<typeof x509.X509Crl>
  try {
    list = new x509.X509Crl(new Uint8Array(crl))
  } catch {
    return err('not a CRL (DER or PEM)')
  }
  const authority = new x509.X509Certificate(new Uint8Array(row.certificate))
  if (
    list.issuer !== authority.subject ||
    !(await list.verify({ publicKey: authority.publicKey }).catch(() => false))
  )
    return err(`the CRL is not signed by ${authority.subject}`)
  if (!list.nextUpdate || list.nextUpdate <= now)
    return err('the CRL is not current (its nextUpdate has passed, or it has none)')
  await db
    .updateTable('trust_anchors')
    .set({ crl: new Uint8Array(crl) })
    .where('name', '=', name)
    .execute()
  return ok({ thisUpdate: list.thisUpdate, nextUpdate: list.nextUpdate })
}

export const removeTrust = async (db: Kysely<Database>, name: string): Promise<boolean> => {
  const result = await db.deleteFrom('trust_anchors').where('name', '=', name).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/**
 * The trust anchors, the intermediate authorities under them, and the CRLs kept beside them, in
 * the database (the test PKI's in development; `npm run ops -- trust` in production).
 */
export const kyselyTrustAnchors = (db: Kysely<Database>): TrustAnchors => ({
  load: async () => {
    const rows = await db
      .selectFrom('trust_anchors')
      .select(['certificate', 'crl', 'kind', 'role'])
      .orderBy('name')
      .execute()
    return {
      anchors: rows
        .filter((r) => r.role === 'anchor')
        .map((r) => ({ certificate: new Uint8Array(r.certificate), kind: r.kind })),
      intermediates: rows.filter((r) => r.role === 'intermediate').map((r) => new Uint8Array(r.certificate)),
      revocationLists: rows.flatMap((r) => (r.crl ? [new Uint8Array(r.crl)] : [])),
    }
  },
})
