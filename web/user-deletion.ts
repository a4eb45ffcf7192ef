/**
 * F4 利用者情報削除, for an agent registered with a My Number card:
 * マイナンバーカード電子委任状失効画面 [代理人情報削除] → the card read with the
 * user-authentication PIN (/mandate/deletion) → 利用者情報削除確認(代理人・マイナンバーカード)画面
 * (/mandate/deletion/confirm, [削除]) → 利用者情報削除完了(代理人・マイナンバーカード)画面
 * (/user-deletion/complete/:id, shown to the browser's new anonymous session: the user's own
 * sessions have all ended). Anyone else gets 403 (the /mandate/* guard, and the use cases).
 */
import { type Context, Hono } from 'hono'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import type {
  DeletionCardReadError,
  DeletionStepError,
} from '../core/use-cases/user-deletion/user-deletion.ts'
import { type CardMessage, cardReadForms, cardReadRefusalMessage, postOwnCardRead } from './card-read.ts'
import { certificateTable } from './certificate-view.ts'
import { DraftForm, postForm, readOnlyRows, validForm } from './forms.ts'
import { mandateFacts, myNumberAgentsOnly, NOT_A_MY_NUMBER_AGENT } from './my-number-agent.ts'
import { html, type Page, render as renderPage } from './render.ts'
import { type AppEnv, setSessionCookie, signedIn, toWholePage } from './session.ts'
import { flowSteps } from './steps.ts'
import { syncStatus, syncStatusAnswer } from './sync-status.ts'

const READ_TITLE = '代理人情報削除(マイナンバーカードの読込)'
const CONFIRM_TITLE = '利用者情報削除確認(代理人・マイナンバーカード)画面'
const COMPLETE_TITLE = '利用者情報削除完了(代理人・マイナンバーカード)画面'

/** F4's screens as steps: 読込 → 確認 → 完了. */
const stepOf = flowSteps([
  ['読込', [READ_TITLE]],
  ['確認', [CONFIRM_TITLE]],
  ['完了', [COMPLETE_TITLE]],
])
const render = (c: Parameters<typeof renderPage>[0], page: Page) =>
  renderPage(c, { ...page, steps: stepOf(page.title) })

const FORBIDDEN: Page = {
  title: 'この手続きは利用できません',
  status: 403,
  body: html`<p>利用者情報の削除は、マイナンバーカードで登録した代理人の方が、ご自身の情報についてのみ行えます。</p><p><a href="/menu">メニューへ</a></p>`,
}

/** Why [削除] or the 確認画面 could not go on, and where to go from there. */
const refusal = (e: DeletionStepError): Page => {
  switch (e.kind) {
    case 'forbidden':
      return FORBIDDEN
    case 'already-deleted':
      return {
        title: COMPLETE_TITLE,
        status: 410,
        body: html`<p>この利用者情報は、既に削除されています。</p><p><a href="/sign-in">ログイン画面へ</a></p>`,
      }
    case 'draft-replaced':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>この確認画面の後にマイナンバーカードが読み込み直されたため、削除しませんでした。利用者情報は削除していません。最新の確認画面で内容を確かめてから削除してください。</p><p><a href="/mandate/deletion/confirm">確認画面を開き直す</a></p>`,
      }
    case 'card-not-read':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>マイナンバーカードを読み込んでから15分以内に削除してください（まだ読み込んでいない場合も、先に読み込みが必要です）。利用者情報は削除していません。</p><p><a href="/mandate/deletion">マイナンバーカードを読み込む</a></p>`,
      }
  }
}

const deletionMessage = (e: DeletionCardReadError): CardMessage => {
  switch (e.kind) {
    case 'too-many-attempts':
    case 'challenge-missing':
    case 'card':
    case 'file':
    case 'certificate':
      return cardReadRefusalMessage(e)
    case 'not-authentication-certificate':
      return {
        field: 'cardId',
        text: 'マイナンバーカードの利用者証明用電子証明書を読み込めませんでした。ご自分のマイナンバーカードを選び、利用者証明用電子証明書のパスワード（数字4桁）を入力してください。',
      }
    case 'not-your-card':
      return {
        field: 'cardId',
        text: 'このマイナンバーカードは、ログインしている利用者に登録されたものではありません。ご自分のマイナンバーカードを読み込んでください。',
      }
    case 'forbidden':
      return { text: NOT_A_MY_NUMBER_AGENT }
  }
}

export const userDeletionRoutes = (useCases: Pick<UseCases, 'userDeletion' | 'cards' | 'sessions'>) => {
  const app = new Hono<AppEnv>()
  const { challenge, inReach } = useCases.cards
  const { readCard, review, remove, view } = useCases.userDeletion
  app.use('/mandate/deletion', myNumberAgentsOnly)
  app.use('/mandate/deletion/*', myNumberAgentsOnly)

  const readPage = (c: Context<AppEnv>, state: { cardId?: string; message?: CardMessage } = {}) =>
    html`<p>代理人情報を削除するため、ご自分のマイナンバーカードを選び、利用者証明用電子証明書のパスワード（数字4桁）を入力して［代理人情報削除］を押してください。次の画面で削除する内容を確認します。この時点ではまだ削除しません。</p>
${cardReadForms({
  action: '/mandate/deletion',
  csrfToken: signedIn(c).session.csrfToken,
  cardsInReach: inReach,
  use: 'my-number-authentication',
  state,
  button: '代理人情報削除',
  fileHeading: '',
  fileButton: '',
  onlyCards: true,
})}
<p><a href="/mandate/expired">削除せずに電子委任状失効画面に戻る</a></p>`

  app.get('/mandate/deletion', async (c) => {
    await challenge(signedIn(c).session.id)
    return render(c, { title: READ_TITLE, body: readPage(c) })
  })

  app.post('/mandate/deletion', (c) =>
    postOwnCardRead(c, {
      read: readCard,
      next: '/mandate/deletion/confirm',
      sessions: useCases.sessions,
      challenge,
      message: deletionMessage,
      pageOf: (error) => (error.kind === 'forbidden' ? FORBIDDEN : undefined),
      again: async (state, status) =>
        render(c, { title: READ_TITLE, hasErrors: true, status, body: readPage(c, state) }),
    }),
  )

  app.get('/mandate/deletion/confirm', async (c) => {
    const { session, user } = signedIn(c)
    const reviewed = await review({ sessionId: session.id, userId: user.id })
    if (!reviewed.ok) return render(c, refusal(reviewed.error))
    const { business, certificates, mandate, providerName, draftId } = reviewed.value
    const shown = reviewed.value.user
    return render(c, {
      title: CONFIRM_TITLE,
      body: html`<div class="warning" role="note"><p><strong>削除した利用者情報は元に戻せません。</strong>［削除］を押すと、次の利用者情報・電子証明書情報・電子委任状情報と、お知らせ・レコメンドを削除し、この利用者でログインしているすべての画面からログアウトします。削除は政府電子調達システム(GEPS)にも反映します。</p>
<p>再び利用するには、改めて利用者登録が必要です。以前のお知らせ・レコメンドは引き継がれません。</p></div>
<section><h2>利用者基本情報(利用者情報)</h2>${readOnlyRows([
        ['事業者', `${business.name}（法人番号 ${business.corporateNumber}）`],
        ['氏名', shown.name],
        ['フリガナ', shown.nameKana],
        ['部署名', shown.department],
        ['役職名', shown.title],
        ['郵便番号', shown.postalCode],
        ['住所', shown.address],
        ['電話番号', shown.phone],
        ['FAX番号', shown.fax],
        ['メールアドレス', shown.email],
      ])}</section>
<section><h2>電子証明書情報</h2>${certificateTable(certificates, { caption: '削除する電子証明書' })}</section>
<section><h2>電子委任状情報</h2>${mandate ? mandateFacts({ ...mandate, providerName: providerName ?? mandate.providerId }) : html`<p>登録されている電子委任状はありません。</p>`}</section>
${postForm(
  '/mandate/deletion/confirm',
  session.csrfToken,
  html`<input type="hidden" name="draftId" value="${draftId}">
  <div class="actions"><button type="submit" class="button-danger">削除</button><a href="/mandate/expired">削除せずに戻る</a></div>`,
)}`,
    })
  })

  app.post('/mandate/deletion/confirm', validForm(DraftForm), async (c) => {
    const { session, user } = signedIn(c)
    const { draftId } = c.req.valid('form')
    const deleted = await remove({
      sessionId: session.id,
      userId: user.id,
      draftId,
      clientAddress: c.get('clientAddress'),
    })
    if (!deleted.ok) return render(c, refusal(deleted.error))
    // Every session of the user has ended; this browser goes on in a new one, signed in as no one.
    setSessionCookie(c, deleted.value.sessionId, c.get('secureCookies') === true)
    return toWholePage(c, `/user-deletion/complete/${deleted.value.changeId}`)
  })

  app.get('/user-deletion/complete/:changeId', async (c) => {
    const session = c.get('session')
    const change = session && (await view({ sessionId: session.id, changeId: c.req.param('changeId') }))
    if (!change) {
      return render(c, {
        title: COMPLETE_TITLE,
        status: 404,
        body: html`<p>この画面は、削除を行ったブラウザーでのみ表示できます。</p><p><a href="/sign-in">ログイン画面へ</a></p>`,
      })
    }
    const urls = {
      poll: `/user-deletion/complete/${change.id}/sync`,
      reload: `/user-deletion/complete/${change.id}`,
    }
    return render(c, {
      title: COMPLETE_TITLE,
      body: html`<p class="notice-success">利用者情報の削除が完了しました。</p>
<p>利用者情報・電子証明書情報・電子委任状情報と、お知らせ・レコメンドを削除し、ログアウトしました。利用者情報の削除は、政府電子調達システム(GEPS)にも反映します（連携状況は下に表示します）。</p>
<p>受付番号: ${change.receiptNumber}</p>
${syncStatus(change, urls)}
<p>再び調達ポータルを利用する場合は、改めて利用者登録を行ってください。</p>
<p><a href="/sign-in">ログイン画面へ</a></p>`,
    })
  })

  app.get('/user-deletion/complete/:changeId/sync', async (c) => {
    const session = c.get('session')
    const changeId = c.req.param('changeId')
    const change = session && (await view({ sessionId: session.id, changeId }))
    return syncStatusAnswer(c, change, `/user-deletion/complete/${changeId}`)
  })

  return app
}
