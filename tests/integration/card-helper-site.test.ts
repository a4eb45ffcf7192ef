/**
 * The card helper's own site (web/card-helper), over cards in memory: it reads only for the
 * origins of its configuration, only from its own window's form (its grant and its own Origin),
 * only on its own loopback Host; it signs hash(origin) ‖ hash(challenge) for the grant's origin,
 * once per window; a wrong PIN counts, a PIN of the wrong form does not, and no PIN is ever put
 * back in a page. A My Number renewal gives both of the card's certificates, each proven.
 */

import { beforeEach, describe, expect, it } from 'vitest'
import { memoryCardTokens } from '../../adapters/card-helper/card-tokens.memory.ts'
import { createAuthority, daysFrom, issueCertificate } from '../../adapters/dev/test-pki.ts'
import { fromBase64 } from '../../core/lib/base64.ts'
import { helperSignedData } from '../../core/lib/helper-token.ts'
import { x509 } from '../../core/lib/x509.ts'
import { readForPage, tokensFor } from '../../core/use-cases/card-helper/card-helper.ts'
import { createHelperApp } from '../../web/card-helper/helper-app.ts'

const PORTAL = 'https://portal.example.go.jp'
const HELPER = 'http://127.0.0.1:24649'
const NONCE = 'n0nce-of-the-portal_abcdefghijklmnopqrstuvw'
const now = new Date()
const validity = { notBefore: daysFrom(now, -30), notAfter: daysFrom(now, 365) }

let tokens: ReturnType<typeof memoryCardTokens>
let app: ReturnType<typeof createHelperApp>
beforeEach(async () => {
  const ca = await createAuthority('CN=Helper CA', now)
  const [ic, auth, signing] = await Promise.all(
    ['CN=読込 太郎', 'CN=読込 次郎 利用者証明', 'CN=読込 次郎'].map((s) => issueCertificate(ca, s, validity)),
  )
  if (!ic || !auth || !signing) throw new Error('no certificates')
  tokens = memoryCardTokens([
    { ...ic, label: 'IC card', kind: 'ic-card', serialNumber: 'ic', pin: 'IC-PIN-739', tries: 3 },
    {
      ...auth,
      label: 'JPKI (User Authentication PIN)',
      kind: 'my-number-user-authentication',
      serialNumber: 'jpki',
      pin: '4826',
      tries: 3,
    },
    {
      ...signing,
      label: 'JPKI (Digital Signature PIN)',
      kind: 'my-number-signing',
      serialNumber: 'jpki',
      pin: 'SIGN7Q4Z9X',
      tries: 5,
      certificateIsPrivate: true,
    },
  ])
  app = createHelperApp({
    useCases: {
      tokensFor: tokensFor({ tokens }),
      readForPage: readForPage({ tokens, allowedOrigins: [PORTAL] }),
    },
    allowedOrigins: [PORTAL],
    ownOrigins: () => [HELPER],
  })
})

const get = (path: string, headers: Record<string, string> = {}) =>
  app.request(`${HELPER}${path}`, { headers: { host: '127.0.0.1:24649', ...headers } })

const post = (fields: Record<string, string>, headers: Record<string, string> = { origin: HELPER }) =>
  app.request(`${HELPER}/read`, {
    method: 'POST',
    headers: { host: '127.0.0.1:24649', 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })

/** The window's page for a read, and what its form holds. */
const openWindow = async (use = 'authentication') => {
  const page = await get(`/read?origin=${encodeURIComponent(PORTAL)}&use=${use}`)
  expect(page.status).toBe(200)
  const text = await page.text()
  const grant = /name="grant" value="([^"]+)"/.exec(text)?.[1] ?? ''
  const tokenIds = [...text.matchAll(/name="tokenId" id="[^"]+" value="([^"]+)"/g)].map((m) => m[1] ?? '')
  return { text, grant, tokenIds }
}

const answerOf = async (response: Response) => {
  const encoded = /data-answer="([^"]+)"/.exec(await response.text())?.[1]
  if (!encoded) throw new Error('no answer')
  return JSON.parse(new TextDecoder().decode(fromBase64(encoded))) as {
    certificate: string
    algorithm: string
    signature: string
    userAuthentication?: { certificate: string; algorithm: string; signature: string }
  }
}

const holds = async (signed: { certificate: string; signature: string }, origin: string) => {
  const key = await new x509.X509Certificate(fromBase64(signed.certificate)).publicKey.export(
    { name: 'ECDSA', namedCurve: 'P-256' },
    ['verify'],
  )
  return crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    fromBase64(signed.signature),
    await helperSignedData('ES256', origin, NONCE),
  )
}

describe('the card helper’s site', () => {
  it('refuses to open a window for an origin it is not configured for', async () => {
    const page = await get(
      `/read?origin=${encodeURIComponent('https://chotatsu-portal.example.com')}&use=authentication`,
    )
    expect(page.status).toBe(403)
    const text = await page.text()
    expect(text).toContain('からの依頼を受け付ける設定になっていません')
    expect(text).not.toContain('name="grant"')
  })

  it('answers on its own loopback Host only (a rebound DNS name is refused)', async () => {
    const page = await get(`/read?origin=${encodeURIComponent(PORTAL)}&use=authentication`, {
      host: 'rebound.attacker.example:24649',
    })
    expect(page.status).toBe(403)
  })

  it('signs the challenge for the grant’s origin with the right PIN, once per window', async () => {
    const { grant, tokenIds, text } = await openWindow()
    expect(text).toContain('読込 太郎')
    // An IC card and the user-authentication PIN of a My Number card; never its signing one.
    expect(tokenIds).toHaveLength(2)
    const fields = { grant, nonce: NONCE, tokenId: tokenIds[0] ?? '', pin: 'IC-PIN-739' }
    const read = await post(fields)
    expect(read.status).toBe(200)
    const answer = await answerOf(read)
    expect(answer.algorithm).toBe('ES256')
    expect(await holds(answer, PORTAL)).toBe(true)
    expect(await holds(answer, 'https://chotatsu-portal.example.com')).toBe(false)
    expect((await post(fields)).status).toBe(403)
  })

  it('keeps the 50 newest windows’ grants only: any site can make it open one', async () => {
    const first = await openWindow()
    for (let i = 0; i < 50; i++) await openWindow()
    const last = await openWindow()
    const tokenId = first.tokenIds[0] ?? ''
    expect((await post({ grant: first.grant, nonce: NONCE, tokenId, pin: 'IC-PIN-739' })).status).toBe(403)
    expect((await post({ grant: last.grant, nonce: NONCE, tokenId, pin: 'IC-PIN-739' })).status).toBe(200)
  })

  it('refuses a read posted by any page but its own (no Origin, another origin, no grant)', async () => {
    const { grant, tokenIds } = await openWindow()
    const tokenId = tokenIds[0] ?? ''
    for (const headers of [{}, { origin: PORTAL }, { origin: 'https://attacker.example' }] as Record<
      string,
      string
    >[]) {
      const read = await post({ grant, nonce: NONCE, tokenId, pin: 'WRONG-1' }, headers)
      expect(read.status).toBe(403)
    }
    const noGrant = await post({ grant: 'guessed', nonce: NONCE, tokenId, pin: 'WRONG-1' })
    expect(noGrant.status).toBe(403)
    // None of them reached the card: no try was spent.
    expect(tokens.wrongTries(tokenId)).toBe(0)
  })

  it('counts a wrong PIN, says what is left, keeps the challenge, and never shows the PIN', async () => {
    const { grant, tokenIds } = await openWindow()
    const tokenId = tokenIds[0] ?? ''
    const first = await post({ grant, nonce: NONCE, tokenId, pin: 'WRONG-PIN-1' })
    expect(first.status).toBe(422)
    const text = await first.text()
    expect(text).toContain('PINが正しくありません')
    expect(text).toContain(`value="${NONCE}"`)
    expect(text).not.toContain('WRONG-PIN-1')
    const second = await (await post({ grant, nonce: NONCE, tokenId, pin: 'WRONG-PIN-2' })).text()
    expect(second).toContain('あと1回間違えるとカードがロックされます')
    const third = await (await post({ grant, nonce: NONCE, tokenId, pin: 'WRONG-PIN-3' })).text()
    expect(third).toContain('ロックされています')
    expect((await post({ grant, nonce: NONCE, tokenId, pin: 'IC-PIN-739' })).status).toBe(422)
  })

  it('refuses a My Number PIN of the wrong form before the card counts it', async () => {
    const { grant, tokenIds } = await openWindow('my-number-authentication')
    const tokenId = tokenIds[0] ?? ''
    const read = await post({ grant, nonce: NONCE, tokenId, pin: '12' })
    expect(await read.text()).toContain('利用者証明用電子証明書のパスワードは数字4桁です')
    expect(tokens.wrongTries(tokenId)).toBe(0)
  })

  it('refuses a challenge that is not the portal’s form of one', async () => {
    const { grant, tokenIds } = await openWindow()
    const read = await post({ grant, nonce: '<script>', tokenId: tokenIds[0] ?? '', pin: 'IC-PIN-739' })
    expect(read.status).toBe(422)
    expect(await read.text()).not.toContain('<script>')
  })

  it('reads both of a My Number card’s certificates for its renewal, each with its own PIN', async () => {
    const { grant, tokenIds, text } = await openWindow('my-number-renewal')
    expect(text).toContain('利用者証明用電子証明書のパスワード（数字4桁）')
    const tokenId = tokenIds[0] ?? ''
    const wrongSecond = await post({
      grant,
      nonce: NONCE,
      tokenId,
      pin: 'SIGN7Q4Z9X',
      authenticationPin: '0000',
    })
    expect(await wrongSecond.text()).toContain('PINが正しくありません')
    // Typed through an IME: full-width, the signing PIN in lower case. Taken as the card expects.
    const read = await post({
      grant,
      nonce: NONCE,
      tokenId,
      pin: 'ｓｉｇｎ７ｑ４ｚ９ｘ',
      authenticationPin: '４８２６',
    })
    const answer = await answerOf(read)
    expect(await holds(answer, PORTAL)).toBe(true)
    if (!answer.userAuthentication) throw new Error('no user-authentication proof')
    expect(await holds(answer.userAuthentication, PORTAL)).toBe(true)
    expect(answer.userAuthentication.certificate).not.toBe(answer.certificate)
  })
})
