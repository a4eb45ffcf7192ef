/**
 * Sign-in through a local card helper in the style of Web eID: the test plays the helper,
 * signing hash(origin) ‖ hash(challenge) with a demo card's key, and posts the token as the
 * page's script would. Each way a token can be wrong is refused with its own message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Portal } from '../../main.ts'
import { demoCardToken } from '../support/demo-card-files.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal()
})
afterAll(async () => portal?.close())

/** What a helper holding the card `cardId` answers to the nonce (Web eID's token). */
const helperToken = async (
  cardId: string,
  nonce: string,
  options: Parameters<typeof demoCardToken>[3] = {},
) => {
  const token = await demoCardToken(portal, cardId, nonce, options)
  return {
    format: 'web-eid:1.0',
    appVersion: 'https://web-eid.eu/web-eid-app/releases/2.5.0',
    unverifiedCertificate: token.certificate,
    algorithm: token.algorithm,
    signature: token.signature,
  }
}

/** A visitor on the sign-in page, with a fresh challenge from the helper endpoint. */
const visitor = async () => {
  const c = portalClient(portal)
  await c.get('/sign-in')
  const challenge = await c.get('/card-read/challenge')
  expect(challenge.headers.get('cache-control')).toBe('no-store')
  const { nonce } = JSON.parse(challenge.text) as { nonce: string }
  return { c, nonce }
}

describe('sign-in with a card helper', () => {
  it('issues a nonce of at least 256 bits, and signs in with the helper’s token', async () => {
    const { c, nonce } = await visitor()
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{44}$/)
    const answer = await c.postJson('/sign-in/card-helper', await helperToken('taro-ic', nonce))
    expect(answer).toEqual({ status: 200, json: { redirect: '/menu' } })
    const menu = await c.get('/menu')
    expect(menu.status).toBe(200)
    expect(menu.text).toContain('調達 太郎')
  })

  it('accepts the other ECDSA hashes a helper may name', async () => {
    for (const algorithm of ['ES384', 'ES512'] as const) {
      const { c, nonce } = await visitor()
      const answer = await c.postJson(
        '/sign-in/card-helper',
        await helperToken('hanako-file', nonce, { algorithm }),
      )
      expect(answer.status, algorithm).toBe(200)
    }
  })

  it('refuses a signature made for another origin: a look-alike site cannot relay it', async () => {
    const { c, nonce } = await visitor()
    const token = await helperToken('taro-ic', nonce, { origin: 'https://chotatsu-portal.example.com' })
    const answer = await c.postJson('/sign-in/card-helper', token)
    expect(answer.status).toBe(422)
    expect(answer.json).toMatchObject({
      error: 'certificate',
      message: expect.stringContaining('署名を確認できませんでした'),
    })
    expect((await c.get('/menu')).status).toBe(303)
  })

  it('refuses a signature by another key, and an algorithm that does not fit the key', async () => {
    const other = await visitor()
    const byOtherKey = await helperToken('taro-ic', other.nonce, { signAs: 'hanako-file' })
    expect((await other.c.postJson('/sign-in/card-helper', byOtherKey)).json).toMatchObject({
      error: 'certificate',
    })
    const mismatch = await visitor()
    const token = { ...(await helperToken('taro-ic', mismatch.nonce)), algorithm: 'RS256' }
    expect((await mismatch.c.postJson('/sign-in/card-helper', token)).json).toMatchObject({
      error: 'certificate',
    })
  })

  it('refuses a nonce used once already, and one from another session', async () => {
    const first = await visitor()
    const token = await helperToken('taro-ic', first.nonce)
    expect((await first.c.postJson('/sign-in/card-helper', token)).status).toBe(200)
    const replay = await visitor() // a new session, replaying the token of the first
    const answer = await replay.c.postJson('/sign-in/card-helper', token)
    expect(answer).toMatchObject({ status: 422, json: { error: 'certificate' } })
    // The nonce was taken by that attempt: the right token for it is refused too.
    const again = await replay.c.postJson('/sign-in/card-helper', await helperToken('taro-ic', replay.nonce))
    expect(again).toMatchObject({ status: 422, json: { error: 'challenge-missing' } })
  })

  it('says an unregistered certificate is not registered', async () => {
    const { c, nonce } = await visitor()
    const answer = await c.postJson('/sign-in/card-helper', await helperToken('taro-ic-new', nonce))
    expect(answer).toMatchObject({
      status: 422,
      json: { error: 'certificate-not-registered', message: expect.stringContaining('登録されていません') },
    })
  })

  it('refuses a token it cannot read, with a message, and one without the CSRF token', async () => {
    const { c, nonce } = await visitor()
    for (const broken of [
      { format: 'web-eid:1.0' },
      { ...(await helperToken('taro-ic', nonce)), unverifiedCertificate: 'not base64!' },
      { ...(await helperToken('taro-ic', nonce)), algorithm: 'none' },
      { ...(await helperToken('taro-ic', nonce)), format: 'web-eid:2' },
    ]) {
      const answer = await c.postJson('/sign-in/card-helper', broken)
      expect(answer).toMatchObject({ status: 400, json: { error: 'malformed-token' } })
      expect(answer.json.message).toContain('カードヘルパー')
    }
    // A script that has the session's cookie but not the page's CSRF token is refused.
    const stranger = portalClient(portal)
    const { nonce: strangerNonce } = JSON.parse((await stranger.get('/card-read/challenge')).text)
    const refused = await stranger.postJson(
      '/sign-in/card-helper',
      await helperToken('taro-ic', strangerNonce),
    )
    expect(refused.status).toBe(403)
    expect((await stranger.get('/menu')).status).toBe(303)
  })
})
