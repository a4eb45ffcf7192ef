/**
 * ログイン: the development sign-in page lists the virtual cards by holder name; the user picks
 * one and enters its PIN. The server issued a single-use challenge with the page; the card signs
 * it, and the core checks the proof. Every refusal says what to do next.
 */

import { Hono } from 'hono'
import { z } from 'zod'
import { BASE64_PATTERN, fromBase64 } from '../core/base64.ts'
import { HELPER_ALGORITHMS } from '../core/certificates.ts'
import type { Pkcs12Error } from '../core/pkcs12.ts'
import type { CardReader } from '../core/ports.ts'
import {
  issueChallenge,
  type SignInError,
  type SignInPorts,
  signInWithCard,
  signInWithCardHelper,
  signInWithFile,
} from '../core/sign-in.ts'
import {
  CARD_LABELS,
  type CardMessage,
  cardMessage,
  cardReadFields,
  certificateMessage,
} from './card-read.ts'
import { blankInputField, csrfField, errorSummary, postForm } from './forms.ts'
import { html, render } from './render.ts'
import {
  type AppEnv,
  clearSessionCookie,
  ensureSession,
  type SessionDeps,
  setSessionCookie,
} from './session.ts'

/** A refusal, next to its field: the card's, or the certificate file's. */
export type SignInMessage = { field?: CardMessage['field'] | 'p12' | 'password'; text: string }

const fileMessage = (e: Pkcs12Error): SignInMessage => {
  switch (e.kind) {
    case 'too-large':
      return {
        field: 'p12',
        text: `ファイルが大きすぎます（上限 ${e.maxBytes / 1024} KB）。電子証明書のファイル（.p12 または .pfx）を選んでください。`,
      }
    case 'damaged':
      return {
        field: 'p12',
        text: 'このファイルを電子証明書ファイル（.p12 / .pfx）として読み取れませんでした。ファイルが壊れていないか、選んだファイルが正しいかをご確認ください。',
      }
    case 'wrong-password':
      return {
        field: 'password',
        text: 'パスワードが正しくありません。電子証明書ファイルを受け取ったときに知らされたパスワードを入力してください。',
      }
    case 'unsupported-algorithm':
      return {
        field: 'p12',
        text: `このファイルは、調達ポータルが扱えない暗号方式（${e.algorithm}）で保護されています。発行元のツールで、AES または 3DES の方式で書き出し直してください。`,
      }
  }
}

export const signInMessage = (e: SignInError): SignInMessage => {
  switch (e.kind) {
    case 'file':
      return fileMessage(e.error)
    case 'too-many-attempts':
      return {
        text: `ログインの失敗が続いたため、安全のため${e.retryAfterMinutes}分ほどログインを受け付けません。時間をおいてもう一度お試しください。`,
      }
    case 'challenge-missing':
      return { text: 'ログインの有効期限（5分）が切れました。もう一度PINを入力してください。' }
    case 'certificate-not-registered':
      return {
        field: 'cardId',
        text: 'この電子証明書は調達ポータルに登録されていません。新しい代理人の方は、利用者登録を行ってください。',
      }
    case 'certificate':
      return { field: 'cardId', text: certificateMessage(e.error) }
    case 'card':
      return cardMessage(e.error)
  }
}

/** Why the visitor was sent here (see toSignIn). */
const SIGN_IN_NOTICES: Record<string, string> = {
  ended:
    'ログインの有効期限が切れたか、ログアウトされたため、操作を続けられませんでした。更新を完了していない入力内容は保存されていません。お手数ですが、もう一度ログインしてください。',
  cookies:
    'この操作にはCookieが必要です。ブラウザの設定で、このサイトのCookieを有効にしてから、もう一度ログインしてください。',
}

const SignInForm = z.object({ cardId: z.string().catch(''), pin: z.string().catch('') })

const base64 = z.string().min(1).max(16_000).regex(BASE64_PATTERN)
/** The authentication token of a card helper, in Web eID's format (web-eid:1). */
const HelperToken = z.object({
  format: z.string().regex(/^web-eid:1(\.\d+)?$/),
  unverifiedCertificate: base64,
  algorithm: z.enum(HELPER_ALGORITHMS),
  signature: base64,
  appVersion: z.string().max(200).optional(),
})

const FILE_LABELS = { p12: '電子証明書ファイル', password: 'パスワード' }

/**
 * The certificate file form: a plain multipart form, so that it works without JavaScript. The
 * server opens the file, signs, and forgets the key; a file input cannot be refilled, so after a
 * refusal the user chooses the file again.
 */
const fileForm = (csrfToken: string, errors: Record<string, string>) =>
  html`<h2>電子証明書ファイル（ファイルタイプ）でログイン</h2>
<form method="post" action="/sign-in/file" enctype="multipart/form-data" novalidate>
  ${csrfField(csrfToken)}
  ${blankInputField({
    name: 'p12',
    label: '電子証明書ファイル（.p12 / .pfx）',
    type: 'file',
    error: errors.p12,
    accept: '.p12,.pfx,application/x-pkcs12',
  })}
  ${blankInputField({ name: 'password', label: FILE_LABELS.password, type: 'password', error: errors.password })}
  <p class="hint">ファイルは署名に使った後すぐに破棄し、保存しません。</p>
  <button type="submit">ファイルでログイン</button>
</form>`

const signInPage = async (
  reader: CardReader,
  csrfToken: string,
  state: { cardId?: string; message?: SignInMessage } = {},
) => {
  const errors: Record<string, string> = state.message?.field
    ? { [state.message.field]: state.message.text }
    : {}
  const formMessage = state.message && !state.message.field ? state.message.text : undefined
  return html`<p>電子証明書でログインします。カードを選び、PINを入力して［ログイン］を押してください。</p>
${errorSummary(errors, { ...CARD_LABELS, ...FILE_LABELS }, formMessage)}
${postForm(
  '/sign-in',
  csrfToken,
  html`${cardReadFields(reader, { cardId: state.cardId, errors })}
  <button type="submit">ログイン</button>`,
)}
${fileForm(csrfToken, errors)}
<p>電子証明書の有効期限が切れてログインできない方は、<a href="/renewal">電子証明書更新</a>（ログイン不要）で新しい電子証明書に更新できます。</p>`
}

export const signInRoutes = (ports: SignInPorts, deps: SessionDeps, publicOrigin?: string) => {
  const app = new Hono<AppEnv>()
  const signIn = signInWithCard(ports)
  const signInWithHelper = signInWithCardHelper(ports)
  const signInFile = signInWithFile(ports)
  const challenge = issueChallenge(ports)

  app.get('/sign-in', async (c) => {
    if (c.get('user')) return c.redirect('/menu', 303)
    const session = await ensureSession(c, deps)
    await challenge(session.id)
    const why = SIGN_IN_NOTICES[c.req.query('why') ?? '']
    return render(c, {
      title: 'ログイン',
      body: html`${why ? html`<div class="notice" role="status"><p>${why}</p></div>` : ''}${signInPage(
        ports.cardReader,
        session.csrfToken,
      )}`,
    })
  })

  app.post('/sign-in', async (c) => {
    const session = await ensureSession(c, deps)
    const form = SignInForm.parse(await c.req.parseBody())
    const result = await signIn({
      sessionId: session.id,
      cardId: form.cardId,
      pin: form.pin,
      clientAddress: c.get('clientAddress'),
    })
    if (!result.ok) {
      await challenge(session.id)
      return render(c, {
        title: 'ログイン',
        hasErrors: true,
        status: result.error.kind === 'too-many-attempts' ? 429 : 422,
        body: signInPage(ports.cardReader, session.csrfToken, {
          cardId: form.cardId,
          message: signInMessage(result.error),
        }),
      })
    }
    setSessionCookie(c, result.value.sessionId, deps.secureCookies)
    if (c.req.header('hx-request') === 'true') {
      c.header('HX-Redirect', '/menu')
      return c.body(null, 204)
    }
    return c.redirect('/menu', 303)
  })

  app.post('/sign-in/file', async (c) => {
    const session = await ensureSession(c, deps)
    const body = await c.req.parseBody()
    const file = body.p12 instanceof File && body.p12.size > 0 ? body.p12 : undefined
    const password = typeof body.password === 'string' ? body.password : ''
    const refuse = async (message: SignInMessage, status: 422 | 429 = 422) => {
      await challenge(session.id)
      return render(c, {
        title: 'ログイン',
        hasErrors: true,
        status,
        body: signInPage(ports.cardReader, session.csrfToken, { message }),
      })
    }
    if (!file) return refuse({ field: 'p12', text: '電子証明書ファイルを選択してください。' })
    const result = await signInFile({
      sessionId: session.id,
      file: new Uint8Array(await file.arrayBuffer()),
      password,
      clientAddress: c.get('clientAddress'),
    })
    if (!result.ok) {
      return refuse(signInMessage(result.error), result.error.kind === 'too-many-attempts' ? 429 : 422)
    }
    setSessionCookie(c, result.value.sessionId, deps.secureCookies)
    return c.redirect('/menu', 303)
  })

  // A local card helper (Web eID style): the page gets a challenge, the helper reads the card and
  // signs it with the page's origin, and the page posts the token here with the CSRF token.
  app.get('/sign-in/card-helper/challenge', async (c) => {
    const session = await ensureSession(c, deps)
    c.header('Cache-Control', 'no-store')
    return c.json({ nonce: await challenge(session.id) })
  })

  app.post('/sign-in/card-helper', async (c) => {
    const session = await ensureSession(c, deps)
    const token = HelperToken.safeParse(await c.req.json().catch(() => undefined))
    if (!token.success) {
      return c.json(
        {
          error: 'malformed-token',
          message:
            'カードヘルパーから受け取った内容を読み取れませんでした。カードヘルパーを最新版にして、もう一度お試しください。',
        },
        400,
      )
    }
    const result = await signInWithHelper({
      sessionId: session.id,
      token: {
        certificate: fromBase64(token.data.unverifiedCertificate),
        algorithm: token.data.algorithm,
        signature: fromBase64(token.data.signature),
      },
      origin: publicOrigin ?? new URL(c.req.url).origin,
      clientAddress: c.get('clientAddress'),
    })
    if (!result.ok) {
      return c.json(
        { error: result.error.kind, message: signInMessage(result.error).text },
        result.error.kind === 'too-many-attempts' ? 429 : 422,
      )
    }
    setSessionCookie(c, result.value.sessionId, deps.secureCookies)
    return c.json({ redirect: '/menu' })
  })

  app.post('/sign-out', async (c) => {
    const session = c.get('session')
    if (session) await deps.sessions.end(session.id)
    clearSessionCookie(c)
    return c.redirect('/sign-in', 303)
  })

  return app
}
