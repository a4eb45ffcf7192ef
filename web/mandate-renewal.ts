/**
 * F3 マイナンバーカード電子委任状更新, and the gate before it:
 * マイナンバーカード電子委任状失効画面 (/mandate/expired, [電子委任状更新] reads the card with its
 * signing PIN) → マイナンバーカード電子委任状取得依頼画面 (/mandate/renewal/request, [取得依頼])
 * → マイナンバーカード電子委任状確認画面 (/mandate/renewal/confirm, [電子委任状更新])
 * → マイナンバーカード電子委任状更新完了画面 (/mandate/renewal/complete/:id).
 * A My Number agent whose mandate is not in force reaches nothing else (mandateGate).
 */

import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { MandateProblem } from '../core/domain/mandates.ts'
import { formatDateJa } from '../core/lib/format.ts'
import type {
  MandateCardReadError,
  MandateRequestFields,
} from '../core/use-cases/mandate-renewal/mandate-renewal.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import { type CardMessage, cardReadForms, cardReadRefusalMessage, postOwnCardRead } from './card-read.ts'
import { DraftForm, errorSummary, postForm, selectField, textField, validForm } from './forms.ts'
import { mandateFacts, myNumberAgentsOnly, NOT_A_MY_NUMBER_AGENT } from './my-number-agent.ts'
import { html, type Page, render as renderPage } from './render.ts'
import { type AppEnv, signedIn, toWholePage } from './session.ts'
import { flowSteps } from './steps.ts'
import { syncStatus, syncStatusAnswer } from './sync-status.ts'

const EXPIRED_TITLE = 'マイナンバーカード電子委任状失効画面'
const REQUEST_TITLE = 'マイナンバーカード電子委任状取得依頼画面'
const CONFIRM_TITLE = 'マイナンバーカード電子委任状確認画面'
const COMPLETE_TITLE = 'マイナンバーカード電子委任状更新完了画面'
/** The same screen reached before the mandate lapses (not in the manual, which reaches it only after). */
const EARLY_RENEWAL_TITLE = 'マイナンバーカード電子委任状更新'

/** F3's screens as steps: 失効 → 取得依頼 → 確認 → 完了. */
const stepOf = flowSteps([
  ['失効', [EXPIRED_TITLE, EARLY_RENEWAL_TITLE]],
  ['取得依頼', [REQUEST_TITLE]],
  ['確認', [CONFIRM_TITLE]],
  ['完了', [COMPLETE_TITLE]],
])
const render = (c: Parameters<typeof renderPage>[0], page: Page) =>
  renderPage(c, { ...page, steps: stepOf(page.title) })

/** Where a My Number agent whose mandate is not in force may still go: the ways out, and the plumbing. */
const OPEN_PREFIXES_WHILE_GATED = ['/mandate/', '/card-read/', '/assets/', '/dev/']
const OPEN_PATHS_WHILE_GATED = ['/sign-out', '/llms.txt', '/view', '/health', '/favicon.ico']
const openWhileGated = (path: string) =>
  OPEN_PATHS_WHILE_GATED.includes(path) || OPEN_PREFIXES_WHILE_GATED.some((prefix) => path.startsWith(prefix))

/** Sends a My Number agent whose mandate is not in force to マイナンバーカード電子委任状失効画面, from anywhere else. */
export const mandateGate =
  (gateApplies: UseCases['mandateRenewal']['gateApplies']): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const user = c.get('user')
    if (!user || openWhileGated(c.req.path)) return next()
    if (!(await gateApplies(user))) return next()
    // htmx would swap the screen into a fragment's place: the whole page goes there instead.
    return toWholePage(c, '/mandate/expired')
  }

const problemMessage = (p: MandateProblem): string => {
  switch (p.kind) {
    case 'other-delegator':
      return `委任者が異なります。この電子委任状の委任者は${p.presented}で、${p.expected}ではありません。`
    case 'other-delegate':
      return `受任者が異なります。この電子委任状の受任者は「${p.presented}」で、ログインしている「${p.expected}」さんではありません。`
    case 'not-yet-valid':
      return `この電子委任状はまだ有効になっていません（${formatDateJa(p.validFrom)}から有効）。`
    case 'expired':
      return `この電子委任状は有効期限が切れています（${formatDateJa(p.validTo)}まで）。`
    case 'no-procurement-authority':
      return `代理権に「政府電子調達手続」が含まれていません（含まれている代理権: ${p.authorities.join('、') || 'なし'}）。`
  }
}

const renewalMessage = (e: MandateCardReadError): CardMessage => {
  switch (e.kind) {
    case 'too-many-attempts':
    case 'challenge-missing':
    case 'card':
    case 'file':
    case 'certificate':
      return cardReadRefusalMessage(e)
    case 'not-signing-certificate':
      return {
        field: 'cardId',
        text: 'マイナンバーカードの署名用電子証明書を読み込めませんでした。ご自分のマイナンバーカードを選び、署名用電子証明書のパスワード（英大文字と数字の6〜16文字）を入力してください。',
      }
    case 'not-your-card':
      return {
        field: 'cardId',
        text: 'このマイナンバーカードは、ログインしている利用者に登録されたものではありません。ご自分のマイナンバーカードを読み込んでください。カードを新しくした場合は、先に電子証明書更新を行ってください。',
      }
    case 'forbidden':
      return { text: NOT_A_MY_NUMBER_AGENT }
  }
}

const startAgain = (title: string): Page => ({
  title,
  status: 409,
  body: html`<p>この画面は、マイナンバーカードを読み込んだ後に使います。電子委任状失効画面から始めてください。</p><p><a href="/mandate/expired">電子委任状失効画面へ</a></p>`,
})

const RequestForm = z.object({
  providerId: z.string().catch(''),
  corporateNumber: z.string().catch(''),
  referenceNumber: z.string().catch(''),
})
const REQUEST_LABELS = {
  providerId: '電子委任状取扱事業者',
  corporateNumber: '法人番号（委任者）',
  referenceNumber: '受付番号',
}

export const mandateRenewalRoutes = (useCases: Pick<UseCases, 'mandateRenewal' | 'cards' | 'sessions'>) => {
  const app = new Hono<AppEnv>()
  const { challenge, inReach } = useCases.cards
  const {
    readCard,
    request,
    review,
    complete,
    view,
    cardReadStands,
    standing,
    providerChoices,
    requestDefaults,
  } = useCases.mandateRenewal

  app.use('/mandate/*', myNumberAgentsOnly)

  /** The screen's name: the manual's 失効画面 once the mandate is not in force; before, the renewal it offers. */
  const titleFor = async (c: Context<AppEnv>) =>
    (await standing(signedIn(c).user)).lapsed ? EXPIRED_TITLE : EARLY_RENEWAL_TITLE

  const expiredPage = async (c: Context<AppEnv>, state: { cardId?: string; message?: CardMessage } = {}) => {
    const { session, user } = signedIn(c)
    const { mandate, lapsed } = await standing(user)
    const inForce = mandate && !lapsed
    return html`<div class="notice" role="status"><p>${
      !mandate
        ? '電子委任状が登録されていません。政府電子調達システムでの手続きを続けるには、電子委任状を更新してください。'
        : inForce
          ? `登録されている電子委任状（受付番号 ${mandate.referenceNumber}）の有効期限は${formatDateJa(mandate.validTo)}です。有効期限が切れる前に、新しい電子委任状に更新できます。`
          : `登録されている電子委任状（受付番号 ${mandate.referenceNumber}）は、${formatDateJa(mandate.validTo)}に有効期限が切れました。政府電子調達システムでの手続きを続けるには、電子委任状を更新してください。`
    }</p></div>
<section>
<h2>電子委任状を更新する</h2>
<p>電子委任状取扱事業者から新しい電子委任状を取得して、登録済みの電子委任状と置き換えます。まず、ご自分のマイナンバーカードを選び、署名用電子証明書のパスワードを入力して［電子委任状更新］を押してください。</p>
${cardReadForms({
  action: '/mandate/expired',
  csrfToken: session.csrfToken,
  cardsInReach: inReach,
  use: 'my-number-signing',
  state,
  button: '電子委任状更新',
  fileHeading: '',
  fileButton: '',
  onlyCards: true,
})}
</section>
<section>
<h2>代理人情報を削除する</h2>
<p>電子委任状を更新せず、この代理人の利用者情報（電子証明書情報と電子委任状情報を含む）を調達ポータルから削除します。削除した利用者情報は元に戻せません。次の画面でマイナンバーカードを利用者証明用電子証明書のパスワード（数字4桁）で読み込み、削除する内容を確認してから削除します。</p>
<form method="get" action="/mandate/deletion"><button type="submit" class="button-secondary">代理人情報削除</button></form>
</section>`
  }

  // Also before the mandate lapses, from the menu or a reminder: renewing early keeps the agent going.
  app.get('/mandate/expired', async (c) => {
    await challenge(signedIn(c).session.id)
    return render(c, { title: await titleFor(c), body: expiredPage(c) })
  })

  app.post('/mandate/expired', (c) =>
    postOwnCardRead(c, {
      read: readCard,
      next: '/mandate/renewal/request',
      sessions: useCases.sessions,
      challenge,
      message: renewalMessage,
      again: async (state, status) =>
        render(c, { title: await titleFor(c), hasErrors: true, status, body: expiredPage(c, state) }),
    }),
  )

  const requestPage = (
    csrfToken: string,
    values: MandateRequestFields,
    errors: Partial<Record<keyof MandateRequestFields, string>> = {},
    message?: string,
  ) => html`<p>電子委任状取扱事業者に、電子委任状の情報の再取得を依頼します。電子委任状を取得した事業者を選び、委任者（事業者）の法人番号と、電子委任状の受付番号を入力して［取得依頼］を押してください。</p>
${errorSummary(errors, REQUEST_LABELS, message)}
${postForm(
  '/mandate/renewal/request',
  csrfToken,
  html`${selectField({
    name: 'providerId',
    label: REQUEST_LABELS.providerId,
    value: values.providerId,
    error: errors.providerId,
    options: providerChoices().map((p) => ({ value: p.id, text: p.name })),
  })}
  ${textField({ name: 'corporateNumber', label: REQUEST_LABELS.corporateNumber, value: values.corporateNumber, error: errors.corporateNumber, hint: '13桁の数字' })}
  ${textField({ name: 'referenceNumber', label: REQUEST_LABELS.referenceNumber, value: values.referenceNumber, error: errors.referenceNumber, hint: '電子委任状取扱事業者から通知された受付番号（例: POA-2026-0001）' })}
  <button type="submit">取得依頼</button>`,
)}`

  app.get('/mandate/renewal/request', async (c) => {
    const { session, user } = signedIn(c)
    if (!(await cardReadStands(session.id))) return render(c, startAgain(REQUEST_TITLE))
    const values = await requestDefaults(user)
    return render(c, { title: REQUEST_TITLE, body: requestPage(session.csrfToken, values) })
  })

  app.post('/mandate/renewal/request', validForm(RequestForm), async (c) => {
    const { session, user } = signedIn(c)
    const values = c.req.valid('form')
    const result = await request({
      sessionId: session.id,
      userId: user.id,
      clientAddress: c.get('clientAddress'),
      ...values,
    })
    if (result.ok) return c.redirect('/mandate/renewal/confirm', 303)
    const refuse = (
      status: 422 | 502 | 503,
      errors: Partial<Record<keyof MandateRequestFields, string>>,
      message?: string,
    ) =>
      render(c, {
        title: REQUEST_TITLE,
        hasErrors: true,
        status,
        body: requestPage(session.csrfToken, values, errors, message),
      })
    switch (result.error.kind) {
      case 'invalid-request':
        return refuse(422, result.error.errors)
      case 'mandate-not-found':
        return refuse(422, {
          referenceNumber:
            'この受付番号の電子委任状は、選んだ電子委任状取扱事業者にありませんでした。事業者と受付番号をお確かめください。',
        })
      case 'provider-unavailable':
        return refuse(
          503,
          {},
          '電子委任状取扱事業者にいま接続できませんでした。登録内容は変更していません。しばらくしてから、もう一度［取得依頼］を押してください。',
        )
      case 'provider-refused':
        return refuse(
          502,
          {},
          '電子委任状取扱事業者が依頼を受け付けませんでした。登録内容は変更していません。事業者にお問い合わせください。',
        )
      case 'forbidden':
      case 'card-not-read':
        return render(c, startAgain(REQUEST_TITLE))
    }
    // Every kind is answered above: a new one does not compile until it is.
    return result.error satisfies never
  })

  app.get('/mandate/renewal/confirm', async (c) => {
    const { session, user } = signedIn(c)
    const reviewed = await review({ sessionId: session.id, userId: user.id })
    if (!reviewed.ok) return render(c, startAgain(CONFIRM_TITLE))
    const { mandate, problems, draftId } = reviewed.value
    const problemList = problems.map(problemMessage)
    return render(c, {
      title: CONFIRM_TITLE,
      body: html`${
        problemList.length > 0
          ? html`<div class="error-summary" id="error-summary" role="alert" tabindex="-1"><h2>この電子委任状では更新できません</h2><ul>${problemList.map((p) => html`<li>${p}</li>`)}</ul><p><a href="/mandate/renewal/request">取得依頼画面に戻る</a></p></div>`
          : html`<p>取得した電子委任状の内容を確認し、［電子委任状更新］を押してください。登録済みの電子委任状と置き換えます。</p>`
      }
${mandateFacts(mandate)}
${
  problemList.length > 0
    ? ''
    : postForm(
        '/mandate/renewal/confirm',
        session.csrfToken,
        html`<input type="hidden" name="draftId" value="${draftId}"><button type="submit">電子委任状更新</button>`,
      )
}`,
    })
  })

  app.post('/mandate/renewal/confirm', validForm(DraftForm), async (c) => {
    const { session, user } = signedIn(c)
    const { draftId } = c.req.valid('form')
    const result = await complete({
      sessionId: session.id,
      userId: user.id,
      draftId,
      clientAddress: c.get('clientAddress'),
    })
    if (result.ok) return c.redirect(`/mandate/renewal/complete/${result.value.changeId}`, 303)
    switch (result.error.kind) {
      case 'mandate-problems':
        return render(c, {
          title: CONFIRM_TITLE,
          hasErrors: true,
          status: 422,
          body: html`<div class="error-summary" id="error-summary" role="alert" tabindex="-1"><h2>この電子委任状では更新できません</h2><ul>${result.error.problems.map((p) => html`<li>${problemMessage(p)}</li>`)}</ul></div>
<p>登録内容は変更していません。<a href="/mandate/renewal/request">取得依頼画面に戻る</a></p>`,
        })
      case 'draft-replaced':
        return render(c, {
          title: CONFIRM_TITLE,
          status: 409,
          body: html`<p>この確認画面の後に、別の画面で電子委任状の取得依頼がやり直されたため、更新しませんでした。登録内容は変更していません。</p><p><a href="/mandate/renewal/confirm">最新の確認画面を開く</a></p>`,
        })
      case 'forbidden':
      case 'card-not-read':
        return render(c, startAgain(CONFIRM_TITLE))
    }
    // Every kind is answered above: a new one does not compile until it is.
    return result.error satisfies never
  })

  app.get('/mandate/renewal/complete/:changeId', async (c) => {
    const { session } = signedIn(c)
    const change = await view({ sessionId: session.id, changeId: c.req.param('changeId') })
    if (!change)
      return render(c, {
        title: COMPLETE_TITLE,
        status: 404,
        body: html`<p>この更新は見つかりませんでした。</p>`,
      })
    const urls = {
      poll: `/mandate/renewal/complete/${change.id}/sync`,
      reload: `/mandate/renewal/complete/${change.id}`,
    }
    return render(c, {
      title: COMPLETE_TITLE,
      body: html`<p class="notice-success">マイナンバーカード電子委任状の更新が完了しました。</p>
<p>登録されたメールアドレスに「[重要]電子委任状更新完了通知」を送信します。</p>
<p>受付番号: ${change.receiptNumber}</p>
${syncStatus(change, urls)}
<p><a href="/menu">メニューへ</a></p>`,
    })
  })

  app.get('/mandate/renewal/complete/:changeId/sync', async (c) => {
    const { session } = signedIn(c)
    const changeId = c.req.param('changeId')
    const change = await view({ sessionId: session.id, changeId })
    return syncStatusAnswer(c, change, `/mandate/renewal/complete/${changeId}`)
  })

  return app
}
