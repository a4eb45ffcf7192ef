/**
 * The card helper's own small site, on 127.0.0.1 of the user's computer (`npm run card-helper`).
 * The portal's page opens GET /read in a window (a top-level navigation: no preflight, no plug-in);
 * the window asks its opener for the challenge, the user picks the card and types the PIN here,
 * and POST /read signs and hands the token to the window, which posts it to its opener's origin.
 *
 * What stops a page of any other site from using the user's card through it:
 * - /read serves only origins of its configuration (the portal's PUBLIC_URL); the window takes
 *   the challenge only from its opener at that origin (the browser names the sender), and posts
 *   the token to that origin only;
 * - POST /read needs the window's grant, a secret only that window's page holds (no other site
 *   can read the page), and comes from this site itself (Origin); the origin signed for is the
 *   grant's, never the request's;
 * - a request whose Host is not this helper's own loopback address is refused (DNS rebinding);
 * - the pages cannot be framed, give no referrer to another site and are not cached.
 * The PIN goes to the card (CardTokens.sign) and nowhere else: it is never logged, never kept,
 * never put back in a page.
 */
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import { toBase64 } from '../../core/lib/base64.ts'
import {
  HELPER_USES,
  type HelperAnswer,
  type HelperReadError,
  type HelperUse,
  type OfferedToken,
  pinStatusText,
  type readForPage,
  type tokensFor,
} from '../../core/use-cases/card-helper/card-helper.ts'
import { browserModules, HELPER_MODULES } from '../browser-modules.ts'

export type CardHelperUseCases = {
  tokensFor: ReturnType<typeof tokensFor>
  readForPage: ReturnType<typeof readForPage>
}

export type CardHelperOptions = {
  useCases: CardHelperUseCases
  /** The origins whose pages may ask for a read (the portal's PUBLIC_URL origin). */
  allowedOrigins: readonly string[]
  /** This helper's own origins (its loopback address and port, once it listens). */
  ownOrigins: () => readonly string[]
  /** How long a window's grant stands: the user has that long to finish. */
  grantLifetimeMs?: number
  now?: () => number
}

/** The windows open at once that a helper serves; more is a page opening them on purpose. */
const MAX_GRANTS = 50

/** What a window may do: read for this origin and this use, until then. */
type Grant = { origin: string; use: HelperUse; expiresAt: number }

const randomSecret = () => toBase64(crypto.getRandomValues(new Uint8Array(32))).replace(/[+/=]/g, '')

const KIND_NAMES = {
  'ic-card': 'ICカード',
  'my-number-user-authentication': 'マイナンバーカード（利用者証明用電子証明書）',
  'my-number-signing': 'マイナンバーカード（署名用電子証明書）',
} as const

const PIN_LABELS: Record<HelperUse, string> = {
  authentication: 'PIN',
  signing: 'PIN',
  private: 'PIN',
  'my-number-signing': '署名用電子証明書のパスワード（英大文字と数字の6〜16文字）',
  'my-number-authentication': '利用者証明用電子証明書のパスワード（数字4桁）',
  'my-number-renewal': '署名用電子証明書のパスワード（英大文字と数字の6〜16文字）',
}

/** What each refusal says, next to the field to correct where there is one. */
const refusalMessage = (
  e: HelperReadError,
): { field?: 'tokenId' | 'pin' | 'authenticationPin'; text: string } => {
  switch (e.kind) {
    case 'origin-refused':
      return { text: 'この依頼元のためには読み込めません。' }
    case 'bad-challenge':
      return {
        text: '調達ポータルからの依頼を読み取れませんでした。調達ポータルの画面から、もう一度お試しください。',
      }
    case 'no-token':
      return {
        field: 'tokenId',
        text: 'カードを選んでください。カードが見つからないときは、カードを挿し直してください。',
      }
    case 'no-companion':
      return {
        field: 'tokenId',
        text: 'このマイナンバーカードの利用者証明用電子証明書が見つかりません。カードを挿し直してください。',
      }
    case 'pin-format':
      return { field: e.field, text: e.message }
    case 'wrong-pin': {
      const left =
        e.pinStatus === 'final-try'
          ? 'あと1回間違えるとカードがロックされます。'
          : e.pinStatus === 'locked'
            ? 'カードがロックされました。'
            : 'PINの誤入力が続くとカードがロックされます。'
      return { field: e.field, text: `PINが正しくありません。${left}` }
    }
    case 'locked':
      return {
        field: e.field,
        text: 'このカードはPINの誤入力が続いたためロックされています。カードの発行元（マイナンバーカードはお住まいの市区町村の窓口）でロックを解除してください。',
      }
    case 'no-key':
      return { field: 'tokenId', text: 'このカードには、署名に使える鍵と電子証明書が見つかりません。' }
    case 'token-failed':
      return {
        field: 'tokenId',
        text: `カードを読み込めませんでした（${e.message}）。カードを挿し直して、もう一度お試しください。`,
      }
  }
}

const page = (title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>, main: string = '') =>
  html`<!doctype html>
<html lang="ja"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} | カードヘルパー</title>
<link rel="stylesheet" href="/assets/helper.css">
<script type="module" src="/assets/modules/web/card-helper/helper-page.js"></script>
</head>
<body><main${raw(main)}>
<h1>${title}</h1>
${body}
</main></body></html>`

const HELPER_CSS = `body{font-family:sans-serif;margin:1.5rem;line-height:1.6;color:#1a1a1a}
.field{margin:1rem 0}.field-error{color:#b00020;font-weight:bold}.hint{color:#444}
input[type=password]{font-size:1.2rem;padding:.3rem;width:16rem}button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.5rem}
.origin{font-weight:bold;word-break:break-all}.status{background:#eef;padding:.5rem}.summary{border:2px solid #b00020;padding:.5rem}`

const readForm = (f: {
  grant: string
  grantOf: Grant
  offered: OfferedToken[]
  nonce?: string
  tokenId?: string
  message?: { field?: string; text: string }
}) => {
  const { use, origin } = f.grantOf
  const error = (field: string) =>
    f.message?.field === field ? html`<p class="field-error" id="${field}-error">${f.message.text}</p>` : ''
  const chosen = f.tokenId ?? f.offered.find((o) => o.token.pinStatus !== 'locked')?.token.tokenId
  return html`<p>依頼元: <span class="origin">${origin}</span></p>
<p class="status" id="status" role="status">${f.nonce ? '' : '依頼元の画面からの依頼を待っています…'}</p>
${f.message && !f.message.field ? html`<div class="summary" role="alert"><p>${f.message.text}</p></div>` : ''}
${
  f.offered.length === 0
    ? html`<p class="field-error">カードが見つかりません。カードリーダにカードを挿してから、［もう一度探す］を押してください。</p>
<p><a href="/read?origin=${encodeURIComponent(origin)}&amp;use=${use}">もう一度探す</a></p>`
    : ''
}
<form method="post" action="/read" id="read-form">
<input type="hidden" name="grant" value="${f.grant}">
<input type="hidden" name="nonce" value="${f.nonce ?? ''}">
<fieldset id="tokenId"${f.message?.field === 'tokenId' ? raw(' aria-describedby="tokenId-error"') : ''}>
<legend>カード</legend>
${error('tokenId')}
${f.offered.map(
  ({ token, holderName }) =>
    html`<div><input type="radio" name="tokenId" id="token-${token.tokenId}" value="${token.tokenId}"${
      chosen === token.tokenId ? ' checked' : ''
    }${token.pinStatus === 'locked' ? ' disabled' : ''}> <label for="token-${token.tokenId}">${KIND_NAMES[token.kind]}${
      holderName ? `（${holderName}）` : ''
    } ${token.label}${pinStatusText(token.pinStatus) ? html` <strong>${pinStatusText(token.pinStatus)}</strong>` : ''}</label></div>`,
)}
</fieldset>
<div class="field">
<label for="pin">${PIN_LABELS[use]}</label>
${error('pin')}
<input type="password" id="pin" name="pin" autocomplete="off" required${f.message?.field === 'pin' ? raw(' aria-invalid="true" aria-describedby="pin-error"') : ''}>
</div>
${
  use === 'my-number-renewal'
    ? html`<div class="field">
<label for="authenticationPin">利用者証明用電子証明書のパスワード（数字4桁）</label>
<p class="hint">更新したマイナンバーカードの二つの電子証明書を、調達ポータルに登録します。どちらもこのカードのものであることを、二つのパスワードで確かめます。</p>
${error('authenticationPin')}
<input type="password" id="authenticationPin" name="authenticationPin" autocomplete="off" inputmode="numeric" required${
        f.message?.field === 'authenticationPin'
          ? raw(' aria-invalid="true" aria-describedby="authenticationPin-error"')
          : ''
      }>
</div>`
    : ''
}
<p class="hint">PINはカードにだけ渡され、依頼元にも送られず、保存も記録もされません。</p>
<button type="submit" id="read-button"${f.nonce ? '' : ' disabled'}>読込</button>
<button type="button" id="cancel-button">キャンセル</button>
</form>`
}

/** The token, as the window posts it to its opener: the certificate and signature in base64. */
const answerForPage = (answer: HelperAnswer) => {
  const signed = (s: { certificate: Uint8Array; algorithm: string; signature: Uint8Array }) => ({
    certificate: toBase64(s.certificate),
    algorithm: s.algorithm,
    signature: toBase64(s.signature),
  })
  return {
    ...signed(answer),
    ...(answer.userAuthentication && { userAuthentication: signed(answer.userAuthentication) }),
  }
}

const isHelperUse = (value: string | undefined): value is HelperUse =>
  (HELPER_USES as readonly string[]).includes(value ?? '')

export const createHelperApp = (options: CardHelperOptions) => {
  const now = options.now ?? Date.now
  const lifetime = options.grantLifetimeMs ?? 10 * 60_000
  const grants = new Map<string, Grant>()
  /** Drops the expired grants, and the oldest beyond MAX_GRANTS: any site can make a GET /read. */
  const pruneGrants = () => {
    for (const [key, grant] of grants) if (grant.expiresAt < now()) grants.delete(key)
    for (const key of [...grants.keys()].slice(0, Math.max(0, grants.size - MAX_GRANTS))) grants.delete(key)
  }
  const liveGrant = (secret: string): Grant | undefined => {
    pruneGrants()
    return grants.get(secret)
  }
  const modules = browserModules(HELPER_MODULES)
  const app = new Hono()

  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? ''
    if (!options.ownOrigins().some((origin) => new URL(origin).host === host)) {
      return c.text('This card helper answers on its own loopback address only.', 403)
    }
    await next()
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    c.header('X-Frame-Options', 'DENY')
    c.header('X-Content-Type-Options', 'nosniff')
    // Not no-referrer: under it a form's POST says Origin: null, and this site's own could not be told.
    c.header('Referrer-Policy', 'same-origin')
    c.header('Cache-Control', 'no-store')
  })

  app.get('/', (c) =>
    c.html(
      page(
        'カードヘルパー',
        html`<p>カードヘルパーは動いています。調達ポータルの画面で［カードヘルパーで読込］を押すと、この画面とは別の画面が開きます。</p>
<p>読込を受け付ける依頼元: ${options.allowedOrigins.map((o) => html`<span class="origin">${o}</span> `)}</p>`,
      ),
    ),
  )
  app.get('/assets/helper.css', (c) => c.body(HELPER_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }))
  app.get('/assets/modules/*', (c) => {
    const path = c.req.path.slice('/assets/modules/'.length).replace(/\.js$/, '')
    const script = modules.get(path)
    return script ? c.body(script, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }) : c.notFound()
  })

  app.get('/read', async (c) => {
    const origin = c.req.query('origin') ?? ''
    const use = c.req.query('use')
    if (!options.allowedOrigins.includes(origin)) {
      return c.html(
        page(
          '読み込めません',
          html`<p class="field-error">このカードヘルパーは、<span class="origin">${origin || '（依頼元なし）'}</span> からの依頼を受け付ける設定になっていません。カードは読み込まれていません。</p>
<p>調達ポータルの画面から開いた場合は、カードヘルパーの設定（依頼元: --origin）に調達ポータルのアドレスがあるかをご確認ください。</p>`,
        ),
        403,
      )
    }
    if (!isHelperUse(use))
      return c.html(page('読み込めません', html`<p>依頼の内容を読み取れませんでした。</p>`), 400)
    const grant = randomSecret()
    const grantOf = { origin, use, expiresAt: now() + lifetime }
    grants.set(grant, grantOf)
    pruneGrants()
    const offered = await options.useCases.tokensFor(use)
    return c.html(
      page('カードの読み込み', readForm({ grant, grantOf, offered }), ` data-origin="${encodeURI(origin)}"`),
    )
  })

  app.post('/read', async (c) => {
    // A form of this site's own page only: a page of another site cannot spend the card's tries.
    const from = c.req.header('origin')
    if (!from || !options.ownOrigins().includes(from)) return c.text('Forbidden', 403)
    const body = await c.req.parseBody()
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '')
    const grant = text('grant')
    const grantOf = liveGrant(grant)
    if (!grantOf) {
      return c.html(
        page(
          '読み込めません',
          html`<p class="field-error">この画面の有効期限が切れました。調達ポータルの画面から、もう一度［カードヘルパーで読込］を押してください。</p>`,
        ),
        403,
      )
    }
    const read = await options.useCases.readForPage({
      origin: grantOf.origin,
      use: grantOf.use,
      nonce: text('nonce'),
      tokenId: text('tokenId'),
      pin: text('pin'),
      authenticationPin: grantOf.use === 'my-number-renewal' ? text('authenticationPin') : undefined,
    })
    const main = ` data-origin="${encodeURI(grantOf.origin)}"`
    if (read.ok) {
      grants.delete(grant)
      const answer = toBase64(new TextEncoder().encode(JSON.stringify(answerForPage(read.value))))
      return c.html(
        page(
          '読み込みました',
          html`<p class="status" id="status" role="status">カードを読み込みました。調達ポータルの画面に戻ります…</p>`,
          `${main} data-answer="${answer}"`,
        ),
      )
    }
    const offered = await options.useCases.tokensFor(grantOf.use)
    return c.html(
      page(
        'エラー: カードの読み込み',
        readForm({
          grant,
          grantOf,
          offered,
          nonce: text('nonce'),
          tokenId: text('tokenId'),
          message: refusalMessage(read.error),
        }),
        main,
      ),
      422,
    )
  })
  return app
}
