/**
 * Sessions and CSRF. The cookie holds a random token (HttpOnly, SameSite=Lax); the database keeps
 * only its hash. Every POST must carry the session's CSRF token, in the form field `_csrf` or the
 * header `X-CSRF-Token`, and come from this origin.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { User } from '../core/domain/account.ts'
import { sameSecret } from '../core/lib/digest.ts'
import type { Session } from '../core/ports.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'

/**
 * The session cookie's name. Over HTTPS it is `__Host-sid`: the browser keeps such a cookie only if
 * it is Secure, for this host alone (no Domain) and the whole site (Path=/), so that neither a
 * sibling subdomain nor plain HTTP can plant or read one. Plain-HTTP development on this machine
 * cannot have a Secure cookie, so there it is `sid`.
 */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-sid' : 'sid')

export type AppEnv = {
  Variables: {
    session?: Session
    user?: User
    clientAddress?: string
    /**
     * The origin users reach the portal at (PUBLIC_URL's; without it, the request's own on this
     * machine only): what a signed token from the page or a card helper must cover. Undefined: no
     * token is taken.
     */
    portalOrigin?: string
    /** Where the user's card helper listens: the page opens its window there. */
    cardHelperUrl?: string
    registrationUrl?: string
    /** The request carried a session cookie whose session has ended (expired, or signed out elsewhere). */
    sessionEnded?: boolean
    /** Whether cookies are marked Secure (the portal is served over HTTPS). */
    secureCookies?: boolean
    /** This response's Content-Security-Policy nonce (hono/secure-headers), for the page's own scripts. */
    secureHeadersNonce?: string
  }
}

export type SessionDeps = {
  sessions: UseCases['sessions']
  secureCookies: boolean
}

export const setSessionCookie = (c: Context, sessionId: string, secure: boolean) =>
  setCookie(c, sessionCookieName(secure), sessionId, { httpOnly: true, sameSite: 'Lax', path: '/', secure })

export const clearSessionCookie = (c: Context<AppEnv>) => {
  const secure = c.get('secureCookies') === true
  deleteCookie(c, sessionCookieName(secure), { path: '/', secure })
}

/** Finds the request's session and its user, if the session is still current. */
export const loadSession = (deps: SessionDeps): MiddlewareHandler<AppEnv> => {
  return async (c, next) => {
    const token = getCookie(c, sessionCookieName(deps.secureCookies))
    const resumed = token && token.length <= 100 ? await deps.sessions.resume(token) : undefined
    // A stale cookie is left in place: it opens nothing, and until the next sign-in replaces it,
    // it lets every request say that the session ended rather than that cookies are refused.
    if (token && !resumed) c.set('sessionEnded', true)
    if (resumed) {
      c.set('session', resumed.session)
      if (resumed.user) c.set('user', resumed.user)
    }
    await next()
  }
}

/** The request's session, made now if it has none (a sign-in form needs one for its challenge). */
export const ensureSession = async (c: Context<AppEnv>, deps: SessionDeps): Promise<Session> => {
  const existing = c.get('session')
  if (existing) return existing
  const session = await deps.sessions.start()
  setSessionCookie(c, session.id, deps.secureCookies)
  c.set('session', session)
  return session
}

/** The CSRF token a request carries, from its header or its form body. */
const presentedToken = async (c: Context): Promise<string | undefined> => {
  const header = c.req.header('x-csrf-token')
  if (header) return header
  const type = c.req.header('content-type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
  const token = body._csrf
  return typeof token === 'string' ? token : undefined
}

/**
 * Sends a visitor who needs to sign in to the sign-in page, saying why: their session ended, or
 * they posted a form with no session cookie at all (their browser refuses cookies).
 * For htmx, a full-page redirect, so that the whole page (its header too) is the sign-in page.
 */
export const toSignIn = (c: Context<AppEnv>): Response => {
  const why = c.get('sessionEnded') ? 'ended' : c.req.method !== 'GET' ? 'cookies' : undefined
  return toWholePage(c, why ? `/sign-in?why=${why}` : '/sign-in')
}

/**
 * Sends the browser to `location` as a whole page: for htmx, HX-Redirect, so that the page's
 * header (who is signed in) is drawn again too, not only the fragment.
 */
export const toWholePage = (c: Context<AppEnv>, location: string): Response => {
  if (c.req.header('hx-request') === 'true') {
    c.header('HX-Redirect', location)
    return c.body(null, 204)
  }
  return c.redirect(location, 303)
}

/**
 * The answer to a card read that succeeded: the read re-authenticated the user, so the session
 * gets a new id and CSRF token (rotateSessionId) and the browser its new cookie, and the next page
 * is drawn whole, so that nothing on the page keeps the old token (the body's hx-headers, the
 * ログアウト form).
 */
export const afterCardRead = async (
  c: Context<AppEnv>,
  sessions: Pick<UseCases['sessions'], 'rotate'>,
  session: Session,
  location: string,
): Promise<Response> => {
  const renewed = await sessions.rotate(session.id)
  setSessionCookie(c, renewed.id, c.get('secureCookies') === true)
  return toWholePage(c, location)
}

/**
 * A POST without a current session goes to the sign-in page (see toSignIn). Otherwise it refuses
 * any unsafe request without the session's token, or from another origin (the public
 * origin when the portal stands behind a proxy, else the request's own). `refuse`
 * renders the refusal, so that the user learns what to do.
 */
export const requireCsrfToken =
  (
    publicOrigin: string | undefined,
    refuse: (c: Context<AppEnv>) => Response | Promise<Response>,
  ): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const origin = c.req.header('origin')
    const fetchSite = c.req.header('sec-fetch-site')
    const sameOrigin =
      (origin === undefined || origin === (publicOrigin ?? new URL(c.req.url).origin)) &&
      (fetchSite === undefined || fetchSite === 'same-origin' || fetchSite === 'none')
    const session = c.get('session')
    if (!session) return toSignIn(c)
    const token = await presentedToken(c)
    if (!sameOrigin || !token || !sameSecret(token, session.csrfToken)) return refuse(c)
    return next()
  }

/** The session and user of a route that a guard has already limited to signed-in users. */
export const signedIn = (c: Context<AppEnv>): { session: Session; user: User } => {
  const session = c.get('session')
  const user = c.get('user')
  if (!session || !user) throw new Error(`${c.req.path} was reached without a signed-in user`)
  return { session, user }
}
