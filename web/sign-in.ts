/**
 * ログイン: the development sign-in page lists the virtual cards by holder name; the user picks
 * one and enters its PIN. The server issued a single-use challenge with the page; the card signs
 * it, and the core checks the proof. Every refusal says what to do next.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { CertificateError } from '../core/certificates.ts'
import { formatDateJa } from '../core/format.ts'
import type { CardReader } from '../core/ports.ts'
import { issueChallenge, type SignInError, type SignInPorts, signInWithCard } from '../core/sign-in.ts'
import { errorSummary, postForm } from './forms.ts'
import { html, raw, render } from './render.ts'
import {
  type AppEnv,
  clearSessionCookie,
  ensureSession,
  type SessionDeps,
  setSessionCookie,
} from './session.ts'

const certificateMessage = (e: CertificateError): string => {
  switch (e.kind) {
    case 'expired':
      return `電子証明書の有効期限が切れています（${formatDateJa(e.notAfter)}まで）。電子証明書更新の手続きで、新しい電子証明書に更新してください。`
    case 'not-yet-valid':
      return `電子証明書はまだ有効になっていません（${formatDateJa(e.notBefore)}から有効）。有効期間の開始後にもう一度ログインしてください。`
    case 'untrusted':
      return '調達ポータルで利用できる認証局の電子証明書ではありません。利用できる電子証明書かどうか、発行元にご確認ください。'
    case 'bad-signature':
      return 'カードによる署名を確認できませんでした。カードを挿し直して、もう一度お試しください。'
    case 'malformed':
      return '電子証明書を読み取れませんでした。カードを挿し直して、もう一度お試しください。'
  }
}

export const signInMessage = (e: SignInError): { field?: 'cardId' | 'pin'; text: string } => {
  switch (e.kind) {
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
      switch (e.error.kind) {
        case 'no-card':
          return { field: 'cardId', text: 'カードを選択してください。' }
        case 'pin-format':
          return { field: 'pin', text: e.error.message }
        case 'wrong-pin':
          return {
            field: 'pin',
            text:
              e.error.triesLeft === undefined
                ? 'パスワードが正しくありません。'
                : `PINが正しくありません。あと${e.error.triesLeft}回間違えるとカードがロックされます。`,
          }
        case 'locked':
          return {
            field: 'cardId',
            text: 'このカードはPINの誤入力が続いたためロックされています。カードの発行元（マイナンバーカードはお住まいの市区町村の窓口）でロックを解除してください。',
          }
      }
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

const LABELS = { cardId: 'カード', pin: 'PIN' }

const signInPage = async (
  reader: CardReader,
  csrfToken: string,
  state: { cardId?: string; message?: { field?: 'cardId' | 'pin'; text: string } } = {},
) => {
  const cards = await reader.listCards()
  const tries = await Promise.all(cards.map((card) => reader.triesLeft(card.cardId)))
  const errors = state.message?.field ? { [state.message.field]: state.message.text } : {}
  const formMessage = state.message && !state.message.field ? state.message.text : undefined
  return html`<p>電子証明書でログインします。カードを選び、PINを入力して［ログイン］を押してください。</p>
${errorSummary(errors, LABELS, formMessage)}
${postForm(
  '/sign-in',
  csrfToken,
  html`  <fieldset id="field-cardId"${errors.cardId ? raw(' aria-describedby="field-cardId-error"') : ''}>
    <legend>カード（開発用の仮想カードリーダ）</legend>
    ${errors.cardId ? html`<p class="field-error" id="field-cardId-error">${errors.cardId}</p>` : ''}
    ${cards.map(
      (card, i) => html`<div class="choice">
      <input type="radio" name="cardId" id="card-${card.cardId}" value="${card.cardId}"${
        state.cardId === card.cardId || (!state.cardId && i === 0) ? ' checked' : ''
      }>
      <label for="card-${card.cardId}">${card.holderName}${
        tries[i] === undefined
          ? ''
          : tries[i] === 0
            ? html`<span class="tries">（ロック中）</span>`
            : html`<span class="tries">（PIN入力 残り${tries[i]}回）</span>`
      }</label>
    </div>`,
    )}
  </fieldset>
  <div class="field${errors.pin ? ' field-invalid' : ''}">
    <label for="field-pin">PIN</label>
    <p class="hint" id="field-pin-hint">ファイルタイプの電子証明書はパスワードを入力します。PINは保存も記録もされません。</p>
    ${errors.pin ? html`<p class="field-error" id="field-pin-error">${errors.pin}</p>` : ''}
    <input id="field-pin" name="pin" type="password" autocomplete="off" required aria-describedby="field-pin-hint${
      errors.pin ? ' field-pin-error' : ''
    }"${errors.pin ? raw(' aria-invalid="true"') : ''}>
  </div>
  <button type="submit">ログイン</button>`,
)}`
}

export const signInRoutes = (ports: SignInPorts, deps: SessionDeps) => {
  const app = new Hono<AppEnv>()
  const signIn = signInWithCard(ports)
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
        status: 422,
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

  app.post('/sign-out', async (c) => {
    const session = c.get('session')
    if (session) await deps.sessions.end(session.id)
    clearSessionCookie(c)
    return c.redirect('/sign-in', 303)
  })

  return app
}
