/**
 * Reading a card, wherever a screen asks for one (ログイン, 電子証明書の追加): the card to read and
 * its PIN, and what each refusal of the card or its certificate means for the user.
 */
import type { CertificateError } from '../core/certificates.ts'
import { formatDateJa } from '../core/format.ts'
import type { CardReadError, CardReader, CardSummary } from '../core/ports.ts'
import { html, raw } from './render.ts'

export type CardMessage = { field?: 'cardId' | 'pin' | 'consent'; text: string }

/**
 * Which certificate a screen reads, hence which cards it lists and which PIN it asks for:
 * sign-in and certificate add read the user-authentication one of a My Number card; F2 the
 * signing one; F2's second read only private certificates.
 */
export type CardUse = 'authentication' | 'signing' | 'private'
const usable: Record<CardUse, (card: CardSummary) => boolean> = {
  authentication: (card) => card.pinKind !== 'my-number-signing',
  signing: (card) => card.pinKind !== 'my-number-user-authentication',
  private: (card) => card.cardKind !== 'my-number',
}
const PIN_HINTS: Record<CardUse, string> = {
  authentication:
    'ファイルタイプの電子証明書はパスワードを、マイナンバーカードは利用者証明用電子証明書のパスワード（数字4桁）を入力します。',
  signing:
    'ファイルタイプの電子証明書はパスワードを、マイナンバーカードは署名用電子証明書のパスワード（英大文字と数字の6〜16文字）を入力します。',
  private: 'ファイルタイプの電子証明書はパスワードを入力します。',
}

export const CARD_LABELS = { cardId: 'カード', pin: 'PIN' }

export const certificateMessage = (e: CertificateError): string => {
  switch (e.kind) {
    case 'expired':
      return `電子証明書の有効期限が切れています（${formatDateJa(e.notAfter)}まで）。新しい電子証明書をお持ちなら、ログイン画面の「電子証明書更新」（ログイン不要）から更新してください。`
    case 'not-yet-valid':
      return `電子証明書はまだ有効になっていません（${formatDateJa(e.notBefore)}から有効）。有効期間の開始後にもう一度お試しください。`
    case 'untrusted':
      return '調達ポータルで利用できる認証局の電子証明書ではありません。利用できる電子証明書かどうか、発行元にご確認ください。'
    case 'wrong-key-usage':
      return 'この電子証明書は署名に使えない種類のものです。ログインや本人確認に使う電子証明書（署名用）をお使いください。'
    case 'revoked':
      return `この電子証明書は${formatDateJa(e.revokedAt)}に失効しています。新しい電子証明書を発行元から取得し、電子証明書更新の手続きを行ってください。`
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

/** The refusals every card read outside sign-in shares: an expired read, the card's, the certificate's. */
export type CardReadRefusal =
  | { kind: 'challenge-missing' }
  | { kind: 'card'; error: CardReadError }
  | { kind: 'certificate'; error: CertificateError }

export const cardReadRefusalMessage = (e: CardReadRefusal): CardMessage => {
  switch (e.kind) {
    case 'challenge-missing':
      return { text: 'カードの読み込みの有効期限（5分）が切れました。もう一度PINを入力してください。' }
    case 'card':
      return cardMessage(e.error)
    case 'certificate':
      return { field: 'cardId', text: certificateMessage(e.error) }
  }
}

/** The cards in reach (each with the tries left before it locks) and the PIN field. */
export const cardReadFields = async (
  reader: CardReader,
  state: { cardId?: string; errors: Partial<Record<string, string>>; use?: CardUse },
) => {
  const use = state.use ?? 'authentication'
  const cards = (await reader.listCards()).filter(usable[use])
  const tries = await Promise.all(cards.map((card) => reader.triesLeft(card.cardId)))
  const { errors } = state
  return html`<fieldset id="field-cardId"${errors.cardId ? raw(' aria-describedby="field-cardId-error"') : ''}>
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
    <p class="hint" id="field-pin-hint">${PIN_HINTS[use]}PINは保存も記録もされません。</p>
    ${errors.pin ? html`<p class="field-error" id="field-pin-error">${errors.pin}</p>` : ''}
    <input id="field-pin" name="pin" type="password" autocomplete="off" required aria-describedby="field-pin-hint${
      errors.pin ? ' field-pin-error' : ''
    }"${errors.pin ? raw(' aria-invalid="true"') : ''}>
  </div>`
}
