/**
 * Certificate files as they exist: a table of files the `openssl` command writes in the test, of
 * 入札 花子's demo card, each signed in with on the server path (a browser without JavaScript, or
 * a file the page sends on), and the ciphers refused by name. OpenSSL's -legacy (RC2-40), what
 * OpenSSL 1.x wrote by default, signs in as any other.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePkcs12 } from '../../adapters/dev/pkcs12-writer.ts'
import { openPkcs12 } from '../../core/lib/pkcs12.ts'
import type { Portal } from '../../main.ts'
import {
  OPENSSL_FORMATS,
  OPENSSL_REFUSED,
  opensslAvailable,
  opensslPkcs12,
  opensslReads,
} from '../support/openssl-files.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'

const available = opensslAvailable()
let portal: Portal & { close(): Promise<void> }
let card: { certificate: Uint8Array; privateKey: Uint8Array; authority: Uint8Array }
beforeAll(async () => {
  if (!available) return
  portal = await startTestPortal()
  const { rows } = await sql<{ certificate: Uint8Array; private_key: Uint8Array; authority: Uint8Array }>`
    select c.certificate, c.private_key, a.certificate as authority
    from development.virtual_cards c, trust_anchors a
    where c.id = 'hanako-file' and a.name = 'private-ca'`.execute(portal.database.db)
  const row = rows[0]
  if (!row) throw new Error('no demo file card')
  card = { certificate: row.certificate, privateKey: row.private_key, authority: row.authority }
})
afterAll(async () => portal?.close())

const signInWith = async (file: Uint8Array, password: string) => {
  const c = portalClient(portal)
  await c.get('/sign-in')
  return c.postMultipart('/sign-in/file', { p12: new File([new Uint8Array(file)], 'hanako.p12'), password })
}

if (!available) console.warn('the openssl command is missing here: the file-format table is skipped')

describe.skipIf(!available)('files written by openssl, on the server path', () => {
  it.each(OPENSSL_FORMATS)('$name: opened, and 入札 花子 signs in', async (format) => {
    const file = opensslPkcs12(card, format)
    const opened = await openPkcs12(file, format.password)
    expect(opened.ok && opened.value.certificate).toEqual(new Uint8Array(card.certificate))
    const answer = await signInWith(file, format.password)
    expect(answer.status, answer.text.slice(0, 300)).toBe(303)
    expect(answer.location).toBe('/menu')
    expect(await openPkcs12(file, `${format.password}x`)).toMatchObject({ ok: false })
  })

  it.each(OPENSSL_REFUSED)('$name: refused by name, next to the file', async (format) => {
    const file = opensslPkcs12(card, format)
    expect(await openPkcs12(file, format.password)).toEqual({
      ok: false,
      error: { kind: 'unsupported-algorithm', algorithm: format.algorithm },
    })
    const answer = await signInWith(file, format.password)
    expect(answer.status).toBe(422)
    expect(answer.text).toContain(`調達ポータルが扱えない暗号方式（${format.algorithm}）`)
  })

  it('writes files openssl reads (the demo file), and only with their password', async () => {
    const file = await writePkcs12(card.certificate, card.privateKey, '入札用パスワード')
    expect(opensslReads(file, '入札用パスワード')).toBe(true)
    expect(opensslReads(file, 'wrong')).toBe(false)
  })
})
