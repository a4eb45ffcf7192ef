/**
 * ログイン: the user picks a card of the (virtual) reader and enters its PIN, or chooses a
 * certificate file, or lets a card helper read an IC card. The server issued a single-use
 * challenge with the page; the card signs it, and the core checks the proof. Every refusal says
 * what to do next.
 */
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { BASE64_PATTERN, fromBase64 } from '../core/lib/base64.ts'
import { HELPER_ALGORITHMS } from '../core/lib/helper-token.ts'
import type { SignInError } from '../core/use-cases/sign-in/sign-in.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import {
  type CardMessage,
  cardReadForms,
  cardReadRefusalMessage,
  NO_ORIGIN_MESSAGE,
  postCardRead,
  refusalStatus,
} from './card-read.ts'
import { html, render } from './render.ts'
import {
  type AppEnv,
  clearSessionCookie,
  ensureSession,
  type SessionDeps,
  setSessionCookie,
  toWholePage,
} from './session.ts'

export const signInMessage = (e: SignInError): CardMessage => {
  switch (e.kind) {
    case 'too-many-attempts':
      return {
        text: `ログインの失敗が続いたため、安全のため${e.retryAfterMinutes}分ほどログインを受け付けません。時間をおいてもう一度お試しください。`,
      }
    case 'challenge-missing':
      return { text: 'ログインの有効期限（5分）が切れました。もう一度PINを入力してください。' }
    case 'certificate-not-registered':
      return {
        field: 'cardId',
        text: 'この電子証明書は調達ポータルに登録されていません。電子証明書を更新済みの場合は、新しい電子証明書でログインしてください。新しい代理人の方は、利用者登録を行ってください。',
      }
    case 'signing-certificate':
      return {
        text: 'マイナンバーカードでログインするときは、利用者証明用電子証明書のパスワード（数字4桁）を使います。署名用電子証明書ではログインできません。',
      }
    case 'card':
    case 'file':
    case 'certificate':
      return cardReadRefusalMessage(e)
  }
}

/** Why the visitor was sent here (see toSignIn). */
const SIGN_IN_NOTICES: Record<string, string> = {
  ended:
    'ログインの有効期限が切れたか、ログアウトされたため、操作を続けられませんでした。更新を完了していない入力内容は保存されていません。お手数ですが、もう一度ログインしてください。',
  cookies:
    'この操作にはCookieが必要です。ブラウザの設定で、このサイトのCookieを有効にしてから、もう一度ログインしてください。',
}

const base64 = z.string().min(1).max(16_000).regex(BASE64_PATTERN)
/** The authentication token of a card helper, in Web eID's format (web-eid:1). */
const HelperToken = z.object({
  format: z.string().regex(/^web-eid:1(\.\d+)?$/),
  unverifiedCertificate: base64,
  algorithm: z.enum(HELPER_ALGORITHMS),
  signature: base64,
  appVersion: z.string().max(200).optional(),
})

const signInPage = (
  cardsInReach: UseCases['cards']['inReach'],
  csrfToken: string,
  state: { cardId?: string; message?: CardMessage } = {},
) =>
  html`<p>電子証明書でログインします。カードを選び、PINを入力して［ログイン］を押してください。</p>
${cardReadForms({
  action: '/sign-in',
  csrfToken,
  cardsInReach,
  state,
  button: 'ログイン',
  fileHeading: '電子証明書ファイル（ファイルタイプ）でログイン',
  fileButton: 'ファイルでログイン',
})}
<p>電子証明書の有効期限が切れてログインできない方は、<a href="/renewal">電子証明書更新</a>（ログイン不要）で新しい電子証明書に更新できます。</p>`

export const signInRoutes = (useCases: Pick<UseCases, 'signIn' | 'cards'>, deps: SessionDeps) => {
  const app = new Hono<AppEnv>()
  const { signIn, signOut: endSession } = useCases.signIn
  const { challenge, inReach } = useCases.cards

  app.get('/sign-in', async (c) => {
    if (c.get('user')) return c.redirect('/menu', 303)
    const session = await ensureSession(c, deps)
    await challenge(session.id)
    const why = SIGN_IN_NOTICES[c.req.query('why') ?? '']
    return render(c, {
      title: 'ログイン',
      body: html`${why ? html`<div class="notice" role="status"><p>${why}</p></div>` : ''}${signInPage(
        inReach,
        session.csrfToken,
      )}`,
    })
  })

  // ［ログイン］ (a card and its PIN) and ［ファイルでログイン］ (a certificate file, opened in the
  // page, or on the server without JavaScript): one handler, whichever form was sent.
  const signInWithForm = async (c: Context<AppEnv>) => {
    const session = await ensureSession(c, deps)
    return postCardRead(c, await c.req.parseBody(), {
      sessionId: session.id,
      challenge,
      read: (input) => signIn({ sessionId: session.id, input, clientAddress: c.get('clientAddress') }),
      onRead: (signedIn) => {
        setSessionCookie(c, signedIn.sessionId, deps.secureCookies)
        return toWholePage(c, '/menu')
      },
      refusal: (error) => ({ message: signInMessage(error), status: refusalStatus(error) }),
      again: (state, status) =>
        render(c, {
          title: 'ログイン',
          hasErrors: true,
          status,
          body: signInPage(inReach, session.csrfToken, state),
        }),
    })
  }
  app.post('/sign-in', signInWithForm)
  app.post('/sign-in/file', signInWithForm)

  // A fresh challenge for the page's own card reads, on any card-read screen (it replaces the one
  // the page came with): a certificate file the page opens, or the card helper's window.
  app.get('/card-read/challenge', async (c) => {
    const session = await ensureSession(c, deps)
    c.header('Cache-Control', 'no-store')
    return c.json({ nonce: await challenge(session.id) })
  })

  // The helper read the card and signed the challenge with the page's origin; the page posts its
  // token here with the CSRF token.
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
    const origin = c.get('portalOrigin')
    if (!origin) return c.json({ error: 'no-public-url', message: NO_ORIGIN_MESSAGE }, 422)
    const result = await signIn({
      sessionId: session.id,
      input: {
        kind: 'token',
        token: {
          certificate: fromBase64(token.data.unverifiedCertificate),
          algorithm: token.data.algorithm,
          signature: fromBase64(token.data.signature),
        },
        origin,
      },
      clientAddress: c.get('clientAddress'),
    })
    if (!result.ok) {
      return c.json(
        { error: result.error.kind, message: signInMessage(result.error).text },
        refusalStatus(result.error),
      )
    }
    setSessionCookie(c, result.value.sessionId, deps.secureCookies)
    return c.json({ redirect: '/menu' })
  })

  app.post('/sign-out', async (c) => {
    const session = c.get('session')
    if (session)
      await endSession({
        sessionId: session.id,
        userId: c.get('user')?.id,
        clientAddress: c.get('clientAddress'),
      })
    clearSessionCookie(c)
    return c.redirect('/sign-in', 303)
  })

  return app
}
