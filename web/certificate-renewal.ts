/**
 * F2 電子証明書更新, without signing in:
 * 更新する電子証明書の種別選択画面 (/renewal) → 更新する電子証明書の読み込み画面 (/renewal/new)
 * → 電子証明書の更新確認画面 (/renewal/confirm) → 電子証明書更新完了画面 (/renewal/complete/:id).
 * Each card read answers a challenge issued with its page, bound to the (anonymous) session.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { CertificateUse } from '../core/domain/certificates.ts'
import { formatDateJa } from '../core/lib/format.ts'
import { ok, type Result } from '../core/lib/result.ts'
import type { RenewalError } from '../core/use-cases/certificate-renewal/certificate-renewal.ts'
import type { CardInput } from '../core/use-cases/shared/card-proof.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import {
  type CardMessage,
  type CardUse,
  cardReadForms,
  cardReadRefusalMessage,
  postCardRead,
  refusalStatus,
} from './card-read.ts'
import { certificateFacts } from './certificate-view.ts'
import { DraftForm, postForm, readOnlyRows, validForm } from './forms.ts'
import { type Html, html, type Page, raw, render as renderPage } from './render.ts'
import { type AppEnv, afterCardRead, ensureSession, type SessionDeps } from './session.ts'
import { flowSteps } from './steps.ts'
import { syncStatus, syncStatusAnswer } from './sync-status.ts'

const CHOICE_TITLE = '更新する電子証明書の種別選択画面'
const READ_TITLE = '更新する電子証明書の読み込み画面'
const CONFIRM_TITLE = '電子証明書の更新確認画面'
const COMPLETE_TITLE = '電子証明書更新完了画面'

/** F2's screens as steps: 種別選択 → 読込 → 確認 → 完了. */
const stepOf = flowSteps([
  ['種別選択', [CHOICE_TITLE]],
  ['読込', [READ_TITLE]],
  ['確認', [CONFIRM_TITLE]],
  ['完了', [COMPLETE_TITLE]],
])
const render = (c: Parameters<typeof renderPage>[0], page: Page) =>
  renderPage(c, { ...page, steps: stepOf(page.title) })

const CardForm = z.object({ cardId: z.string().catch(''), pin: z.string().catch('') })
const ChoiceForm = CardForm.extend({
  kind: z.enum(['private', 'my-number']).catch('private'),
  consent: z
    .string()
    .optional()
    .transform((v) => v === 'yes')
    .catch(false),
})
type Choice = z.infer<typeof ChoiceForm>

const renewalMessage = (e: RenewalError): CardMessage => {
  switch (e.kind) {
    case 'certificate':
      // Inside F2, an expired certificate is a new one that will not do.
      if (e.error.kind === 'expired') {
        return {
          field: 'cardId',
          text: `この電子証明書は有効期限が切れています（${formatDateJa(e.error.notAfter)}まで）。更新先には、有効期間内の新しい電子証明書を読み込んでください。`,
        }
      }
      return cardReadRefusalMessage(e)
    case 'too-many-attempts':
    case 'challenge-missing':
    case 'card':
    case 'file':
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
    case 'consent-missing':
      return {
        field: 'consent',
        text: 'マイナンバーカードで更新するには、旧マイナンバーカード情報を公的個人認証サービスより取得することへの同意が必要です。同意する場合はチェックを入れてください。',
      }
    case 'not-my-number':
      return {
        field: 'cardId',
        text: 'マイナンバーカードの署名用電子証明書を読み込めませんでした。電子証明書種別で「マイナンバーカード」を選んだときは、更新後のマイナンバーカードを選び、署名用電子証明書のPIN（英大文字と数字の6〜16文字）を入力してください。民間電子証明書の場合は「民間電子証明書」を選んでください。',
      }
    case 'my-number-needs-reader':
      return {
        field: 'cardId',
        text: 'マイナンバーカードでの更新は、カードリーダでマイナンバーカードを読み込んで行います。ファイルやカードヘルパーでは行えません。',
      }
    case 'choose-my-number':
      return {
        field: 'cardId',
        text: 'これはマイナンバーカードの電子証明書です。マイナンバーカードで更新する場合は、電子証明書種別で「マイナンバーカード」を選び、更新後のマイナンバーカードを読み込んでください。',
      }
    case 'no-previous-certificate':
      return {
        field: 'cardId',
        text: '公的個人認証サービスに、このマイナンバーカードの更新前の電子証明書が見つかりませんでした。更新後の新しいマイナンバーカードを読み込んでください。マイナンバーカードで新しく代理人になる場合は、電子証明書更新ではなく利用者登録を行ってください。',
      }
    case 'previous-not-registered':
      return {
        field: 'cardId',
        text: 'このマイナンバーカードの更新前の電子証明書は、調達ポータルに登録されていません。マイナンバーカードで新しく代理人になる場合は、電子証明書更新ではなく利用者登録を行ってください。',
      }
    case 'linked-to-two-users':
      return {
        text: '更新前の電子証明書が、調達ポータルの別々の利用者に登録されています。このままでは更新できません。登録内容は変更していませんので、ヘルプデスクにご連絡ください。',
      }
    case 'jpki-unavailable':
      return {
        text: '公的個人認証サービスにいま接続できませんでした。登録内容は変更していません。しばらくしてから、もう一度［読込］を押してください。',
      }
    case 'jpki-refused':
      return {
        text: '公的個人認証サービスが照会を受け付けませんでした。登録内容は変更していません。時間をおいても同じ場合は、ヘルプデスクにご連絡ください。',
      }
  }
}

/** Which of a My Number card's two certificates this is; nothing for a private one. */
const whichCertificate = (use: CertificateUse) =>
  use === 'my-number-signing'
    ? '（署名用電子証明書）'
    : use === 'my-number-user-authentication'
      ? '（利用者証明用電子証明書）'
      : ''

/** Where a successful read goes on to. */
const goTo = (next: string, read: Result<void, RenewalError>): Result<string, RenewalError> =>
  read.ok ? ok(next) : read

const startAgain = (error: RenewalError, title = CONFIRM_TITLE): Page => ({
  title,
  status: 409,
  body: html`<p>${renewalMessage(error).text}</p><p>更新は行っていません。</p><p><a href="/renewal">電子証明書更新の最初の画面へ</a></p>`,
})

type ReadState = { cardId?: string; message?: CardMessage; choice?: Choice }

/** A card-read page: what it is for, the card and its PIN or a certificate file, and [読込]. */
const readPage = (
  cardsInReach: UseCases['cards']['inReach'],
  step: { path: string; intro: Html; use: CardUse; myNumber?: boolean },
  csrfToken: string,
  state: ReadState = {},
) => {
  const errors: Record<string, string> = state.message?.field
    ? { [state.message.field]: state.message.text }
    : {}
  return html`${step.intro}
${cardReadForms({
  action: step.path,
  csrfToken,
  cardsInReach,
  use: step.use,
  state,
  button: '読込',
  fileHeading: 'ファイルタイプの電子証明書の場合',
  fileButton: 'ファイルを読込',
  before: step.myNumber ? kindField(state) : undefined,
  after: step.myNumber ? consentField(errors, state.choice) : undefined,
  withoutReader: step.myNumber
    ? html`<p class="notice">マイナンバーカードでの更新は、カードリーダでマイナンバーカードを読み込んで行いますが、このサーバではいまカードを読み込めません。民間電子証明書（ファイルタイプ）の更新は、下のファイルの読込から行えます。ICカードの場合は、カードヘルパーをお使いください。</p>`
    : undefined,
})}`
}

/** 電子証明書種別: 民間電子証明書 or マイナンバーカード. */
const kindField = (state: ReadState) => {
  const myNumber = state.choice?.kind === 'my-number'
  return html`<fieldset class="field">
  <legend>電子証明書種別</legend>
  <span class="choice"><input type="radio" id="kind-private" name="kind" value="private"${myNumber ? '' : ' checked'}> <label for="kind-private">民間電子証明書（ICカード・ファイルタイプ）</label></span>
  <span class="choice"><input type="radio" id="kind-my-number" name="kind" value="my-number"${myNumber ? ' checked' : ''}> <label for="kind-my-number">マイナンバーカード</label></span>
</fieldset>`
}

/** The explicit consent to the JPKI look-up that a My Number renewal needs (the manual's wording). */
const consentField = (errors: Record<string, string>, choice: Choice | undefined) => html`<div class="field${
  errors.consent ? ' field-invalid' : ''
}">
  <p class="hint" id="field-consent-hint">マイナンバーカードを選択した場合、旧マイナンバーカード情報を公的個人認証サービスより取得し、更新を行います。同意する場合は、チェックを入れてから［読込］を押してください。民間電子証明書の場合は不要です。</p>
  ${errors.consent ? html`<p class="field-error" id="field-consent-error">${errors.consent}</p>` : ''}
  <span class="choice"><input type="checkbox" id="field-consent" name="consent" value="yes"${
    choice?.consent ? ' checked' : ''
  } aria-describedby="field-consent-hint${errors.consent ? ' field-consent-error' : ''}"${
    errors.consent ? raw(' aria-invalid="true"') : ''
  }> <label for="field-consent">旧マイナンバーカード情報を公的個人認証サービスより取得することに同意する（マイナンバーカードの場合）</label></span>
</div>`

const CHOICE_INTRO = html`<p>電子証明書の有効期限切れなどでログインできなくなった場合に、登録済みの電子証明書を新しい電子証明書に更新します。ログインは必要ありません。</p>
<p>新しい代理人を登録する場合は、電子証明書更新ではなく利用者登録を行ってください。</p>
<p><strong>民間電子証明書の場合は、必ず本システムに登録済みの電子証明書を選択してください。</strong>マイナンバーカードの場合は、更新後の新しいマイナンバーカードを選び、署名用電子証明書のPINを入力してください（更新前の電子証明書は公的個人認証サービスから取得するため、次の読み込み画面はありません）。</p>`

const READ_INTRO = html`<p>更新先の新しい電子証明書のカードを選び、PINを入力して［読込］を押してください。登録済みの電子証明書と同じ名義・同じ事業者の、有効な電子証明書が必要です。</p>`

export const certificateRenewalRoutes = (
  useCases: Pick<UseCases, 'certificateRenewal' | 'cards'>,
  deps: SessionDeps,
) => {
  const app = new Hono<AppEnv>()
  const { challenge, inReach } = useCases.cards
  const {
    readRegistered: readOld,
    readNew,
    review,
    complete,
    view,
    progress,
    readRenewedMyNumberCard: readMyNumber,
  } = useCases.certificateRenewal

  /**
   * One card-read step: its page, and its [読込], which goes on to the next screen the read names,
   * or shows the refusal next to its field with what was chosen kept (never the PIN).
   */
  const cardStep = (
    step: Parameters<typeof readPage>[1] & { title: string },
    read: (
      form: Choice,
      input: CardInput,
      sessionId: string,
      clientAddress?: string,
    ) => Promise<Result<string, RenewalError>>,
  ) => {
    app.get(step.path, async (c) => {
      const session = await ensureSession(c, deps)
      if (step.path === '/renewal/new') {
        // The second read follows the first: opened on its own, it says where to begin.
        const now = await progress(session.id)
        if (now.step === 'completed') return c.redirect(`/renewal/complete/${now.changeId}`, 303)
        if (now.step === 'none') {
          return render(c, {
            title: step.title,
            status: 409,
            body: html`<p>この画面は、登録済みの電子証明書を読み込んだ後に使います。電子証明書更新の最初の画面から始めてください。</p><p><a href="/renewal">電子証明書更新の最初の画面へ</a></p>`,
          })
        }
      }
      await challenge(session.id)
      return render(c, { title: step.title, body: readPage(inReach, step, session.csrfToken) })
    })
    app.post(step.path, async (c) => {
      const session = await ensureSession(c, deps)
      const body = await c.req.parseBody()
      const form = ChoiceForm.parse(body)
      return postCardRead(c, body, {
        sessionId: session.id,
        challenge,
        read: (input) => read(form, input, session.id, c.get('clientAddress')),
        onRead: (next) => afterCardRead(c, deps.sessions, session, next),
        refusal: (error) =>
          error.kind === 'no-draft'
            ? { page: startAgain(error, step.title) }
            : {
                message: renewalMessage(error),
                // An outside service that is down or refuses is not the user's error: 503 or 502,
                // and nothing was changed.
                status:
                  error.kind === 'jpki-unavailable'
                    ? 503
                    : error.kind === 'jpki-refused'
                      ? 502
                      : refusalStatus(error),
              },
        again: (state, status) =>
          render(c, {
            title: step.title,
            hasErrors: true,
            status,
            body: readPage(inReach, step, session.csrfToken, { ...state, cardId: form.cardId, choice: form }),
          }),
      })
    })
  }
  cardStep(
    { path: '/renewal', title: CHOICE_TITLE, intro: CHOICE_INTRO, use: 'signing', myNumber: true },
    async (form, input, sessionId, clientAddress) =>
      form.kind === 'my-number'
        ? // Both certificates are known now: screen 2 is skipped.
          goTo(
            '/renewal/confirm',
            await readMyNumber({ sessionId, input, consent: form.consent, clientAddress }),
          )
        : goTo('/renewal/new', await readOld({ sessionId, input, clientAddress })),
  )
  cardStep(
    { path: '/renewal/new', title: READ_TITLE, intro: READ_INTRO, use: 'private' },
    async (_form, input, sessionId, clientAddress) =>
      goTo('/renewal/confirm', await readNew({ sessionId, input, clientAddress })),
  )

  // Opened again after [更新実行] (Back, a bookmark): the renewal is done; show it as done.
  app.get('/renewal/confirm', async (c) => {
    const session = await ensureSession(c, deps)
    const now = await progress(session.id)
    if (now.step === 'completed') return c.redirect(`/renewal/complete/${now.changeId}`, 303)
    const reviewed = await review(session.id)
    if (!reviewed.ok) return render(c, startAgain(reviewed.error))
    const { old, new: fresh, user, business, draftId } = reviewed.value
    return render(c, {
      title: CONFIRM_TITLE,
      body: html`<p>更新先電子証明書情報に誤りが無いか確認し、［更新実行］を押してください。更新元の電子証明書は登録から外れ、以後は更新先の電子証明書でログインします。</p>
${old.map((c) => certificateFacts(`更新元電子証明書情報${whichCertificate(c.use)}`, c))}
${fresh.map((c) => certificateFacts(`更新先電子証明書情報${whichCertificate(c.use)}`, c))}
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

  app.post('/renewal/confirm', validForm(DraftForm), async (c) => {
    const session = await ensureSession(c, deps)
    const { draftId } = c.req.valid('form')
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
<p>受付番号: ${change.receiptNumber}</p>
${syncStatus(change, urls)}
<p><a href="/sign-in">ログイン画面へ</a></p>`,
    })
  })

  app.get('/renewal/complete/:changeId/sync', async (c) => {
    const session = await ensureSession(c, deps)
    const changeId = c.req.param('changeId')
    const change = await view({ sessionId: session.id, changeId })
    return syncStatusAnswer(c, change, `/renewal/complete/${changeId}`)
  })

  return app
}
