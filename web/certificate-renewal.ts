/**
 * F2 電子証明書更新, without signing in:
 * 更新する電子証明書の種別選択画面 (/renewal) → 更新する電子証明書の読み込み画面 (/renewal/new)
 * → 電子証明書の更新確認画面 (/renewal/confirm) → 電子証明書の更新完了画面 (/renewal/complete/:id).
 * Each card read answers a challenge issued with its page, bound to the (anonymous) session.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import {
  completeRenewal,
  type RenewalError,
  type RenewalPorts,
  readNewCertificate,
  readRegisteredCertificate,
  reviewRenewal,
  viewRenewal,
} from '../core/certificate-renewal.ts'
import { issueChallenge } from '../core/sign-in.ts'
import { CARD_LABELS, type CardMessage, cardReadFields, cardReadRefusalMessage } from './card-read.ts'
import { certificateFacts } from './certificate-view.ts'
import { errorSummary, postForm, readOnlyRows } from './forms.ts'
import { type Html, html, type Page, render } from './render.ts'
import { type AppEnv, ensureSession, type SessionDeps } from './session.ts'
import { syncStatus } from './sync-status.ts'

const CHOICE_TITLE = '更新する電子証明書の種別選択画面'
const READ_TITLE = '更新する電子証明書の読み込み画面'
const CONFIRM_TITLE = '電子証明書の更新確認画面'
const COMPLETE_TITLE = '電子証明書の更新完了画面'

const CardForm = z.object({ cardId: z.string().catch(''), pin: z.string().catch('') })
const ConfirmForm = z.object({ draftId: z.string().catch('') })

const renewalMessage = (e: RenewalError): CardMessage => {
  switch (e.kind) {
    case 'challenge-missing':
    case 'card':
    case 'certificate':
      return cardReadRefusalMessage(e)
    case 'not-registered':
      return {
        field: 'cardId',
        text: 'この電子証明書は調達ポータルに登録されていません。ここで読み込むのは、登録済みの電子証明書です（有効期限が切れていても構いません）。',
      }
    case 'holder-differs':
      return {
        field: 'cardId',
        text: `新しい電子証明書の名義（${e.presented}）が、登録済みの電子証明書の名義（${e.registered}）と異なります。新しい代理人を登録する場合は、電子証明書更新ではなく利用者登録を行ってください。`,
      }
    case 'organisation-differs':
      return {
        field: 'cardId',
        text: `新しい電子証明書の事業者名（${e.presented || 'なし'}）が、登録済みの電子証明書の事業者名（${e.registered || 'なし'}）と異なります。同じ事業者の電子証明書を読み込んでください。`,
      }
    case 'already-registered':
      return {
        field: 'cardId',
        text: 'この電子証明書はすでに調達ポータルに登録されています。まだ登録していない新しい電子証明書を読み込んでください。',
      }
    case 'no-draft':
    case 'draft-replaced':
    case 'changed-meanwhile':
      return { text: '更新の手続きが途中で変わりました。お手数ですが、最初からやり直してください。' }
  }
}

const startAgain = (error: RenewalError): Page => ({
  title: CONFIRM_TITLE,
  status: 409,
  body: html`<p>${renewalMessage(error).text}</p><p>更新は行っていません。</p><p><a href="/renewal">電子証明書更新の最初の画面へ</a></p>`,
})

/** A card-read page: what it is for, the card and its PIN, and [読込]. */
const readPage = (
  ports: RenewalPorts,
  action: string,
  intro: Html,
  csrfToken: string,
  state: { cardId?: string; message?: CardMessage } = {},
) => {
  const errors = state.message?.field ? { [state.message.field]: state.message.text } : {}
  return html`${intro}
${errorSummary(errors, CARD_LABELS, state.message && !state.message.field ? state.message.text : undefined)}
${postForm(
  action,
  csrfToken,
  html`${cardReadFields(ports.cardReader, { cardId: state.cardId, errors })}
  <button type="submit">読込</button>`,
)}`
}

const CHOICE_INTRO = html`<p>電子証明書の有効期限切れなどでログインできなくなった場合に、登録済みの電子証明書を新しい電子証明書に更新します。ログインは必要ありません。</p>
<p>新しい代理人を登録する場合は、電子証明書更新ではなく利用者登録を行ってください。</p>
<fieldset class="field">
  <legend>電子証明書種別</legend>
  <span class="choice"><input type="radio" id="kind-private" name="kind" value="private" checked> <label for="kind-private">民間電子証明書（ICカード・ファイルタイプ）</label></span>
</fieldset>
<p class="hint">マイナンバーカードによる更新は、公的個人認証サービスとの連携の準備ができしだい、この画面から行えるようになります。</p>
<p><strong>必ず本システムに登録済みの電子証明書を選択してください。</strong>カードを選び、PINを入力して［読込］を押してください。</p>`

const READ_INTRO = html`<p>更新先の新しい電子証明書のカードを選び、PINを入力して［読込］を押してください。登録済みの電子証明書と同じ名義・同じ事業者の、有効な電子証明書が必要です。</p>`

export const certificateRenewalRoutes = (ports: RenewalPorts, deps: SessionDeps) => {
  const app = new Hono<AppEnv>()
  const challenge = issueChallenge(ports)
  const readOld = readRegisteredCertificate(ports)
  const readNew = readNewCertificate(ports)
  const review = reviewRenewal(ports)
  const complete = completeRenewal(ports)
  const view = viewRenewal(ports)

  const cardStep = (path: string, title: string, intro: Html, read: typeof readOld, next: string) => {
    app.get(path, async (c) => {
      const session = await ensureSession(c, deps)
      await challenge(session.id)
      return render(c, { title, body: readPage(ports, path, intro, session.csrfToken) })
    })
    app.post(path, async (c) => {
      const session = await ensureSession(c, deps)
      const form = CardForm.parse(await c.req.parseBody())
      const result = await read({ sessionId: session.id, cardId: form.cardId, pin: form.pin })
      if (result.ok) return c.redirect(next, 303)
      if (result.error.kind === 'no-draft') return render(c, startAgain(result.error))
      await challenge(session.id)
      return render(c, {
        title,
        hasErrors: true,
        status: 422,
        body: readPage(ports, path, intro, session.csrfToken, {
          cardId: form.cardId,
          message: renewalMessage(result.error),
        }),
      })
    })
  }
  cardStep('/renewal', CHOICE_TITLE, CHOICE_INTRO, readOld, '/renewal/new')
  cardStep('/renewal/new', READ_TITLE, READ_INTRO, readNew, '/renewal/confirm')

  app.get('/renewal/confirm', async (c) => {
    const session = await ensureSession(c, deps)
    const reviewed = await review(session.id)
    if (!reviewed.ok) return render(c, startAgain(reviewed.error))
    const { old, new: fresh, user, business, draftId } = reviewed.value
    return render(c, {
      title: CONFIRM_TITLE,
      body: html`<p>更新先電子証明書情報に誤りが無いか確認し、［更新実行］を押してください。更新元の電子証明書は登録から外れ、以後は更新先の電子証明書でログインします。</p>
${certificateFacts('更新元電子証明書情報', old)}
${certificateFacts('更新先電子証明書情報', fresh)}
<section><h2>事業者情報</h2>${readOnlyRows([
        ['法人番号', business.corporateNumber],
        ['商号又は名称', business.name],
        ['利用者', user.name],
      ])}</section>
<div class="actions">
  ${postForm(
    '/renewal/confirm',
    session.csrfToken,
    html`<input type="hidden" name="draftId" value="${draftId}">
    <button type="submit">更新実行</button>`,
  )}
  <a class="button-secondary" href="/renewal">最初からやり直す</a>
</div>`,
    })
  })

  app.post('/renewal/confirm', async (c) => {
    const session = await ensureSession(c, deps)
    const { draftId } = ConfirmForm.parse(await c.req.parseBody())
    const result = await complete({ sessionId: session.id, draftId, clientAddress: c.get('clientAddress') })
    if (!result.ok) return render(c, startAgain(result.error))
    return c.redirect(`/renewal/complete/${result.value.changeId}`, 303)
  })

  app.get('/renewal/complete/:changeId', async (c) => {
    const session = await ensureSession(c, deps)
    const change = await view({ sessionId: session.id, changeId: c.req.param('changeId') })
    if (!change) {
      return render(c, {
        title: COMPLETE_TITLE,
        status: 404,
        body: html`<p>この更新は見つかりませんでした。</p>`,
      })
    }
    const urls = { poll: `/renewal/complete/${change.id}/sync`, reload: `/renewal/complete/${change.id}` }
    return render(c, {
      title: COMPLETE_TITLE,
      body: html`<p class="notice-success">電子証明書の更新が完了しました。</p>
<p>今後は更新先の電子証明書でログインしてください。登録されたメールアドレスに「[重要]電子証明書更新完了通知」を送信します。</p>
<p>受付番号: ${change.id}</p>
${syncStatus(change, urls)}
<p><a href="/sign-in">ログイン画面へ</a></p>`,
    })
  })

  app.get('/renewal/complete/:changeId/sync', async (c) => {
    const session = await ensureSession(c, deps)
    const change = await view({ sessionId: session.id, changeId: c.req.param('changeId') })
    c.header('Cache-Control', 'no-store')
    c.header('Vary', 'HX-Request, Cookie')
    if (!change) return c.html(html`<p>この更新は見つかりませんでした。</p>`, 404)
    if (c.req.header('hx-request') !== 'true') return c.redirect(`/renewal/complete/${change.id}`, 303)
    return c.html(syncStatus(change, { poll: c.req.path, reload: `/renewal/complete/${change.id}` }))
  })

  return app
}
