/**
 * F1 利用者情報更新, the signed-in user's own information:
 * 更新する利用者情報の入力画面 → 利用者情報の更新確認画面 → 利用者情報の更新完了画面.
 * The representative's input screen has the business's section (利用者基本情報(事業者情報)) before
 * the user's; an agent's has only the fields an agent may change.
 * POST /user/edit checks the input and keeps it as a draft, then redirects to the confirm screen;
 * POST /user/confirm commits it and redirects to the completion screen, which a reload only shows again.
 */
import { type Context, Hono } from 'hono'
import { businessFieldsOf, isMyNumberAgent, userFieldsOf } from '../../core/domain/account.ts'
import type { BusinessFieldErrors, UserFieldErrors } from '../../core/domain/account-rules.ts'
import {
  applyStaged,
  type QualificationFieldErrors,
  type QualificationInput,
} from '../../core/domain/qualifications.ts'
import { ok, type Result } from '../../core/lib/result.ts'
import type { CardInput } from '../../core/use-cases/shared/card-proof.ts'
import type { UseCases } from '../../core/use-cases/use-cases.ts'
import { certificatesAfter } from '../../core/use-cases/user-update/staging.ts'
import type { UserUpdateError } from '../../core/use-cases/user-update/user-update.ts'
import { postCardRead, refusalStatus } from '../card-read.ts'
import { certificateTable } from '../certificate-view.ts'
import { DraftForm, postForm, validForm } from '../forms.ts'
import { html, type Page, render as renderPage } from '../render.ts'
import { type AppEnv, afterCardRead, signedIn, toSignIn } from '../session.ts'
import { flowSteps } from '../steps.ts'
import { syncStatus, syncStatusAnswer } from '../sync-status.ts'
import {
  CERTIFICATE_REMOVAL_REFUSALS,
  CERTIFICATES_FORBIDDEN,
  certificateRefusalMessage,
  errorPage,
} from './error-pages.ts'
import { EditForm, type FormValues, formValuesOf } from './fields.ts'
import {
  ADD_SCREEN,
  businessRows,
  CERTIFICATE_CHOICE_TITLE,
  type CertificateReadScreen,
  COMPLETE_TITLE,
  CONFIRM_TITLE,
  certificateReadPage,
  comparisonTable,
  INPUT_TITLES,
  inputForm,
  inputTitle,
  MY_NUMBER_NOT_ADDED,
  qualificationChangeTable,
  REMOVAL_READ_TITLE,
  removalScreen,
  userRows,
} from './views.ts'

/** F1's screens as steps: 入力 (with its card reads) → 確認 → 完了. */
const stepOf = flowSteps([
  ['入力', [...INPUT_TITLES, CERTIFICATE_CHOICE_TITLE, REMOVAL_READ_TITLE]],
  ['確認', [CONFIRM_TITLE]],
  ['完了', [COMPLETE_TITLE]],
])
const render = (c: Parameters<typeof renderPage>[0], page: Page) =>
  renderPage(c, { ...page, steps: stepOf(page.title) })

const CONFIRMED_NOT_COMMITTED = html`<div class="notice" role="status"><p>確認画面まで進んだ、まだ更新していない入力内容を表示しています。このまま［確認］に進むか、<a href="/user/edit?fresh=1">登録されている内容から入力し直す</a>ことができます。</p></div>`

export const userUpdateRoutes = (useCases: Pick<UseCases, 'userUpdate' | 'cards' | 'sessions'>) => {
  const app = new Hono<AppEnv>()
  const {
    inputScreen,
    keepTyped,
    discardStaging,
    stageQualification,
    unstageQualification,
    qualificationPeriods,
    stageCertificate,
    requestCertificateRemoval,
    certificateToRemove,
    stageCertificateRemoval,
    prepare,
    review,
    complete,
    viewChange,
  } = useCases.userUpdate
  const { challenge, inReach } = useCases.cards

  // Every route here needs a signed-in user.
  app.use('/user/*', async (c, next) => {
    if (!c.get('user') || !c.get('session')) return toSignIn(c)
    await next()
  })

  /** The input screen, with what the user typed and the staged qualifications; `status` 422 after a refusal. */
  const renderInput = async (
    c: Context<AppEnv>,
    state: {
      values?: FormValues
      userErrors?: UserFieldErrors
      businessErrors?: BusinessFieldErrors
      qualificationValues?: QualificationInput
      qualificationErrors?: QualificationFieldErrors
      certificateError?: string
      message?: string
      /** GET: the values of a draft confirmed but not committed come back, with a notice saying so. */
      showConfirmed?: boolean
    } = {},
  ) => {
    const { session, user } = signedIn(c)
    const screen = await inputScreen(session.id, user.id)
    if (!screen.ok) return render(c, errorPage(screen.error))
    const { overview, staging, confirmed } = screen.value
    const { business, certificates, qualifications } = overview
    const registeredBusiness = user.role === 'representative' ? businessFieldsOf(business) : undefined
    const backFromConfirm = state.showConfirmed ? confirmed : undefined
    const refused =
      Object.keys(state.userErrors ?? {}).length +
        Object.keys(state.businessErrors ?? {}).length +
        Object.keys(state.qualificationErrors ?? {}).length >
        0 ||
      state.message !== undefined ||
      state.certificateError !== undefined
    const canChangeCertificates = !isMyNumberAgent(user)
    return render(c, {
      title: inputTitle(user),
      hasErrors: refused,
      status: refused ? 422 : 200,
      body: html`${backFromConfirm ? CONFIRMED_NOT_COMMITTED : ''}${inputForm({
        user,
        business,
        certificates,
        values:
          state.values ??
          (backFromConfirm &&
            formValuesOf(backFromConfirm.user, backFromConfirm.business ?? registeredBusiness)) ??
          staging.typed ??
          formValuesOf(userFieldsOf(user), registeredBusiness),
        userErrors: state.userErrors ?? {},
        businessErrors: state.businessErrors ?? {},
        message: state.message,
        csrfToken: session.csrfToken,
        qualifications: {
          list: applyStaged(qualifications, staging.qualifications),
          staged: new Set(staging.qualifications.added.map((q) => q.id)),
        },
        certificateEditing: canChangeCertificates
          ? {
              list: certificatesAfter(certificates, staging.certificates),
              staged: new Set(staging.certificates.added.map((c) => c.id)),
            }
          : undefined,
        certificateError: state.certificateError,
        // What was typed before the card read comes back with the page, not after a post of its own.
        qualificationValues:
          state.qualificationValues ?? (state.values ? undefined : staging.typedQualification),
        qualificationErrors: state.qualificationErrors,
        periods: qualificationPeriods(),
      })}`,
    })
  }

  app.get('/user/edit', async (c) => {
    const { session } = signedIn(c)
    // What the user confirmed but has not yet committed comes back (the browser's Back button, the
    // 入力画面に戻る link, a return later in the session), unless they ask for the registered values.
    if (c.req.query('fresh') === '1') await discardStaging(session.id)
    return renderInput(c, { showConfirmed: true })
  })

  /**
   * The input screen's one form: [確認], or [追加] of 資格情報選択, or a [削除] of 資格情報. Every
   * press sends the whole form, so that without JavaScript nothing typed is lost on the way.
   */
  app.post('/user/edit', validForm(EditForm), async (c) => {
    const { session, user } = signedIn(c)
    const { action, input, qualification } = c.req.valid('form')
    const values: FormValues = { user: input.user, business: input.business }
    const typed = { sessionId: session.id, typed: input, typedQualification: qualification }

    switch (action.kind) {
      case 'add-qualification': {
        const staged = await stageQualification({
          sessionId: session.id,
          userId: user.id,
          input: qualification,
        })
        if (staged.ok) return renderInput(c, { values })
        if (staged.error.kind === 'invalid-qualification') {
          return renderInput(c, {
            values,
            qualificationValues: qualification,
            qualificationErrors: staged.error.errors,
          })
        }
        return render(c, errorPage(staged.error))
      }
      case 'add-certificate':
        // The card read is a page of its own: what was typed waits in the session meanwhile.
        await keepTyped(typed)
        return c.redirect('/user/certificates/add', 303)
      case 'remove-certificate': {
        const removed = await requestCertificateRemoval({
          sessionId: session.id,
          userId: user.id,
          certificateId: action.certificateId,
        })
        if (!removed.ok && removed.error.kind === 'card-read-required') {
          // A registered certificate goes only after a card read, a page of its own, as for [追加].
          await keepTyped(typed)
          return c.redirect(`/user/certificates/remove/${removed.error.certificateId}`, 303)
        }
        const certificateError = removed.ok ? undefined : CERTIFICATE_REMOVAL_REFUSALS[removed.error.kind]
        if (certificateError)
          return renderInput(c, { values, qualificationValues: qualification, certificateError })
        if (!removed.ok) return render(c, errorPage(removed.error))
        return renderInput(c, { values, qualificationValues: qualification })
      }
      case 'remove-qualification': {
        const removed = await unstageQualification({
          sessionId: session.id,
          userId: user.id,
          qualificationId: action.qualificationId,
        })
        if (!removed.ok) return render(c, errorPage(removed.error))
        return renderInput(c, { values, qualificationValues: qualification })
      }
      case 'confirm':
        break
    }

    const prepared = await prepare({ sessionId: session.id, userId: user.id, input })
    if (prepared.ok) return c.redirect('/user/confirm', 303)
    if (prepared.error.kind === 'invalid') {
      return renderInput(c, {
        values,
        userErrors: prepared.error.userErrors,
        businessErrors: prepared.error.businessErrors,
        qualificationValues: qualification,
      })
    }
    if (prepared.error.kind === 'invalid-qualification') {
      return renderInput(c, { values, qualificationErrors: prepared.error.errors })
    }
    if (prepared.error.kind === 'nothing-changed') {
      return renderInput(c, {
        values,
        message: '変更された項目がありません。変更する項目を入力してください。',
      })
    }
    return render(c, errorPage(prepared.error))
  })

  /**
   * A card read of 電子証明書情報 ([追加] or [削除]): its screen, and the step that posts to it. A
   * read that succeeds gives the session a new id and returns to the input screen; a refusal
   * shows the screen again with why, beside the form that was sent.
   */
  const certificateReadStep = (
    path: string,
    screenFor: (c: Context<AppEnv>) => Promise<Result<CertificateReadScreen, UserUpdateError>>,
    read: (c: Context<AppEnv>, input: CardInput) => Promise<Result<unknown, UserUpdateError>>,
  ) => {
    const refusalPage = (error: UserUpdateError) =>
      error.kind === 'forbidden' ? CERTIFICATES_FORBIDDEN : errorPage(error)
    app.get(path, async (c) => {
      const { session } = signedIn(c)
      const screen = await screenFor(c)
      if (!screen.ok) return render(c, refusalPage(screen.error))
      await challenge(session.id)
      return render(c, {
        title: screen.value.title,
        body: certificateReadPage(inReach, screen.value, session.csrfToken),
      })
    })
    app.post(path, async (c) => {
      const { session } = signedIn(c)
      const screen = await screenFor(c)
      if (!screen.ok) return render(c, refusalPage(screen.error))
      const body = await c.req.parseBody()
      // マイナンバーカード chosen as the kind to add: refused before any card is read (no PIN is spent).
      if (screen.value.before && body.kind === 'my-number') {
        return render(c, {
          title: screen.value.title,
          hasErrors: true,
          status: 422,
          body: certificateReadPage(inReach, screen.value, session.csrfToken, {
            kind: 'my-number',
            message: { text: MY_NUMBER_NOT_ADDED },
          }),
        })
      }
      return postCardRead(c, body, {
        sessionId: session.id,
        challenge,
        read: (input) => read(c, input),
        onRead: () => afterCardRead(c, useCases.sessions, session, '/user/edit'),
        refusal: (error) =>
          error.kind === 'certificate-refused'
            ? { message: certificateRefusalMessage(error.reason), status: refusalStatus(error.reason) }
            : { page: refusalPage(error) },
        again: (state, status) =>
          render(c, {
            title: screen.value.title,
            hasErrors: true,
            status,
            body: certificateReadPage(inReach, screen.value, session.csrfToken, state),
          }),
      })
    })
  }
  const removalOf = (c: Context<AppEnv>) => {
    const { session, user } = signedIn(c)
    return { sessionId: session.id, userId: user.id, certificateId: c.req.param('certificateId') ?? '' }
  }
  certificateReadStep(
    '/user/certificates/add',
    async () => ok(ADD_SCREEN),
    (c, input) => {
      const { session, user } = signedIn(c)
      return stageCertificate({
        sessionId: session.id,
        userId: user.id,
        input,
        clientAddress: c.get('clientAddress'),
      })
    },
  )
  certificateReadStep(
    '/user/certificates/remove/:certificateId',
    async (c) => {
      const certificate = await certificateToRemove(removalOf(c))
      return certificate.ok ? ok(removalScreen(certificate.value)) : certificate
    },
    (c, input) => stageCertificateRemoval({ ...removalOf(c), input, clientAddress: c.get('clientAddress') }),
  )

  app.get('/user/confirm', async (c) => {
    const { session, user } = signedIn(c)
    const reviewed = await review({ sessionId: session.id, userId: user.id })
    if (!reviewed.ok) return render(c, errorPage(reviewed.error))
    const {
      overview,
      draft,
      userChanges,
      businessChanges,
      qualificationChanges,
      certificateChanges,
      draftId,
    } = reviewed.value
    const qualificationCount = qualificationChanges.added.length + qualificationChanges.removed.length
    const certificateCount = certificateChanges.added.length + certificateChanges.removed.length
    const count = userChanges.length + businessChanges.length + qualificationCount + certificateCount
    return render(c, {
      title: CONFIRM_TITLE,
      body: html`<p>次の内容で利用者情報を更新します。よろしければ［更新］を押してください（${count}項目を変更）。</p>
${
  draft.business
    ? comparisonTable(
        '利用者基本情報(事業者情報)',
        businessRows(businessFieldsOf(overview.business), draft.business),
      )
    : ''
}
${comparisonTable('利用者基本情報(利用者情報)', userRows(userFieldsOf(overview.user), draft.user))}
${qualificationCount > 0 ? qualificationChangeTable(qualificationChanges) : ''}
<section><h2>電子証明書情報</h2>${
        certificateCount > 0
          ? html`${certificateChanges.added.length > 0 ? certificateTable(certificateChanges.added, { caption: '追加する電子証明書' }) : ''}${
              certificateChanges.removed.length > 0
                ? certificateTable(certificateChanges.removed, { caption: '削除する電子証明書' })
                : ''
            }`
          : certificateTable(overview.certificates)
      }</section>
<div class="actions">
  ${postForm(
    '/user/confirm',
    session.csrfToken,
    html`<input type="hidden" name="draftId" value="${draftId}">
    <button type="submit">更新</button>`,
  )}
  <a class="button-secondary" href="/user/edit">入力画面に戻る</a>
</div>`,
    })
  })

  app.post('/user/confirm', validForm(DraftForm), async (c) => {
    const { session, user } = signedIn(c)
    const { draftId } = c.req.valid('form')
    const result = await complete({
      sessionId: session.id,
      draftId,
      userId: user.id,
      clientAddress: c.get('clientAddress'),
    })
    if (!result.ok) return render(c, errorPage(result.error))
    return c.redirect(`/user/complete/${result.value.changeId}`, 303)
  })

  app.get('/user/complete/:changeId', async (c) => {
    const change = await viewChange({ userId: signedIn(c).user.id, changeId: c.req.param('changeId') })
    if (!change)
      return render(c, {
        title: COMPLETE_TITLE,
        status: 404,
        body: html`<p>この更新は見つかりませんでした。</p><p><a href="/menu">メニューへ</a></p>`,
      })
    return render(c, {
      title: COMPLETE_TITLE,
      body: html`<p class="notice-success">利用者情報の更新が完了しました。</p>
<p>登録したメールアドレス（${change.after.email}）に「[重要]利用者更新完了通知」を送信します。</p>
<p>更新した利用者情報は政府電子調達システム(GEPS)に連携されます。連携が完了すると、政府電子調達システム(GEPS)から登録完了のメールが送信されますので、しばらくお待ちください。</p>
<p>受付番号: ${change.receiptNumber}</p>
${syncStatus(change, { poll: `/user/changes/${change.id}/sync`, reload: `/user/complete/${change.id}` })}
<p><a href="/menu">メニューへ戻る</a></p>`,
    })
  })

  app.get('/user/changes/:changeId/sync', async (c) => {
    const changeId = c.req.param('changeId')
    const change = await viewChange({ userId: signedIn(c).user.id, changeId })
    return syncStatusAnswer(c, change, `/user/complete/${changeId}`)
  })

  return app
}
