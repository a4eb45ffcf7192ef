/**
 * The operator's hand on the trust store (`npm run ops -- trust ...`): the certification
 * authorities whose cards the portal accepts (anchors, each a private authority's or JPKI's), and
 * the intermediate authorities under them. A certificate is checked before it is stored: an
 * anchor must be a self-signed CA valid now, an intermediate a CA valid now; a CRL is fetched
 * from the distribution points the cards name, so none need be stored here.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../adapters/db/schema.ts'
import { fromBase64 } from '../core/base64.ts'
import { fingerprintOf } from '../core/certificates.ts'
import { err, ok, type Result } from '../core/result.ts'
import { x509 } from '../core/x509.ts'

export type TrustEntry = {
  name: string
  role: 'anchor' | 'intermediate'
  kind: 'private' | 'jpki'
  subject: string
  notAfter: Date
  fingerprint: string
}

/** A certificate file as authorities publish them: DER, or PEM (the first certificate in it). */
export const certificateFromFile = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => {
  const text = new TextDecoder().decode(bytes)
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text)
  return pem?.[1] ? fromBase64(pem[1].replace(/\s+/g, '')) : new Uint8Array(bytes)
}

export const listTrust = async (db: Kysely<Database>): Promise<TrustEntry[]> => {
  const rows = await db
    .selectFrom('trust_anchors')
    .select(['name', 'role', 'kind', 'certificate'])
    .orderBy('name')
    .execute()
  return Promise.all(
    rows.map(async (r) => {
      const cert = new x509.X509Certificate(new Uint8Array(r.certificate))
      return {
        name: r.name,
        role: r.role,
        kind: r.kind,
        subject: cert.subject,
        notAfter: cert.notAfter,
        fingerprint: await fingerprintOf(new Uint8Array(r.certificate)),
      }
    }),
  )
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
  return ok({
    name: entry.name,
    role: entry.role,
    kind: entry.kind,
    subject: cert.subject,
    notAfter: cert.notAfter,
    fingerprint: await fingerprintOf(new Uint8Array(entry.certificate)),
  })
}

export const removeTrust = async (db: Kysely<Database>, name: string): Promise<boolean> => {
  const result = await db.deleteFrom('trust_anchors').where('name', '=', name).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}
