/**
 * Reading a card, wherever a screen asks for one (ログイン, 電子証明書の追加, 電子証明書更新): the
 * forms (a card and its PIN, a certificate file, a card helper), the card input they send, and
 * what each refusal of the card, the file or the certificate means for the user.
 */
import type { Context } from 'hono'
import { z } from 'zod'
import type { CertificateError } from '../core/domain/certificates.ts'
import { BASE64_PATTERN, fromBase64 } from '../core/lib/base64.ts'
import { formatDateJa } from '../core/lib/format.ts'
import { HELPER_ALGORITHMS } from '../core/lib/helper-token.ts'
import { PKCS12_MAX_BYTES, type Pkcs12Error } from '../core/lib/pkcs12.ts'
import { err, ok, type Result } from '../core/lib/result.ts'
import type { CardReadError, CardSummary } from '../core/ports.ts'
import type { CardInput, CardInReach, ChallengedReadError } from '../core/use-cases/shared/card-proof.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import { blankInputField, csrfField, errorSummary, postForm } from './forms.ts'
import { type Html, html, type Page, raw, render } from './render.ts'
import { type AppEnv, afterCardRead, signedIn } from './session.ts'

export type CardMessage = { field?: 'cardId' | 'pin' | 'consent' | 'p12' | 'password'; text: string }

/**
 * Which certificate a screen reads, hence which cards it lists and which PIN it asks for:
 * sign-in and certificate add read the user-authentication one of a My Number card; F2 the
 * signing one; F2's second read only private certificates.
 */
export type CardUse =
  | 'authentication'
  | 'signing'
  | 'private'
  | 'my-number-signing'
  | 'my-number-authentication'
const usable: Record<CardUse, (card: CardSummary) => boolean> = {
  authentication: (card) => card.pinKind !== 'my-number-signing',
  signing: (card) => card.pinKind !== 'my-number-user-authentication',
  private: (card) => card.cardKind !== 'my-number',
  'my-number-signing': (card) => card.pinKind === 'my-number-signing',
  'my-number-authentication': (card) => card.pinKind === 'my-number-user-authentication',
}
/** Which PIN the tries count, where a card has two (a My Number card). */
const PIN_NAMES: Record<CardSummary['pinKind'], string> = {
  'ic-card': 'PIN',
  file: 'PIN',
  'my-number-user-authentication': '利用者証明用PIN',
  'my-number-signing': '署名用PIN',
}
const PIN_HINTS: Record<CardUse, string> = {
  authentication:
    'ファイルタイプの電子証明書はパスワードを、マイナンバーカードは利用者証明用電子証明書のパスワード（数字4桁）を入力します。',
  signing:
    'ファイルタイプの電子証明書はパスワードを、マイナンバーカードは署名用電子証明書のパスワード（英大文字と数字の6〜16文字）を入力します。',
  private: 'ファイルタイプの電子証明書はパスワードを入力します。',
  'my-number-signing': '署名用電子証明書のパスワード（英大文字と数字の6〜16文字）を入力します。',
  'my-number-authentication': '利用者証明用電子証明書のパスワード（数字4桁）を入力します。',
}

export const CARD_LABELS = { cardId: 'カード', pin: 'PIN', p12: '電子証明書ファイル', password: 'パスワード' }
const CARD_LABELS_WITH_CONSENT = { ...CARD_LABELS, consent: '公的個人認証サービスへの照会の同意' }

export const certificateMessage = (e: CertificateError): string => {
  switch (e.kind) {
    case 'expired':
      return `電子証明書の有効期限が切れています（${formatDateJa(e.notAfter)}まで）。新しい電子証明書をお持ちなら、ログイン画面の「電子証明書更新」（ログイン不要）から更新してください。`
    case 'not-yet-valid':
      return `電子証明書はまだ有効になっていません（${formatDateJa(e.notBefore)}から有効）。有効期間の開始後にもう一度お試しください。`
    case 'untrusted':
      return '調達ポータルで利用できる認証局の電子証明書ではありません。利用できる電子証明書かどうか、発行元にご確認ください。'
    case 'authority-expired':
      return `この電子証明書を発行した認証局の電子証明書が有効ではありません（${formatDateJa(e.notAfter)}まで）。お手数ですが、電子証明書の発行元にご確認ください。`
    case 'wrong-key-usage':
      return e.which === 'key-usage'
        ? 'この電子証明書は署名に使えない種類のものです。ログインや本人確認に使う電子証明書（署名用）をお使いください。'
        : 'この電子証明書は、ログインや本人確認（クライアント認証）に使えない用途のものです。ログインや本人確認に使う電子証明書をお使いください。'
    case 'is-authority':
      return 'これは認証局の電子証明書です。利用者ご本人の電子証明書をお使いください。'
    case 'unsupported-extension':
      return `この電子証明書には、調達ポータルが扱えない重要な拡張（${e.oid}）が含まれているため、使えません。お手数ですが、電子証明書の発行元にご確認ください。`
    case 'weak-key':
      return `この電子証明書の鍵（${e.key}）は、いまの基準では安全に使える強さに足りません。RSA 2048ビット以上、または楕円曲線P-256以上の鍵の電子証明書をお使いください。`
    case 'revoked':
      return `この電子証明書は${formatDateJa(e.revokedAt)}に失効しています。失効した電子証明書は、ログインにも電子証明書更新にも使えません。ほかに登録済みの電子証明書があればそちらを、なければヘルプデスクにご連絡ください。`
    case 'expired-status-unknown':
      return `この電子証明書は有効期限（${formatDateJa(e.notAfter)}）から日数がたっているため、失効していないことを認証局の失効リストで確かめられません。この電子証明書では更新できませんので、お手数ですがヘルプデスクにご連絡ください。`
    case 'revocation-unknown':
      return '電子証明書が失効していないかを、いま確認できませんでした。しばらくしてからもう一度お試しください。'
    case 'bad-signature':
      return 'カードによる署名を確認できませんでした。カードを挿し直して、もう一度お試しください。'
    case 'malformed':
      return '電子証明書を読み取れませんでした。カードを挿し直して、もう一度お試しください。'
  }
}

export const cardMessage = (e: CardReadError): CardMessage => {
  switch (e.kind) {
    case 'no-card':
      return { field: 'cardId', text: 'カードを選択してください。' }
    case 'pin-format':
      return { field: 'pin', text: e.message }
    case 'wrong-pin':
      return {
        field: 'pin',
        text:
          e.triesLeft === undefined
            ? 'パスワードが正しくありません。'
            : `PINが正しくありません。あと${e.triesLeft}回間違えるとカードがロックされます。`,
      }
    case 'locked':
      return {
        field: 'cardId',
        text: 'このカードはPINの誤入力が続いたためロックされています。カードの発行元（マイナンバーカードはお住まいの市区町村の窓口）でロックを解除してください。',
      }
  }
}

/** What each certificate file refusal means, next to the field to correct. */
export const fileMessage = (e: Pkcs12Error): CardMessage => {
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
    // Only the page meets it, and it sends such a file to the server, which reads it: said here
    // only should a runtime without the legacy ciphers ever open one.
    case 'legacy-algorithm':
      return {
        field: 'p12',
        text: `このファイルの暗号方式（${e.algorithm}）は、いまこのサーバでは開けません。しばらくしてからもう一度お試しいただくか、発行元のツールで AES の方式で書き出し直してください。`,
      }
  }
}

/** The status of a card read's refusal: 429 when it was too many, else 422 (correct and send again). */
export const refusalStatus = (e: { kind: string }): 422 | 429 => (e.kind === 'too-many-attempts' ? 429 : 422)

/** The refusals every card read shares: an expired read, the card's, the file's, the certificate's. */
export const cardReadRefusalMessage = (e: ChallengedReadError): CardMessage => {
  switch (e.kind) {
    case 'too-many-attempts':
      return {
        text: `カードの読み込みの失敗が続いたため、安全のため${e.retryAfterMinutes}分ほど受け付けません。時間をおいてもう一度お試しください。`,
      }
    case 'file':
      return fileMessage(e.error)
    case 'challenge-missing':
      return { text: 'カードの読み込みの有効期限（5分）が切れました。もう一度PINを入力してください。' }
    case 'card':
      return cardMessage(e.error)
    case 'certificate':
      return { field: 'cardId', text: certificateMessage(e.error) }
  }
}

/** The cards in reach and the PIN field. */
const cardReadFields = (
  cards: CardInReach[],
  state: { cardId?: string; errors: Partial<Record<string, string>>; use: CardUse },
) => {
  const { errors, use } = state
  return html`<fieldset id="field-cardId"${errors.cardId ? raw(' aria-describedby="field-cardId-error"') : ''}>
    <legend>カード（開発用の仮想カードリーダ）</legend>
    ${errors.cardId ? html`<p class="field-error" id="field-cardId-error">${errors.cardId}</p>` : ''}
    ${cards.map(
      (card, i) => html`<div class="choice">
      <input type="radio" name="cardId" id="card-${card.cardId}" value="${card.cardId}"${
        state.cardId === card.cardId || (!state.cardId && i === 0) ? ' checked' : ''
      }>
      <label for="card-${card.cardId}">${card.holderName}${
        card.triesLeft === undefined
          ? ''
          : card.triesLeft === 0
            ? html`<span class="tries">（ロック中）</span>`
            : html`<span class="tries">（${PIN_NAMES[card.pinKind]}入力 残り${card.triesLeft}回）</span>`
      }</label>
    </div>`,
    )}
  </fieldset>
  <div class="field${errors.pin ? ' field-invalid' : ''}">
    <label for="field-pin">PIN</label>
    <p class="hint" id="field-pin-hint">${PIN_HINTS[use]}PINは保存も記録もされません。</p>
    ${errors.pin ? html`<p class="field-error" id="field-pin-error">${errors.pin}</p>` : ''}
    <input id="field-pin" name="pin" type="password" autocomplete="off" required aria-describedby="field-pin-hint${
      errors.pin ? ' field-pin-error' : ''
    }"${errors.pin ? raw(' aria-invalid="true"') : ''}>
  </div>`
}

const base64 = z.string().min(1).max(16_000).regex(BASE64_PATTERN)
/**
 * What the page sends for a certificate file it opened itself, or for a card the card helper
 * read: the certificate and a signature; for a My Number renewal through the helper, also the
 * card's user-authentication certificate and its signature over the same data.
 */
const PageToken = z.object({
  tokenCertificate: base64,
  tokenAlgorithm: z.enum(HELPER_ALGORITHMS),
  tokenSignature: base64,
  tokenAuthCertificate: base64.optional(),
  tokenAuthAlgorithm: z.enum(HELPER_ALGORITHMS).optional(),
  tokenAuthSignature: base64.optional(),
})
/** What the page sends for a certificate file it could not open: why, and nothing of the file. */
const PageFileError = z.object({
  fileError: z.enum(['too-large', 'damaged', 'wrong-password', 'unsupported-algorithm', 'no-password']),
  fileErrorDetail: z.string().max(80).catch(''),
})

/** For a token on a server that does not know the origin it must cover (PUBLIC_URL unset). */
export const NO_ORIGIN_MESSAGE =
  'このサーバでは、ブラウザやカードヘルパーで読み込んだ電子証明書を受け付けられません（公開URLが設定されていません）。お手数ですが、管理者にお問い合わせください。'

/** What the page sends when the card helper gave no token: why. */
const HelperError = z.object({
  helperError: z.enum(['unavailable', 'blocked', 'cancelled', 'timeout', 'failed']),
  helperErrorDetail: z
    .string()
    .max(60)
    .regex(/^[A-Z0-9_]*$/)
    .catch(''),
})

const helperMessage = (e: z.infer<typeof HelperError>): string => {
  switch (e.helperError) {
    case 'unavailable':
      return 'カードヘルパーが応答しませんでした。カードヘルパーを起動してから（npm run card-helper、またはインストールしたカードヘルパーのアプリ）、もう一度お試しください。ICカードリーダをお持ちでない場合は、ファイルタイプの電子証明書をお使いください。'
    case 'blocked':
      return 'カードヘルパーの画面を開けませんでした。ブラウザがポップアップを止めています。このサイトのポップアップを許可してから、もう一度お試しください。'
    case 'cancelled':
      return 'カードの読み込みが取り消されました（カードヘルパーの画面が閉じられました）。もう一度お試しください。'
    case 'timeout':
      return 'PINが入力されないまま時間切れになりました。もう一度お試しください。'
    case 'failed':
      return `カードヘルパーがカードを読み込めませんでした${e.helperErrorDetail ? `（${e.helperErrorDetail}）` : ''}。カードを挿し直して、もう一度お試しください。`
  }
}

const fileErrorOf = (e: z.infer<typeof PageFileError> & { fileError: Pkcs12Error['kind'] }): Pkcs12Error => {
  switch (e.fileError) {
    case 'too-large':
      return { kind: 'too-large', maxBytes: PKCS12_MAX_BYTES }
    case 'unsupported-algorithm':
      return { kind: 'unsupported-algorithm', algorithm: e.fileErrorDetail || '不明' }
    case 'damaged':
    case 'wrong-password':
      return { kind: e.fileError }
  }
}

/** Which of a card-read screen's forms sent the body: by the fields only each one has. */
const formOf = (body: Record<string, unknown>): 'card' | 'file' | 'helper' => {
  if ('helperError' in body || (body.via === 'helper' && 'tokenCertificate' in body)) return 'helper'
  return ['p12', 'password', 'tokenCertificate', 'fileError'].some((name) => name in body) ? 'file' : 'card'
}

/**
 * A refusal of what a form sent, beside that form: what would stand by the card list stands by
 * the file field for a file, and at the top for a card helper (its form has no field).
 */
export const besideItsForm = (body: Record<string, unknown>, message: CardMessage): CardMessage => {
  const form = formOf(body)
  if (form === 'card' || (message.field !== 'cardId' && message.field !== 'pin')) return message
  return form === 'helper' ? { text: message.text } : { ...message, field: 'p12' }
}

/**
 * The card input a card-read form sent: from the file form, the page's token for
 * a file it opened, the page's reason it could not, or the file itself (no JavaScript); from the
 * card form, the card and its PIN. `origin` is the portal's own, which a page token must cover.
 */
export const cardInputOf = async (
  body: Record<string, unknown>,
  origin: string | undefined,
): Promise<Result<CardInput, CardMessage>> => {
  const helperError = HelperError.safeParse(body)
  if (helperError.success) return err({ text: helperMessage(helperError.data) })
  if (formOf(body) === 'card') {
    const text = (v: unknown) => (typeof v === 'string' ? v : '')
    return ok({ kind: 'reader', cardId: text(body.cardId), pin: text(body.pin) })
  }
  const token = PageToken.safeParse(body)
  const tokenSent = ['tokenCertificate', 'tokenAlgorithm', 'tokenSignature'].some((name) => name in body)
  if (tokenSent && !token.success) {
    return err({ text: '電子証明書と署名を読み取れませんでした。もう一度お試しください。' })
  }
  if (token.success && !origin) return err({ text: NO_ORIGIN_MESSAGE })
  if (token.success && origin) {
    const { tokenAuthCertificate, tokenAuthAlgorithm, tokenAuthSignature } = token.data
    return ok({
      kind: 'token',
      origin,
      token: {
        certificate: fromBase64(token.data.tokenCertificate),
        algorithm: token.data.tokenAlgorithm,
        signature: fromBase64(token.data.tokenSignature),
        ...(tokenAuthCertificate &&
          tokenAuthAlgorithm &&
          tokenAuthSignature && {
            userAuthentication: {
              certificate: fromBase64(tokenAuthCertificate),
              algorithm: tokenAuthAlgorithm,
              signature: fromBase64(tokenAuthSignature),
            },
          }),
      },
    })
  }
  const unopened = PageFileError.safeParse(body)
  const noPassword = { field: 'password' as const, text: 'パスワードを入力してください。' }
  if (unopened.success) {
    const { fileError, fileErrorDetail } = unopened.data
    if (fileError === 'no-password') return err(noPassword)
    return ok({ kind: 'file-unopened', error: fileErrorOf({ fileError, fileErrorDetail }) })
  }
  const file = body.p12 instanceof File && body.p12.size > 0 ? body.p12 : undefined
  if (!file) return err({ field: 'p12', text: '電子証明書ファイルを選択してください。' })
  const password = typeof body.password === 'string' ? body.password : ''
  if (password === '') return err(noPassword)
  return ok({ kind: 'file', file: new Uint8Array(await file.arrayBuffer()), password })
}

/**
 * The certificate file form: a plain multipart form, so that it works without JavaScript (the
 * server opens the file, signs, and forgets the key). With JavaScript the page opens the file
 * itself (data-certificate-file) and sends only the certificate and a signature. A file input
 * cannot be refilled, so after a refusal the user chooses the file again.
 */
export const certificateFileForm = (f: {
  action: string
  csrfToken: string
  errors: Partial<Record<string, string>>
  heading: string
  button: string
}): Html =>
  html`<h2>${f.heading}</h2>
<form method="post" action="${f.action}" enctype="multipart/form-data" data-certificate-file novalidate>
  ${csrfField(f.csrfToken)}
  ${blankInputField({
    name: 'p12',
    label: '電子証明書ファイル（.p12 / .pfx）',
    type: 'file',
    error: f.errors.p12,
    accept: '.p12,.pfx,application/x-pkcs12',
  })}
  ${blankInputField({ name: 'password', label: CARD_LABELS.password, type: 'password', error: f.errors.password })}
  <p class="hint">ファイルはふつうこの画面の中で開き、電子証明書と署名だけを送ります。JavaScriptが無効のときや画面の中で開けないときはファイルとパスワードを送り、サーバが開いて署名した後すぐに破棄します。どちらの場合も、ファイルもパスワードも保存しません。</p>
  <button type="submit">${f.button}</button>
</form>`

/**
 * Every card-read screen's forms: the refusal summary, the card form (a card of the reader and
 * its PIN, with what the screen adds around it) and the certificate file form, both posting to
 * the same step.
 */
export const cardReadForms = async (f: {
  action: string
  csrfToken: string
  /** The cards in the server's reader a screen may offer (UseCases['cards']['inReach']). */
  cardsInReach: (offered: (card: CardSummary) => boolean) => Promise<CardInReach[]>
  use?: CardUse
  state: { cardId?: string; message?: CardMessage }
  button: string
  fileHeading: string
  fileButton: string
  /** Inside the card form, before the cards and after them. */
  before?: Html
  after?: Html
  /** Whether a certificate file and a card helper may answer too (not for a My Number card's signing read). */
  onlyCards?: boolean
  /** Said in place of the card form when this server reaches no card (production). */
  withoutReader?: Html
}): Promise<Html> => {
  const { message } = f.state
  const errors: Record<string, string> = message?.field ? { [message.field]: message.text } : {}
  const use = f.use ?? 'authentication'
  // In production the server's reader lists no card: cards are read by the card helper, whose
  // form then carries what the screen adds around the card (F2's kind and JPKI consent).
  const cards = await f.cardsInReach(usable[use])
  const helper =
    cards.length === 0
      ? cardHelperForm({ ...f, use, fields: html`${f.before ?? ''}${f.after ?? ''}` })
      : f.onlyCards || f.before || f.after
        ? ''
        : cardHelperForm({ ...f, use })
  return html`${errorSummary(errors, CARD_LABELS_WITH_CONSENT, message && !message.field ? message.text : undefined)}
${
  cards.length > 0
    ? postForm(
        f.action,
        f.csrfToken,
        html`${f.before ?? ''}
  ${cardReadFields(cards, { cardId: f.state.cardId, errors, use })}
  ${f.after ?? ''}
  <button type="submit">${f.button}</button>`,
      )
    : (f.withoutReader ?? '')
}
${helper}
${
  f.onlyCards
    ? ''
    : certificateFileForm({
        action: f.action,
        csrfToken: f.csrfToken,
        errors,
        heading: f.fileHeading,
        button: f.fileButton,
      })
}`
}

/**
 * The card helper form: an IC card or a My Number card in the user's own reader, read by the card
 * helper (`npm run card-helper`) in a window of its own, where the user types the PIN. Hidden until
 * the page's script shows it; without JavaScript the screen says what the card path needs instead,
 * and where the file path is.
 */
const cardHelperForm = (f: {
  action: string
  csrfToken: string
  use: CardUse
  onlyCards?: boolean
  /** What the screen adds to the read (F2's kind and JPKI consent, when no card form has them). */
  fields?: Html
}): Html =>
  html`<section class="card-helper" aria-labelledby="card-helper-heading">
  <h2 id="card-helper-heading">お手元のカードリーダで読み込む（ICカード・マイナンバーカード）</h2>
  <p class="notice" data-card-helper-needs-script>ICカードやマイナンバーカードの読み込みには、お使いのパソコンで動くカードヘルパーと、ブラウザのJavaScriptが必要です。JavaScriptを有効にしてから、この画面を開き直してください。${
    f.onlyCards ? '' : 'ファイルタイプの電子証明書は、JavaScriptがなくても下のファイルの読込から使えます。'
  }</p>
  <form method="post" action="${f.action}" data-card-helper data-card-use="${f.use}" hidden>
  ${csrfField(f.csrfToken)}
  <input type="hidden" name="via" value="helper">
  ${f.fields ?? ''}
  <p class="hint">カードヘルパーの画面が開きます。カードを選び、PINはカードヘルパーの画面で入力してください。PINは調達ポータルには送られません。</p>
  <button type="submit">カードヘルパーで読込</button>
  </form>
</section>`

/** How a card-read screen answers a refusal: 422, or 429 over the limits, or 502/503 when a neighbour failed. */
export type RefusalStatus = 422 | 429 | 502 | 503

/** What a card-read screen does with a refused read: a page of its own, or itself again with why. */
export type CardRefusal = { page: Page } | { message: CardMessage; status: RefusalStatus }

/**
 * The POST of every card-read screen: the card, file or helper token the page sent (`body`), read
 * by `read`. A read that stands goes on (`onRead`); a refusal with a page of its own shows that
 * page; any other issues a new challenge and shows the screen again (`again`) with why, beside
 * the form that sent it, and the card that was chosen (never the PIN).
 */
export const postCardRead = async <T, E>(
  c: Context<AppEnv>,
  body: Record<string, unknown>,
  step: {
    sessionId: string
    challenge: (sessionId: string) => Promise<unknown>
    read: (input: CardInput) => Promise<Result<T, E>>
    onRead: (value: T) => Response | Promise<Response>
    refusal: (error: E) => CardRefusal
    again: (
      state: { cardId?: string; message: CardMessage },
      status: RefusalStatus,
    ) => Response | Promise<Response>
  },
): Promise<Response> => {
  const cardId = typeof body.cardId === 'string' ? body.cardId : undefined
  const refuse = async (message: CardMessage, status: RefusalStatus) => {
    await step.challenge(step.sessionId)
    return step.again({ cardId, message: besideItsForm(body, message) }, status)
  }
  const input = await cardInputOf(body, c.get('portalOrigin'))
  if (!input.ok) return refuse(input.error, 422)
  const read = await step.read(input.value)
  if (read.ok) return step.onRead(read.value)
  const refusal = step.refusal(read.error)
  return 'page' in refusal ? render(c, refusal.page) : refuse(refusal.message, refusal.status)
}

/**
 * The POST of a screen whose one step is a card read of the signed-in user's own card (F3's and
 * F4's), read by `read` for this session and user: a read that stands gives the session a new id
 * and goes on to `next`; `pageOf` names the refusals that have a page of their own.
 */
export const postOwnCardRead = async <E extends { kind: string }>(
  c: Context<AppEnv>,
  step: {
    /** The use case that reads the signed-in user's card in this flow. */
    read: (cmd: {
      sessionId: string
      userId: string
      input: CardInput
      clientAddress?: string
    }) => Promise<Result<unknown, E>>
    next: string
    sessions: Pick<UseCases['sessions'], 'rotate'>
    challenge: (sessionId: string) => Promise<unknown>
    message: (error: E) => CardMessage
    pageOf?: (error: E) => Page | undefined
    again: (state: { cardId?: string; message: CardMessage }, status: RefusalStatus) => Promise<Response>
  },
): Promise<Response> => {
  const { session, user } = signedIn(c)
  return postCardRead(c, await c.req.parseBody(), {
    sessionId: session.id,
    challenge: step.challenge,
    read: (input) =>
      step.read({ sessionId: session.id, userId: user.id, input, clientAddress: c.get('clientAddress') }),
    onRead: () => afterCardRead(c, step.sessions, session, step.next),
    refusal: (error) => {
      const page = step.pageOf?.(error)
      return page ? { page } : { message: step.message(error), status: refusalStatus(error) }
    },
    again: step.again,
  })
}
