/**
 * One render for three audiences. The same route answers:
 * - a full page, for a normal request (and for htmx's history restore);
 * - a fragment (the page's <title> and <main>), for an htmx request;
 * - a simplified page with no script, no style and no htmx attributes, for software agents and
 *   for anyone who prefers it: asked for with `?view=simple` on any URL, which also keeps it on
 *   for the following requests (cookie `view=simple`) until `?view=full`; GET /view?mode=simple
 *   or ?mode=full does the same and returns to the page given as `return`.
 */
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { AppEnv } from './session.ts'
import { type Steps, stepIndicator } from './steps.ts'

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

export type Page = {
  /** The screen's name, as the manual writes it; it heads both <title> and <h1>. */
  title: string
  body: Html
  /** Marks a page whose submit failed: the title starts with エラー: (as on every answer of 400 or above). */
  hasErrors?: boolean
  status?: 200 | 400 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 502 | 503
  /** Where this screen stands in its flow (web/steps.ts), shown under the heading. */
  steps?: Steps
}

export const SIMPLE_VIEW_COOKIE = 'view'

export type Audience = 'full' | 'fragment' | 'simple'

/** Keeps the chosen view for the following requests. */
export const rememberView = (c: Context<AppEnv>, view: 'simple' | 'full') =>
  setCookie(c, SIMPLE_VIEW_COOKIE, view, {
    path: '/',
    sameSite: 'Lax',
    httpOnly: true,
    secure: c.get('secureCookies') === true,
  })

/** The page itself, to come back to after switching the view. */
const thisPage = (c: Context): string => {
  const url = new URL(c.req.url)
  url.searchParams.delete('view')
  return encodeURIComponent(url.pathname + url.search)
}

export const audienceOf = (c: Context<AppEnv>): Audience => {
  const asked = c.req.query('view')
  if (asked === 'simple' || asked === 'full') rememberView(c, asked)
  if (asked === 'simple' || (asked !== 'full' && getCookie(c, SIMPLE_VIEW_COOKIE) === 'simple'))
    return 'simple'
  if (c.req.header('hx-request') === 'true' && c.req.header('hx-history-restore-request') !== 'true') {
    return 'fragment'
  }
  return 'full'
}

/** A refused submit and every error screen (400 and above) say so first, where a screen reader starts. */
const documentTitle = (page: Page) =>
  `${page.hasErrors || (page.status ?? 200) >= 400 ? 'エラー: ' : ''}${page.title} | 調達ポータル`

const header = (c: Context<AppEnv>) => {
  const user = c.get('user')
  return html`<header class="site-header">
  <a class="site-name" href="/">調達ポータル</a>
  ${
    user
      ? html`<span class="who">${user.name} 様</span>
  <form method="post" action="/sign-out" class="sign-out"><input type="hidden" name="_csrf" value="${c.get('session')?.csrfToken ?? ''}"><button type="submit">ログアウト</button></form>`
      : ''
  }
</header>`
}

/**
 * Every htmx request from the page carries the session's CSRF token in a header too, not only the
 * forms' hidden field: a request that is not a form's (a button's, a poll's) is covered as well.
 * Sign-in, which changes the token, redraws the whole page.
 */
const csrfHeaderFor = (c: Context<AppEnv>) => {
  const token = c.get('session')?.csrfToken
  return token ? html` hx-headers:inherited="${JSON.stringify({ 'X-CSRF-Token': token })}"` : ''
}

const main = (page: Page) => html`<main id="main">
<h1>${page.title}</h1>
${page.steps ? stepIndicator(page.steps) : ''}
${page.body}
</main>`

const footer = (c: Context, audience: Audience) => html`<footer class="site-footer">
  ${
    audience === 'simple'
      ? html`<a href="/view?mode=full&amp;return=${thisPage(c)}">通常表示に戻す</a>`
      : html`<a href="/view?mode=simple&amp;return=${thisPage(c)}">簡易表示（スクリプト・スタイルなし）</a>`
  }
  · <a href="/llms.txt">llms.txt</a>
</footer>`

const HX_ATTRIBUTE = /\s(?:hx|data-hx)-[a-z:-]+="[^"]*"/g
/**
 * A form's hidden default button (what Enter in a field presses, before the form's other buttons),
 * which only the stylesheet hides: the simplified view, without one, leaves it out.
 */
const DEFAULT_SUBMIT = /<button[^>]*\sdata-default-submit[^>]*>[^<]*<\/button>/g

/**
 * Where a message sends the user to 利用者登録, the words link to the registration page when its
 * URL is set (REGISTRATION_URL); otherwise they stay plain text. Only in a paragraph's own text,
 * where the portal's messages and notes stand: not in an attribute (an escaped value holds no raw
 * < or >), not inside another link, not in the tables and lists that show what a user typed.
 */
const REGISTRATION_ADVICE = '利用者登録を行ってください'
const PARAGRAPH_TEXT = /(<p(?:\s[^>]*)?>)([^<]*)(?=<)/g
const linkRegistration = (c: Context<AppEnv>, page: string): string => {
  const url = c.get('registrationUrl')
  if (!url || !page.includes(REGISTRATION_ADVICE)) return page
  const link = `<a href="${escapeAttribute(url)}">利用者登録</a>を行ってください`
  return page.replace(
    PARAGRAPH_TEXT,
    (_, tag: string, text: string) => tag + text.replaceAll(REGISTRATION_ADVICE, link),
  )
}
const escapeAttribute = (value: string) =>
  value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

export const render = async (c: Context<AppEnv>, page: Page): Promise<Response> => {
  const audience = audienceOf(c)
  c.header('Vary', 'HX-Request, Cookie')
  c.header('Cache-Control', 'no-store')
  const status = page.status ?? 200
  if (audience === 'fragment') {
    if (c.req.method === 'GET') c.header('HX-Push-Url', c.req.path)
    return c.html(
      linkRegistration(c, String(await html`<title>${documentTitle(page)}</title>${main(page)}`)),
      status,
    )
  }
  if (audience === 'simple') {
    const text = await html`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>${documentTitle(page)}</title></head>
<body>
${header(c)}
${main(page)}
${footer(c, audience)}
</body></html>`
    return c.html(
      linkRegistration(c, String(text).replace(HX_ATTRIBUTE, '').replace(DEFAULT_SUBMIT, '')),
      status,
    )
  }
  const full = await html`<!doctype html>
<html lang="ja"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${documentTitle(page)}</title>
<meta name="htmx-config" content='{"includeIndicatorCSS": false, "mode": "same-origin"}'>
<meta name="card-helper" content="${c.get('cardHelperUrl') ?? ''}">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/htmx.min.js" nonce="${c.get('secureHeadersNonce') ?? ''}" defer></script>
<script type="module" src="/assets/modules/web/page/card-read.js" nonce="${c.get('secureHeadersNonce') ?? ''}"></script>
</head>
<body${csrfHeaderFor(c)}>
${header(c)}
${main(page)}
${footer(c, audience)}
</body></html>`
  return c.html(linkRegistration(c, String(full)), status)
}

export { html, raw }
