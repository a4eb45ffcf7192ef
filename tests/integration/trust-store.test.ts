/**
 * The trust store as the operator keeps it (`npm run ops -- trust`): anchors and intermediate
 * authorities, each checked before it is stored, and what the verifier then gets from it; and the
 * command as the operator types it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { migrateToLatest, openDatabase } from '../../adapters/db/database.ts'
import { createAuthority, daysFrom, issueCertificate, revocationList } from '../../adapters/dev/test-pki.ts'
import {
  addTrust,
  certificateFromFile,
  crlFromFile,
  kyselyTrustAnchors,
  listTrust,
  removeTrust,
  setTrustCrl,
} from '../../adapters/stores/trust-store.kysely.ts'
import { validateCertificate } from '../../core/domain/certificate-path.ts'
import { toBase64 } from '../../core/lib/base64.ts'
import { runOps } from '../../jobs/ops.ts'
import { backendUnderTest, openTestDatabase, type TestDatabase } from '../support/database.ts'

const NOW = new Date()
let test: TestDatabase
const folder = mkdtempSync(join(tmpdir(), 'trust-store-'))
beforeAll(async () => {
  test = await openTestDatabase(backendUnderTest())
})
afterAll(async () => {
  await test?.drop()
  rmSync(folder, { recursive: true, force: true })
})

/** A PGlite folder with the portal's tables, closed again for the command to open. */
const migratedFolder = async (dataDir: string) => {
  const handle = await openDatabase({ backend: 'pglite', dataDir })
  await migrateToLatest(handle.db)
  await handle.close()
  return dataDir
}

const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${toBase64(der).replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`

describe('the trust store', () => {
  it('keeps anchors and intermediates, and the verifier builds paths through them', async () => {
    const root = await createAuthority('CN=運用ルート認証局, C=JP', NOW, { pathLength: 1 })
    const intermediate = await createAuthority('CN=運用中間認証局, C=JP', NOW, { issuer: root })
    const db = test.handle.db
    expect(
      await addTrust(
        db,
        { name: 'ops-root', role: 'anchor', kind: 'private', certificate: root.certificate },
        NOW,
      ),
    ).toMatchObject({ ok: true })
    // PEM as authorities publish it reads as its DER.
    const fromPem = certificateFromFile(
      new TextEncoder().encode(`issued by us\n${pem(intermediate.certificate)}`),
    )
    expect(fromPem).toEqual(new Uint8Array(intermediate.certificate))
    expect(
      await addTrust(
        db,
        { name: 'ops-intermediate', role: 'intermediate', kind: 'private', certificate: fromPem },
        NOW,
      ),
    ).toMatchObject({ ok: true })
    expect((await listTrust(db)).map((e) => [e.name, e.role])).toEqual(
      expect.arrayContaining([
        ['ops-intermediate', 'intermediate'],
        ['ops-root', 'anchor'],
      ]),
    )
    const trust = await kyselyTrustAnchors(db).load()
    expect(trust.intermediates?.map((c) => new Uint8Array(c))).toContainEqual(
      new Uint8Array(intermediate.certificate),
    )
    const card = await issueCertificate(intermediate, 'CN=入札 花子, C=JP', {
      notBefore: daysFrom(NOW, -1),
      notAfter: daysFrom(NOW, 300),
    })
    const crls = [
      await revocationList(root, [], NOW, daysFrom(NOW, 7)),
      await revocationList(intermediate, [], NOW, daysFrom(NOW, 7)),
    ]
    const judged = await validateCertificate(
      card.certificate,
      { ...trust, revocationLists: [...trust.revocationLists, ...crls] },
      NOW,
    )
    expect(judged.ok).toBe(true)
    expect(await removeTrust(db, 'ops-intermediate')).toBe(true)
    expect(await removeTrust(db, 'ops-intermediate')).toBe(false)
  })

  it('refuses what is not an authority valid now, an anchor that is not self-signed, and a name taken', async () => {
    const db = test.handle.db
    const root = await createAuthority('CN=もう一つのルート, C=JP', NOW)
    const under = await createAuthority('CN=その下の認証局, C=JP', NOW, { issuer: root })
    const lapsed = await createAuthority('CN=期限切れ認証局, C=JP', NOW, {
      validity: { notBefore: daysFrom(NOW, -800), notAfter: daysFrom(NOW, -1) },
    })
    const card = await issueCertificate(root, 'CN=利用者, C=JP', {
      notBefore: daysFrom(NOW, -1),
      notAfter: daysFrom(NOW, 30),
    })
    const add = (name: string, role: 'anchor' | 'intermediate', certificate: Uint8Array) =>
      addTrust(db, { name, role, kind: 'private', certificate }, NOW)
    expect(await add('a-card', 'anchor', card.certificate)).toMatchObject({
      ok: false,
      error: expect.stringContaining('is not a CA'),
    })
    expect(await add('lapsed', 'anchor', lapsed.certificate)).toMatchObject({
      ok: false,
      error: expect.stringContaining('is not valid now'),
    })
    expect(await add('under', 'anchor', under.certificate)).toMatchObject({
      ok: false,
      error: expect.stringContaining('is not self-signed'),
    })
    expect(await add('garbage', 'anchor', new Uint8Array([1, 2, 3]))).toMatchObject({
      ok: false,
      error: 'not a certificate (DER or PEM)',
    })
    expect(await add('root-2', 'anchor', root.certificate)).toMatchObject({ ok: true })
    expect(await add('root-2', 'anchor', root.certificate)).toMatchObject({
      ok: false,
      error: expect.stringContaining('is taken'),
    })
  })

  it('keeps a CRL beside an authority that publishes it other than over HTTP, if that authority signed it', async () => {
    const db = test.handle.db
    const ldapOnly = await createAuthority('CN=LDAPで公開する認証局, C=JP', NOW)
    const other = await createAuthority('CN=別の認証局, C=JP', NOW)
    expect(
      await addTrust(
        db,
        { name: 'ldap-only', role: 'anchor', kind: 'jpki', certificate: ldapOnly.certificate },
        NOW,
      ),
    ).toMatchObject({ ok: true })
    const crl = await revocationList(ldapOnly, [], NOW, daysFrom(NOW, 2))
    const pemCrl = `-----BEGIN X509 CRL-----\n${toBase64(crl)}\n-----END X509 CRL-----\n`
    expect(crlFromFile(new TextEncoder().encode(pemCrl))).toEqual(new Uint8Array(crl))
    expect(
      await setTrustCrl(db, 'ldap-only', await revocationList(other, [], NOW, daysFrom(NOW, 2)), NOW),
    ).toMatchObject({
      ok: false,
      error: expect.stringContaining('is not signed by'),
    })
    expect(
      await setTrustCrl(db, 'ldap-only', await revocationList(ldapOnly, [], NOW, undefined), NOW),
    ).toMatchObject({
      ok: false,
      error: expect.stringContaining('not current'),
    })
    expect(await setTrustCrl(db, 'nobody', crl, NOW)).toMatchObject({ ok: false })
    expect(await setTrustCrl(db, 'ldap-only', crl, NOW)).toMatchObject({ ok: true })
    // The verifier gets it: a JPKI card under it is judged on it.
    const card = await issueCertificate(ldapOnly, 'CN=委任 次郎, C=JP', {
      notBefore: daysFrom(NOW, -1),
      notAfter: daysFrom(NOW, 300),
    })
    const judged = await validateCertificate(card.certificate, await kyselyTrustAnchors(db).load(), NOW)
    expect(judged.ok && judged.value.use).toBe('my-number-user-authentication')
  })

  it('is kept with the operator command, as typed', async () => {
    // On PostgreSQL the command opens the test's database; on PGlite a folder of its own, as an
    // operator of the embedded default would (the portal stopped).
    const env =
      test.target.backend === 'postgres'
        ? { DATABASE_URL: test.target.url }
        : { DATABASE_URL: '', DATA_DIR: await migratedFolder(join(folder, 'pglite')) }
    const root = await createAuthority('CN=コマンドのルート, C=JP', NOW)
    writeFileSync(join(folder, 'root.pem'), pem(root.certificate))
    const lines: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line))
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect(
        await runOps(['trust', 'add', 'cmd-root', 'anchor', 'private', join(folder, 'root.pem')], env),
      ).toBe(0)
      expect(await runOps(['trust', 'list'], env)).toBe(0)
      expect(await runOps(['trust', 'remove', 'cmd-root'], env)).toBe(0)
      expect(await runOps(['trust', 'remove', 'cmd-root'], env)).toBe(1)
      expect(await runOps(['trust', 'add', 'x', 'root', 'private', 'f'], env)).toBe(2)
    } finally {
      log.mockRestore()
      error.mockRestore()
    }
    expect(lines.join('\n')).toMatch(/Added cmd-root \(anchor, private\): CN=コマンドのルート/)
    expect(lines.join('\n')).toMatch(/cmd-root\tanchor\tprivate\tCN=コマンドのルート/)
  })
})
