/** Route-level behaviour over the in-memory adapters: headers, origins, and the settings behind them. */
import { describe, expect, it } from 'vitest'
import { CARD_READ_LIMITS } from '../core/use-cases/shared/card-read-limits.ts'
import { configFromEnv } from '../main.ts'
import { formClient } from '../tests/support/form-client.ts'
import { memoryPortal } from '../tests/support/memory-portal.ts'
import { createApp } from './app.ts'

const appWith = async (options: { publicOrigin?: string; clientAddressOf?: () => string } = {}) => {
  const portal = await memoryPortal()
  return createApp({
    useCases: portal.useCases(),
    htmxScript: '/* htmx */',
    secureCookies: false,
    ...options,
  })
}

/** 入札 花子 signed in on a portal of her own: its app and state, the menu, her cookie and CSRF token. */
const signedInAsHanako = async () => {
  const portal = await memoryPortal()
  const app = createApp({ useCases: portal.useCases(), htmxScript: '', secureCookies: false })
  const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
  await c.get('/sign-in')
  expect((await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })).status).toBe(303)
  const menu = (await c.get('/menu')).text
  const token = /name="_csrf" value="([^"]+)"/.exec(menu)?.[1] ?? ''
  expect(token).not.toBe('')
  const cookie = [...c.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  return { portal, app, menu, token, cookie }
}

/** Every POST route the app registers, with any path parameter filled in. */
const postRoutes = (app: ReturnType<typeof createApp>) =>
  [...new Set(app.routes.filter((r) => r.method === 'POST').map((r) => r.path))].map((route) => ({
    route,
    path: route.replace(/:[^/]+/g, crypto.randomUUID()),
  }))

describe('security headers', () => {
  it('sends them on every answer, assets and redirects included', async () => {
    const app = await appWith()
    for (const path of [
      '/view?mode=simple',
      '/assets/htmx.min.js',
      '/assets/app.css',
      '/llms.txt',
      '/nowhere',
    ]) {
      const res = await app.request(path)
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'")
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff')
    }
  })

  it('sends a strict content security policy with a nonce of its own for each page, and no framing', async () => {
    const app = await appWith()
    const res = await app.request('/sign-in')
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1]
    expect(nonce).toMatch(/^[A-Za-z0-9+/=_-]{16,}$/)
    expect(csp).toContain(`style-src 'self' 'nonce-${nonce}'`)
    const page = await res.text()
    const scripts = page.match(/<script\b[^>]*>/g) ?? []
    expect(scripts).toHaveLength(2)
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`)
    // htmx asks only its own origin, and injects no style.
    expect(page).toContain('"includeIndicatorCSS": false, "mode": "same-origin"')
    const again = (await app.request('/sign-in')).headers.get('content-security-policy') ?? ''
    expect(/'nonce-([^']+)'/.exec(again)?.[1]).not.toBe(nonce)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('referrer-policy')).toBe('same-origin')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^sid=/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
  })
})

describe('the session cookie', () => {
  it('is __Host-sid over HTTPS: Secure, HttpOnly, SameSite, the whole site of this host alone', async () => {
    const portal = await memoryPortal()
    const app = createApp({ useCases: portal.useCases(), htmxScript: '', secureCookies: true })
    const origin = 'https://portal.example.go.jp'
    const c = formClient(
      (path, init) => Promise.resolve(app.request(new URL(path, origin).href, init)),
      origin,
    )
    const res = await app.request(`${origin}/sign-in`)
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^__Host-sid=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
    expect(cookie).not.toContain('Domain')
    // It opens the session; the same token under the plain name does not.
    await c.get('/sign-in')
    expect((await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })).status).toBe(303)
    const token = c.cookies.get('__Host-sid') ?? ''
    expect(token).not.toBe('')
    const withPrefix = await app.request(`${origin}/menu`, { headers: { cookie: `__Host-sid=${token}` } })
    expect(withPrefix.status).toBe(200)
    const plain = await app.request(`${origin}/menu`, { headers: { cookie: `sid=${token}` } })
    expect(plain.status).toBe(303)
    // Signing out deletes it under the same name.
    await c.get('/menu')
    expect((await c.post('/sign-out', {})).status).toBe(303)
    expect(c.cookies.has('__Host-sid')).toBe(false)
  })

  it('is sid, not Secure, for plain-HTTP development on this machine', async () => {
    const app = await appWith()
    const cookie = (await app.request('/sign-in')).headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/)
  })
})

describe('Strict-Transport-Security', () => {
  it('is a year long when the portal is served over HTTPS, and absent over plain HTTP', async () => {
    const overHttp = await appWith()
    expect((await overHttp.request('/sign-in')).headers.get('strict-transport-security')).toBeNull()
    const behindProxy = await appWith({ publicOrigin: 'https://portal.example.go.jp' })
    for (const path of ['/sign-in', '/assets/app.css', '/nowhere']) {
      const res = await behindProxy.request(path)
      expect(res.headers.get('strict-transport-security'), path).toBe('max-age=31536000; includeSubDomains')
    }
    const direct = await appWith()
    expect(
      (await direct.request('https://portal.example.go.jp/sign-in')).headers.get('strict-transport-security'),
    ).toBe('max-age=31536000; includeSubDomains')
  })
})

describe('pages that show personal data', () => {
  it('are never stored by the browser: every page a signed-in user can GET says no-store', async () => {
    const { app, cookie } = await signedInAsHanako()
    const pages = app.routes
      .filter((r) => r.method === 'GET' && !r.path.includes(':') && !r.path.includes('*'))
      .map((r) => r.path)
      .filter(
        (path) =>
          !path.startsWith('/assets/') &&
          !['/llms.txt', '/health', '/health/live', '/favicon.ico'].includes(path),
      )
    expect(pages).toEqual(expect.arrayContaining(['/menu', '/user/edit', '/business/history']))
    const shown: string[] = []
    for (const path of new Set(pages)) {
      const res = await app.request(path, { headers: { cookie } })
      if (res.status !== 200) continue
      shown.push(path)
      expect(res.headers.get('cache-control'), path).toBe('no-store')
    }
    expect(shown).toEqual(expect.arrayContaining(['/menu', '/user/edit']))
  })
})

describe('behind a proxy', () => {
  it('accepts a POST from the public origin and refuses one from any other', async () => {
    const app = await appWith({ publicOrigin: 'https://portal.example.go.jp' })
    const fetcher = (path: string, init: RequestInit) => Promise.resolve(app.request(path, init))
    const fromPublic = formClient(fetcher, 'https://portal.example.go.jp')
    await fromPublic.get('/sign-in')
    const signedIn = await fromPublic.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
    expect(signedIn.status).toBe(303)

    const fromInside = formClient(fetcher, 'http://localhost')
    await fromInside.get('/sign-in')
    const refused = await fromInside.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
    expect(refused.status).toBe(403)
  })
})

describe('the origin a signed token must cover', () => {
  it('is the request’s own only on this machine: elsewhere, without PUBLIC_URL, no token is taken', async () => {
    const app = await appWith()
    const token = { tokenCertificate: 'AAAA', tokenAlgorithm: 'ES256', tokenSignature: 'AAAA' }
    const elsewhere = formClient(
      (path, init) => Promise.resolve(app.request(`http://portal.example.com${path}`, init)),
      'http://portal.example.com',
    )
    await elsewhere.get('/sign-in')
    const refused = await elsewhere.post('/sign-in', token)
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('公開URLが設定されていません')
    const json = await elsewhere.postJson('/sign-in/card-helper', {
      format: 'web-eid:1',
      unverifiedCertificate: 'AAAA',
      algorithm: 'ES256',
      signature: 'AAAA',
    })
    expect(json).toMatchObject({ status: 422, json: { error: 'no-public-url' } })

    const here = formClient((path, init) => Promise.resolve(app.request(path, init)), 'http://localhost')
    await here.get('/sign-in')
    const verified = await here.post('/sign-in', token)
    expect(verified.status).toBe(422)
    expect(verified.text).not.toContain('公開URLが設定されていません') // it reached the verifier
    expect(verified.text).toContain('電子証明書を読み取れませんでした')
  })
})

describe('sessions', () => {
  it('signs a user out after 30 idle minutes, but not while they keep working', async () => {
    // The clock stands where the test puts it, and the demo PKI, its CRLs and the session are made
    // on it: a fixed instant that meets no other clock.
    const signedInAt = new Date('2026-11-27T09:00:00Z')
    const portal = await memoryPortal(signedInAt)
    const sessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 }
    const app = createApp({
      useCases: portal.useCases({ sessionLimits }),
      htmxScript: '',
      secureCookies: false,
    })
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    await c.get('/sign-in')
    expect((await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })).status).toBe(303)
    const minutesAfterSignIn = (minutes: number) =>
      portal.clock.set(new Date(signedInAt.getTime() + minutes * 60_000))
    for (const minutes of [20, 40, 60]) {
      minutesAfterSignIn(minutes)
      expect((await c.get('/menu')).status, `after ${minutes} minutes`).toBe(200)
    }
    minutesAfterSignIn(91)
    const expired = await c.get('/menu')
    expect(expired.status).toBe(303)
    expect(expired.location).toBe('/sign-in?why=ended')
  })
})

describe('the views', () => {
  it('keeps the simplified view once asked for, until asked for the full one', async () => {
    const app = await appWith()
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    const simple = await c.get('/sign-in?view=simple')
    expect(simple.text).not.toContain('<script')
    expect((await c.get('/sign-in')).text).not.toContain('<script')
    expect((await c.get('/sign-in?view=full')).text).toContain('<script')
    expect((await c.get('/sign-in')).text).toContain('<script')
  })

  it('switches the view and returns to the same page, and never to another site', async () => {
    const app = await appWith()
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    expect((await c.get('/view?mode=simple&return=%2Fuser%2Fedit')).location).toBe('/user/edit')
    expect((await c.get('/sign-in')).text).not.toContain('<script')
    for (const elsewhere of [
      '//evil.example/',
      '/\\evil.example',
      'https://evil.example/',
      '/\t/evil.example/x',
      '/\n/evil.example/x',
      '/\r\nSet-Cookie: sid=x',
      'javascript:alert(1)',
      '/.//evil.example/phish',
      '/..//evil.example/phish',
      '/%2e//evil.example/phish',
      '/%2E%2E//evil.example/phish',
      '/./\\evil.example/phish',
      '/a/..//evil.example/phish',
    ]) {
      const res = await c.get(`/view?mode=full&return=${encodeURIComponent(elsewhere)}`)
      expect(res.status, JSON.stringify(elsewhere)).toBe(303)
      expect(res.location, JSON.stringify(elsewhere)).toMatch(/^\/(?![/\\])/)
      expect(new URL(res.location ?? '', 'https://portal.example.go.jp').origin).toBe(
        'https://portal.example.go.jp',
      )
    }
    expect((await c.get('/view?mode=full&return=%2Fuser%2Fedit%3Ffresh%3D1')).location).toBe(
      '/user/edit?fresh=1',
    )
  })

  it('links the view switch back to the same page, query included', async () => {
    const app = await appWith()
    const page = await app.request('/sign-in?view=full&x=1')
    expect(await page.text()).toContain('/view?mode=simple&amp;return=%2Fsign-in%3Fx%3D1')
  })
})

describe('limits', () => {
  it('refuses a body over 64 KB with a page that says so, changing nothing', async () => {
    const app = await appWith()
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    expect((await c.get('/sign-in')).text).toContain(
      '調達 太郎（代表者・ICカード）<span class="tries">（PIN入力 残り5回）',
    )
    const res = await c.post('/sign-in', { cardId: 'taro-ic', pin: 'x'.repeat(70 * 1024) })
    expect(res.status).toBe(413)
    expect(res.text).toContain('送信された内容が大きすぎるため')
    // Nothing read the PIN: no try was taken, and the visitor is not signed in.
    expect((await c.get('/sign-in')).text).toContain(
      '調達 太郎（代表者・ICカード）<span class="tries">（PIN入力 残り5回）',
    )
    expect((await c.get('/menu')).location).toBe('/sign-in')
  })

  it('answers 429 with a message once a client has failed to sign in too often', async () => {
    const app = await appWith({ clientAddressOf: () => '198.51.100.9' })
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    await c.get('/sign-in')
    for (let i = 0; i < CARD_READ_LIMITS.perAddress; i++)
      await c.post('/sign-in', { cardId: 'hanako-file', pin: `guess-${i}` })
    const refused = await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
    expect(refused.status).toBe(429)
    expect(refused.text).toContain('ログインの失敗が続いたため、安全のため15分ほどログインを受け付けません。')
  })

  it('answers 429 on 電子証明書更新 too, which reads cards without sign-in, once a client has failed there too often', async () => {
    const app = await appWith({ clientAddressOf: () => '198.51.100.10' })
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    await c.get('/renewal')
    for (let i = 0; i < CARD_READ_LIMITS.perAddress; i++) {
      const wrong = await c.post('/renewal', { kind: 'private', cardId: 'hanako-file', pin: `guess-${i}` })
      expect(wrong.status).toBe(422)
    }
    const refused = await c.post('/renewal', { kind: 'private', cardId: 'hanako-file', pin: 'hanako-2026' })
    expect(refused.status).toBe(429)
    expect(refused.text).toContain('カードの読み込みの失敗が続いたため、安全のため15分ほど受け付けません。')
  })

  it.each([
    ['電子委任状更新 (F3)', '/mandate/expired', 'jiro-mynumber-signing', 'ABC123'],
    ['代理人情報削除 (F4)', '/mandate/deletion', 'jiro-mynumber', '4321'],
  ])(
    'answers 429 with its reason on %s too, once a client has failed there too often',
    async (_, path, cardId, pin) => {
      const app = await appWith({ clientAddressOf: () => '198.51.100.11' })
      const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
      await c.get('/sign-in')
      expect((await c.post('/sign-in', { cardId: 'jiro-mynumber', pin: '4321' })).status).toBe(303)
      await c.get(path)
      for (let i = 0; i < CARD_READ_LIMITS.perAddress; i++) {
        const wrong = await c.post(path, { cardId: 'hanako-file', pin: `guess-${i}` })
        expect(wrong.status).toBe(422)
      }
      const refused = await c.post(path, { cardId, pin })
      expect(refused.status).toBe(429)
      expect(refused.text).toContain('カードの読み込みの失敗が続いたため、安全のため15分ほど受け付けません。')
    },
  )

  it('labels a locked card as locked on the sign-in page', async () => {
    const app = await appWith()
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    await c.get('/sign-in')
    for (let i = 0; i < 5; i++) await c.post('/sign-in', { cardId: 'taro-ic', pin: '0000' })
    const page = await c.get('/sign-in')
    expect(page.text).toMatch(/調達 太郎（代表者・ICカード）<span class="tries">（ロック中）<\/span>/)
  })
})

describe('settings', () => {
  it('runs the embedded default with no settings at all', () => {
    const config = configFromEnv({})
    expect(config.database).toEqual({ backend: 'pglite', dataDir: './.data/pglite' })
    expect(config).toMatchObject({
      demoData: true,
      workers: true,
      secureCookies: false,
      port: 3000,
      host: '127.0.0.1',
    })
    expect(config.smtpUrl).toBeUndefined()
    expect(config.gepsUrl).toBeUndefined()
  })
  it('uses real services when told, with secure cookies behind an HTTPS public URL', () => {
    const config = configFromEnv({
      DATABASE_URL: 'postgres://portal@db.internal/portal',
      SMTP_URL: 'smtp://relay.internal:25',
      GEPS_URL: 'https://geps.example.go.jp/',
      PUBLIC_URL: 'https://portal.example.go.jp/',
    })
    expect(config.database).toEqual({
      backend: 'postgres',
      url: 'postgres://portal@db.internal/portal',
      poolSize: 10,
      timeouts: { connectSeconds: 3, querySeconds: 10 },
    })
    expect(
      configFromEnv({
        DATABASE_URL: 'postgres://db/portal',
        DATABASE_POOL_SIZE: '30',
        DATABASE_CONNECT_TIMEOUT_SECONDS: '5',
        DATABASE_QUERY_TIMEOUT_SECONDS: '2.5',
      }).database,
    ).toEqual({
      backend: 'postgres',
      url: 'postgres://db/portal',
      poolSize: 30,
      timeouts: { connectSeconds: 5, querySeconds: 2.5 },
    })
    expect(() =>
      configFromEnv({ DATABASE_URL: 'postgres://db/portal', DATABASE_QUERY_TIMEOUT_SECONDS: '0' }),
    ).toThrow(/DATABASE_QUERY_TIMEOUT_SECONDS/)
    expect(config).toMatchObject({
      demoData: false,
      secureCookies: true,
      publicOrigin: 'https://portal.example.go.jp',
    })
    expect(
      configFromEnv({ PUBLIC_URL: 'https://portal.example.go.jp', SECURE_COOKIES: 'false' }).secureCookies,
    ).toBe(false)
  })
  it('reads the mandate-handling businesses as JSON, refusing what is not a list of them', () => {
    expect(configFromEnv({}).mandateProviders).toBeUndefined()
    const providers = [{ id: 'a', name: '電子委任状サービスA', url: 'https://mandates-a.example.jp' }]
    expect(configFromEnv({ MANDATE_PROVIDERS: JSON.stringify(providers) }).mandateProviders).toEqual(
      providers,
    )
    for (const bad of ['not json', '[]', '[{"id":"a","name":"A","url":"nowhere"}]']) {
      expect(() => configFromEnv({ MANDATE_PROVIDERS: bad }), bad).toThrow()
    }
  })
  it('trusts X-Forwarded-For only when told the portal stands behind a proxy, or only from its addresses', () => {
    expect(configFromEnv({}).trustProxy).toBe(false)
    expect(configFromEnv({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(configFromEnv({ TRUST_PROXY: '10.0.0.5, ::1' }).trustProxy).toEqual(['10.0.0.5', '::1'])
    expect(() => configFromEnv({ TRUST_PROXY: 'nginx' })).toThrow(/TRUST_PROXY/)
  })
  it('reads the lock count of virtual private IC cards, refusing one no card has', () => {
    expect(configFromEnv({}).icCardPinTries).toBe(5)
    expect(configFromEnv({ IC_CARD_PIN_TRIES: '3' }).icCardPinTries).toBe(3)
    expect(() => configFromEnv({ IC_CARD_PIN_TRIES: '0' })).toThrow(/IC_CARD_PIN_TRIES/)
  })
  it('reads the session limits', () => {
    expect(configFromEnv({ SESSION_IDLE_MINUTES: '10', SESSION_MAX_HOURS: '2' }).sessionLimits).toEqual({
      idleMs: 600_000,
      absoluteMs: 7_200_000,
    })
  })
  it('refuses a setting it cannot read, naming it', () => {
    expect(() => configFromEnv({ PORT: 'eighty' })).toThrow(/PORT/)
  })
})

describe('the modules the page loads', () => {
  it('serves the listed core and page modules as JavaScript importing .js, and nothing else', async () => {
    const app = await appWith()
    const pkcs12 = await app.request('/assets/modules/core/lib/pkcs12.js')
    expect(pkcs12.status).toBe(200)
    expect(pkcs12.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const script = await pkcs12.text()
    expect(script).toContain("from './result.js'")
    expect(script).toContain("from '/assets/modules/vendor/asn1js.js'")
    expect(script).not.toMatch(/from '[^']+\.ts'/)
    // Types are gone: no annotation of the exported function's parameters is left.
    expect(script).toMatch(
      /export const openPkcs12 = async \(\s*file\s*,\s*password\s*,\s*options\s*=\s*\{\}\s*,?\s*\)/,
    )
    // The package it imports, from its ES module build, its own imports pointed likewise.
    const asn1js = await app.request('/assets/modules/vendor/asn1js.js')
    expect(asn1js.status).toBe(200)
    expect(await asn1js.text()).toContain("from '/assets/modules/vendor/pvutils.js'")
    for (const path of [
      '/assets/modules/core/use-cases/sign-in/sign-in.js',
      '/assets/modules/../main.js',
      '/assets/modules/core/lib/x509.js',
      '/assets/modules/vendor/node-forge.js',
      '/assets/modules/vendor/tslib.js',
    ]) {
      expect((await app.request(path)).status, path).toBe(404)
    }
  })
})

describe('CSRF', () => {
  it('every POST route refuses a signed-in request without the session’s token, and changes nothing', async () => {
    const { portal, app, menu, token, cookie } = await signedInAsHanako()
    // htmx sends it in a header on every request from the page, a form's or not.
    expect(menu).toContain(`hx-headers:inherited="{&quot;X-CSRF-Token&quot;:&quot;${token}&quot;}"`)
    const post = (path: string, headers: Record<string, string>) =>
      app.request(path, {
        method: 'POST',
        headers: {
          cookie,
          origin: 'http://localhost',
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
        body: new URLSearchParams({ cardId: 'hanako-file', pin: 'hanako-2026', title: '部長' }).toString(),
      })

    const before = structuredClone(portal.state)
    const routes = postRoutes(app)
    expect(routes.map((r) => r.route)).toEqual(
      expect.arrayContaining(['/sign-out', '/user/edit', '/user/confirm', '/renewal']),
    )
    for (const { route, path } of routes) {
      const refused: Record<string, string>[] = [
        {},
        { 'x-csrf-token': 'not-the-token' },
        { 'x-csrf-token': '' },
      ]
      for (const headers of refused) {
        const res = await post(path, headers)
        expect(res.status, `${route} ${JSON.stringify(headers)}`).toBe(403)
      }
    }
    expect(portal.state).toEqual(before)

    // The same request with the token in the header is taken.
    expect((await post('/user/edit', { 'x-csrf-token': token })).status).not.toBe(403)
  })
})

describe('/llms.txt', () => {
  it('names the session cookie and its limits as this portal is set up', async () => {
    const byDefault = await (await (await appWith()).request('/llms.txt')).text()
    expect(byDefault).toContain('session cookie `sid`')
    expect(byDefault).toContain('ends after\n  30 minutes without a request, and 12 hours after sign-in')
    const portal = await memoryPortal()
    const sessionLimits = { idleMs: 15 * 60_000, absoluteMs: 8 * 3_600_000 }
    const configured = createApp({
      useCases: portal.useCases({ sessionLimits }),
      htmxScript: '',
      secureCookies: true,
    })
    const text = await (await configured.request('/llms.txt')).text()
    // What each refusal means, the rarer ones included.
    for (const status of ['400 when', '403 when', '409 when', '413 when', '422 with', '429 on', '503 when'])
      expect(text).toContain(status)
    expect(text).toContain('session cookie `__Host-sid`')
    expect(text).toContain('15 minutes without a request, and 8 hours after sign-in')
  })
})

describe('error screens', () => {
  it('each say エラー: first in the title', async () => {
    const app = await appWith()
    const title = async (res: Response | Promise<Response>) =>
      /<title>([^<]*)<\/title>/.exec(await (await res).text())?.[1]
    await expect(title(app.request('/nowhere'))).resolves.toBe(
      'エラー: ページが見つかりません | 調達ポータル',
    )
    const c = formClient((path, init) => Promise.resolve(app.request(path, init)))
    await c.get('/sign-in')
    const cookie = [...c.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const refused = app.request('/sign-in', {
      method: 'POST',
      headers: { cookie, origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'cardId=x',
    })
    await expect(title(refused)).resolves.toBe('エラー: 操作を受け付けられませんでした | 調達ポータル')
    const tooLarge = app.request('/sign-in', {
      method: 'POST',
      headers: { cookie, origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
      body: `cardId=${'x'.repeat(200_000)}`,
    })
    await expect(title(tooLarge)).resolves.toBe('エラー: 送信内容が大きすぎます | 調達ポータル')
    await expect(title(app.request('/sign-in'))).resolves.toBe('ログイン | 調達ポータル')
  })
})

describe('a form body that cannot be read', () => {
  it('is refused with 400 on every POST route, never a 500, and changes nothing', async () => {
    const { portal, app, token, cookie } = await signedInAsHanako()
    const before = structuredClone(portal.state)
    for (const { route, path } of postRoutes(app)) {
      const broken: [string, string][] = [
        ['multipart/form-data', 'no boundary at all'],
        ['multipart/form-data; boundary=xyz', '--abc\r\nContent-Disposition: nonsense\r\n\r\nx'],
      ]
      for (const [type, body] of broken) {
        const res = await app.request(path, {
          method: 'POST',
          headers: { cookie, origin: 'http://localhost', 'x-csrf-token': token, 'content-type': type },
          body,
        })
        expect(res.status, `${route} ${type}`).toBe(400)
        expect(await res.text()).toContain('<title>エラー: 送信内容を読み取れませんでした')
      }
    }
    expect(portal.state).toEqual(before)
  })
})
