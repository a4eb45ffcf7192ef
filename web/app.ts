/**
 * The web application: every screen, the assets, and the middleware that every request passes
 * (session, CSRF). It gets the core's use cases from the composition root and knows no port.
 */
import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { routePath } from 'hono/route'
import { NONCE, secureHeaders } from 'hono/secure-headers'
import { DEFAULT_CARD_HELPER_URL } from '../core/lib/helper-token.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import { APP_CSS } from './assets.ts'
import { browserModules } from './browser-modules.ts'
import { certificateRenewalRoutes } from './certificate-renewal.ts'
import { type DemoCertificateFile, devFileRoutes } from './dev/certificate-files.ts'
import { type DevMail, devMailboxRoutes } from './dev/mailbox.ts'
import { UNREADABLE_FORM } from './forms.ts'
import { historyRoutes } from './history.ts'
import { llmsTxt } from './llms-txt.ts'
import { mandateGate, mandateRenewalRoutes } from './mandate-renewal.ts'
import { menuRoutes } from './menu.ts'
import { html, rememberView, render } from './render.ts'
import { type AppEnv, loadSession, requireCsrfToken } from './session.ts'
import { signInRoutes } from './sign-in.ts'
import { userDeletionRoutes } from './user-deletion.ts'
import { userUpdateRoutes } from './user-update/routes.ts'

export const MAX_BODY_BYTES = 64 * 1024

/**
 * Without PUBLIC_URL, the origin a signed token must cover is the request's own only on this
 * machine (development): elsewhere the Host header is the client's to choose, and a token signed
 * for a look-alike site could be relayed with it.
 */
const loopbackOriginOf = (requestUrl: string): string | undefined => {
  const url = new URL(requestUrl)
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) ? url.origin : undefined
}

const THIS_SITE = 'http://this-site.invalid'

/**
 * A path of this site to return to, from a value of a query: anything that would resolve to
 * another origin (//host, /\\host, a tab or a newline inside them) becomes '/'. The result is
 * percent-encoded, so it can stand in a Location header as it is.
 */
export const pathOfThisSite = (value: string | undefined): string => {
  if (!value?.startsWith('/')) return '/'
  const url = new URL(value, THIS_SITE)
  const path = url.pathname + url.search
  // What the browser will resolve is the path given back, not the value: `/.//evil.example` is a
  // path of this site that becomes `//evil.example`, another site's, once its dot is gone.
  return url.origin === THIS_SITE && new URL(path, THIS_SITE).origin === THIS_SITE ? path : '/'
}

/** What `/health/ready` answers: ready when every check says 'ok'. */
export type Readiness = { ready: boolean; checks: Record<string, string> }

export type AppOptions = {
  /** Every use case (core/use-cases/use-cases.ts's makeUseCases): the routes call these, never a port. */
  useCases: UseCases
  /** The htmx script, served from this origin. */
  htmxScript: string
  /** Secure cookies: on for HTTPS, off for plain-HTTP local development. */
  secureCookies: boolean
  /** Whether the process can serve now, and what each check found (`/health/ready`). */
  readiness?: () => Promise<Readiness>
  /** Whether an error means a service (the database) is down for now: answered 503, try again. */
  isTemporarilyUnavailable?: (error: unknown) => boolean
  /**
   * The origin users reach the portal at (scheme, host, port), when a proxy in front of it makes
   * the request's own URL differ; a POST from any other origin is refused.
   */
  publicOrigin?: string
  /**
   * Where the user's card helper listens (CARD_HELPER_URL; its default is the helper's own,
   * DEFAULT_CARD_HELPER_URL): the page opens its window there to read a card.
   */
  cardHelperUrl?: string
  /** The 利用者登録 page, linked where a message sends a user there; unset, the words stay plain text. */
  registrationUrl?: string
  /** The development mailbox, where the embedded default runs an SMTP sink. */
  devMailbox?: { mails: DevMail[] }
  /** With the demo data: its certificate files, to try sign-in with a file. */
  demoCertificateFile?: DemoCertificateFile
  /** The client's address, as the runtime's server knows it. */
  clientAddressOf?: (c: Context) => string | undefined
  log?: (message: string, error?: unknown) => void
  /** Each request once answered, as a structured log line (see the middleware in createApp). */
  logRequest?: (entry: RequestLogEntry) => void
  /** Runs each request's handling (`handle`), e.g. in a trace span; `header` reads its headers. */
  aroundRequest?: (
    header: (name: string) => string | undefined,
    handle: () => Promise<RequestLogEntry>,
  ) => Promise<unknown>
}

export type RequestLogEntry = {
  requestId: string
  method: string
  route: string
  status: number
  durationMs: number
  userId: string | undefined
}

/** An X-Request-Id taken as given: a proxy's id, not a way to write into the log. */
const REQUEST_ID = /^[\w.:-]{1,128}$/

export const createApp = (options: AppOptions) => {
  const { useCases } = options
  const app = new Hono<AppEnv>()
  const sessionDeps = {
    sessions: useCases.sessions,
    secureCookies: options.secureCookies,
    sessionLimits: useCases.sessions.limits,
  }
  const log = options.log ?? ((m: string, e?: unknown) => console.error(m, e))

  // Every request is logged once it is answered: its id (the proxy's X-Request-Id, or one made
  // here, and sent back), the route as registered (ids in the path stay out), the status, the
  // time taken and the signed-in user's id. Nothing the user typed.
  // With `aroundRequest` (tracing), all of it runs inside that.
  app.use('*', async (c, next) => {
    const handle = async (): Promise<RequestLogEntry> => {
      const given = c.req.header('x-request-id')
      const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID()
      const started = performance.now()
      const answered = (): RequestLogEntry => {
        c.header('X-Request-Id', requestId)
        const entry = {
          requestId,
          method: c.req.method,
          route: routePath(c, -1),
          status: c.res.status,
          durationMs: Math.round(performance.now() - started),
          userId: c.get('session')?.userId,
        }
        options.logRequest?.(entry)
        return entry
      }
      try {
        await next()
      } catch (e) {
        answered()
        throw e
      }
      return answered()
    }
    await (options.aroundRequest ? options.aroundRequest((name) => c.req.header(name), handle) : handle())
  })

  // Every body within the size limit: no form here comes near it, and a larger body is refused
  // before anything reads it. Every answer with the security headers.
  const withinBodyLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      render(c, {
        title: '送信内容が大きすぎます',
        status: 413,
        body: html`<p>送信された内容が大きすぎるため、受け付けませんでした（上限 ${MAX_BODY_BYTES / 1024} KB）。変更は行われていません。</p>
<p>入力内容を確認して、もう一度お試しください。</p><p><a href="/">トップへ</a></p>`,
      }),
  })
  // Not on GET or HEAD, whose body nothing here reads: looking for one makes the server build a
  // whole fetch Request for each page (a twentieth of a page's CPU in the profile).
  app.use('*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : withinBodyLimit(c, next),
  )
  app.use('*', async (c, next) => {
    c.set('clientAddress', options.clientAddressOf?.(c))
    c.set('secureCookies', options.secureCookies)
    c.set('portalOrigin', options.publicOrigin ?? loopbackOriginOf(c.req.url))
    c.set('cardHelperUrl', options.cardHelperUrl ?? DEFAULT_CARD_HELPER_URL)
    if (options.registrationUrl) c.set('registrationUrl', options.registrationUrl)
    await next()
  })
  app.use(
    '*',
    secureHeaders({
      // No page has inline script or style, and htmx is configured to inject none; the page's own
      // script and style elements carry the response's nonce (render.ts), nothing else may run.
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", NONCE],
        styleSrc: ["'self'", NONCE],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      // Sent over HTTPS only (below): over plain HTTP a browser ignores it, and says nothing true.
      strictTransportSecurity: false,
      xFrameOptions: 'DENY',
      // The card helper's window, opened by the page, answers it with postMessage: it must keep
      // its opener, which COOP same-origin would cut.
      crossOriginOpenerPolicy: 'same-origin-allow-popups',
      referrerPolicy: 'same-origin',
    }),
  )
  const servedOverHttps = (c: Context<AppEnv>) =>
    (options.publicOrigin ?? new URL(c.req.url).origin).startsWith('https:')
  app.use('*', async (c, next) => {
    await next()
    if (servedOverHttps(c)) c.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains')
  })
  // The assets and pages that need no session.
  app.get('/assets/htmx.min.js', (c) => {
    c.header('Cache-Control', 'public, max-age=86400')
    return c.body(options.htmxScript, 200, { 'Content-Type': 'text/javascript; charset=utf-8' })
  })
  const modules = browserModules()
  app.get('/assets/modules/*', (c) => {
    const path = c.req.path.slice('/assets/modules/'.length)
    const script = path.endsWith('.js') ? modules.get(path.slice(0, -'.js'.length)) : undefined
    if (!script) return c.notFound()
    c.header('Cache-Control', 'no-cache')
    return c.body(script, 200, { 'Content-Type': 'text/javascript; charset=utf-8' })
  })
  app.get('/assets/app.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600')
    return c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' })
  })
  const llms = llmsTxt(sessionDeps)
  app.get('/llms.txt', (c) => c.text(llms))
  // Liveness: the process answers. Readiness: it can serve (the proxy or orchestrator sends it
  // users only then); it fails at once when the process begins to stop.
  app.get('/health', (c) => c.text('ok'))
  app.get('/health/live', (c) => c.text('ok'))
  app.get('/health/ready', async (c) => {
    c.header('Cache-Control', 'no-store')
    const readiness = (await options.readiness?.().catch(() => undefined)) ?? {
      ready: options.readiness === undefined,
      checks: {},
    }
    return c.json(readiness, readiness.ready ? 200 : 503)
  })
  app.get('/favicon.ico', (c) => c.body(null, 204))
  app.get('/view', (c) => {
    rememberView(c, c.req.query('mode') === 'simple' ? 'simple' : 'full')
    return c.redirect(pathOfThisSite(c.req.query('return')), 303)
  })

  app.use('*', loadSession(sessionDeps))
  app.use(
    '*',
    requireCsrfToken(options.publicOrigin, (c) =>
      render(c, {
        title: '操作を受け付けられませんでした',
        status: 403,
        body: html`<p>画面を開いてから時間がたったか、別の画面から送信されたため、この操作を受け付けませんでした。変更は行われていません。</p>
<p>もう一度画面を開き直して操作してください。</p><p><a href="/">トップへ</a></p>`,
      }),
    ),
  )

  // A form body that cannot be read (a broken multipart, a wrong boundary) is refused here, before
  // any route reads it: 400 and nothing changed, never a 500. The parse is kept for the route.
  app.use('*', async (c, next) => {
    const type = c.req.header('content-type') ?? ''
    const isForm =
      type.startsWith('multipart/form-data') || type.startsWith('application/x-www-form-urlencoded')
    const unreadable = async () => {
      try {
        await c.req.parseBody()
        return false
      } catch {
        return true
      }
    }
    if (c.req.method === 'POST' && isForm && (await unreadable())) return render(c, UNREADABLE_FORM)
    await next()
  })

  app.use('*', mandateGate(useCases.mandateRenewal.gateApplies))
  app.route('/', menuRoutes(useCases.menu))
  app.route('/', signInRoutes(useCases, sessionDeps))
  app.route('/', userUpdateRoutes(useCases))
  app.route('/', historyRoutes(useCases.history))
  app.route('/', certificateRenewalRoutes(useCases, sessionDeps))
  app.route('/', mandateRenewalRoutes(useCases))
  app.route('/', userDeletionRoutes(useCases))
  if (options.devMailbox) app.route('/', devMailboxRoutes(options.devMailbox))
  if (options.demoCertificateFile) app.route('/', devFileRoutes(options.demoCertificateFile))

  app.notFound((c) =>
    render(c, {
      title: 'ページが見つかりません',
      status: 404,
      body: html`<p>お探しのページは見つかりませんでした。</p><p><a href="/">トップへ</a></p>`,
    }),
  )
  app.onError((error, c) => {
    c.header('Cache-Control', 'no-store')
    if (options.isTemporarilyUnavailable?.(error)) {
      log(`database unavailable on ${c.req.method} ${c.req.path}`, error)
      c.header('Retry-After', '5')
      return c.html(
        html`<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラー: 一時的にご利用いただけません | 調達ポータル</title></head>
<body><main id="main"><h1>一時的にご利用いただけません</h1><p>システムの保守または再起動のため、いま処理できませんでした。しばらくしてから、もう一度お試しください。</p><p>同じ操作を繰り返しても、変更が二重に行われることはありません。変更が保存されたかどうかは、メニューの「手続きの状況」で確認できます。</p><p><a href="/">トップへ</a></p></main></body></html>`,
        503,
      )
    }
    log(`unexpected error on ${c.req.method} ${c.req.path}`, error)
    return c.html(
      html`<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>エラー: システムエラー | 調達ポータル</title></head>
<body><main id="main"><h1>システムエラー</h1><p>処理中に問題が発生しました。</p><p>変更が保存されたかどうかは、メニューから利用者情報を開いてご確認ください。保存されていなければ、時間をおいてもう一度お試しください。同じ操作を繰り返しても、変更が二重に行われることはありません。</p><p><a href="/">トップへ</a></p></main></body></html>`,
      500,
    )
  })
  return app
}
