/**
 * F1 利用者情報更新, the signed-in user's own information:
 * 更新する利用者情報の入力画面 → 利用者情報の更新確認画面 → 利用者情報の更新完了画面.
 * POST /user/edit checks the input and keeps it as a draft, then redirects to the confirm screen;
 * POST /user/confirm commits it and redirects to the completion screen, which a reload only shows again.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { type Certificate, contactOf, FIELD_LABELS, type User, type UserContact } from '../core/account.ts'
import { formatDateJa, formatDateTimeJa } from '../core/format.ts'
import type { SyncState, UserChange } from '../core/ports.ts'
import {
  type ContactInput,
  completeUserUpdate,
  draftContact,
  type FieldErrors,
  loadUserOverview,
  prepareUserUpdate,
  reviewUserUpdate,
  type UserUpdateError,
  type UserUpdatePorts,
  viewOwnChange,
} from '../core/user-update.ts'
import { errorSummary, postForm, readOnlyRows, textField } from './forms.ts'
import { html, type Page, raw, render } from './render.ts'
import { type AppEnv, signedIn, toSignIn } from './session.ts'

const inputTitle = (user: User) =>
  user.role === 'representative'
    ? '更新する利用者情報の入力画面(代表者)'
    : '更新する利用者情報の入力画面(代表者以外の代理人等)'
const CONFIRM_TITLE = '利用者情報の更新確認画面'
const COMPLETE_TITLE = '利用者情報の更新完了画面'

/** zod at the edge: each field is a string (anything else counts as empty); the core judges the content. */
const text = z.string().catch('')
const ConfirmForm = z.object({ draftId: text })
const ContactForm = z.object({
  title: text,
  postalCode: text,
  address: text,
  phone: text,
  fax: text,
  email: text,
  emailConfirmation: text,
})

/** One attribute of a distinguished name, such as the holder's CN, for display. */
const nameIn = (dn: string, attribute: 'CN' | 'O'): string =>
  new RegExp(`(?:^|,\\s*)${attribute}=((?:\\\\.|[^,])+)`).exec(dn)?.[1]?.trim() ?? ''

const certificateTable = (certificates: Certificate[]) =>
  html`<table class="certificates">
  <caption>登録されている電子証明書</caption>
  <thead><tr><th scope="col">名義人</th><th scope="col">発行者</th><th scope="col">有効期間</th><th scope="col">シリアル番号</th></tr></thead>
  <tbody>${certificates.map((c) => {
    const organisation = nameIn(c.subject, 'O')
    return html`<tr><td>${nameIn(c.subject, 'CN') || c.subject}${organisation ? html`<br>${organisation}` : ''}</td><td>${nameIn(c.issuer, 'CN') || c.issuer}</td><td>${formatDateJa(c.notBefore)}〜${formatDateJa(c.notAfter)}</td><td class="serial">${c.serialNumber}</td></tr>`
  })}</tbody>
</table>`

const inputForm = (args: {
  user: User
  certificates: Certificate[]
  values: ContactInput
  errors: FieldErrors
  message?: string
  csrfToken: string
}) => {
  const { values, errors } = args
  const field = (
    name: keyof ContactInput,
    extra: { required?: boolean; type?: 'text' | 'email' | 'tel'; autocomplete?: string; hint?: string } = {},
  ) => textField({ name, label: FIELD_LABELS[name], value: values[name], error: errors[name], ...extra })
  return html`<p>変更する項目を入力し、［確認］を押してください。調達ポータルと政府電子調達システム(GEPS)の通知メールは、ここで登録したメールアドレスに送信されます。</p>
${errorSummary(errors, FIELD_LABELS, args.message)}
${postForm(
  '/user/edit',
  args.csrfToken,
  html`  <section>
    <h2>利用者基本情報(利用者情報)</h2>
    ${readOnlyRows([
      ['氏名', args.user.name],
      ['フリガナ', args.user.nameKana],
      ['部署名', args.user.department],
    ])}
    ${field('title', { autocomplete: 'organization-title' })}
    ${field('postalCode', { required: true, autocomplete: 'postal-code', hint: '7桁の数字（例: 100-0013）' })}
    ${field('address', { required: true, autocomplete: 'street-address' })}
    ${field('phone', { required: true, type: 'tel', autocomplete: 'tel', hint: '例: 03-1234-5678' })}
    ${field('fax', { type: 'tel', hint: '任意。例: 03-1234-5679' })}
    ${field('email', { required: true, type: 'email', autocomplete: 'email' })}
    ${field('emailConfirmation', { required: true, type: 'email', autocomplete: 'off', hint: '確認のため、もう一度入力してください。' })}
  </section>
  <section>
    <h2>電子証明書情報</h2>
    ${certificateTable(args.certificates)}
  </section>
  <button type="submit">確認</button>`,
)}`
}

const asInput = (contact: UserContact): ContactInput => ({ ...contact, emailConfirmation: contact.email })

const comparisonTable = (before: UserContact, after: UserContact) =>
  html`<table class="comparison">
  <caption>利用者基本情報(利用者情報)</caption>
  <thead><tr><th scope="col">項目</th><th scope="col">変更前</th><th scope="col">変更後</th></tr></thead>
  <tbody>${(Object.keys(before) as (keyof UserContact)[]).map((f) => {
    const changed = before[f] !== after[f]
    return html`<tr${changed ? raw(' class="changed"') : ''}><th scope="row">${FIELD_LABELS[f]}${changed ? html` <span class="badge">変更</span>` : ''}</th><td>${before[f] || '—'}</td><td>${after[f] || '—'}</td></tr>`
  })}</tbody>
</table>`

const SYNC_LABELS: Record<SyncState, string> = {
  waiting: '待機中',
  retrying: '再試行中',
  done: '連携完了',
  failed: '連携失敗',
}

/** The change's GEPS state; with JavaScript it refreshes itself until it is final. */
export const syncStatus = (change: UserChange) => {
  const final = change.sync.state === 'done' || change.sync.state === 'failed'
  const url = `/user/changes/${change.id}/sync`
  return html`<section class="sync-status" id="sync-status" aria-live="polite"${
    final ? '' : html` hx-get="${url}" hx-trigger="every 2s" hx-target="this" hx-swap="outerHTML"`
  }>
  <h2>政府電子調達システム(GEPS)への連携状況</h2>
  <dl>
    <dt>状態</dt><dd class="sync-state sync-${change.sync.state}">${SYNC_LABELS[change.sync.state]}</dd>
    <dt>受付日時</dt><dd>${formatDateTimeJa(change.createdAt)}</dd>
    <dt>最終更新</dt><dd>${formatDateTimeJa(change.sync.updatedAt)}</dd>
    ${change.sync.receipt ? html`<dt>GEPS受付番号</dt><dd>${change.sync.receipt}</dd>` : ''}
  </dl>
  ${
    change.sync.state === 'retrying'
      ? html`<p>GEPSが一時的に応答していないため、自動で再送しています。変更は失われません。</p>`
      : change.sync.state === 'failed'
        ? html`<p>GEPSへの連携ができませんでした。変更は調達ポータルに保存されています。ヘルプデスクにお問い合わせください（受付番号 ${change.id}）。</p>`
        : ''
  }
  ${final ? '' : html`<p><a href="/user/complete/${change.id}">最新の状況を表示</a></p>`}
</section>`
}

const errorPage = (error: UserUpdateError): Page => {
  switch (error.kind) {
    case 'no-draft':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>確認する入力内容がありません。すでに更新が完了しているか、セッションが切り替わりました。</p>
<p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
      }
    case 'draft-replaced':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>この確認画面の後に、別の画面で入力内容が変更されました。表示していた内容とは異なるため、更新は行っていません。</p>
<p><a href="/user/confirm">最新の入力内容を確認する</a></p>`,
      }
    case 'changed-by-someone-else':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>確認中に、別の操作でこの利用者情報が更新されました。上書きを避けるため、今回の更新は行っていません。</p>
<p>現在の登録内容から、もう一度入力してください。</p>
<p><a href="/user/edit">現在の内容で入力し直す</a></p>`,
      }
    default:
      return {
        title: '利用者情報を表示できません',
        status: 404,
        body: html`<p>利用者情報が見つかりませんでした。もう一度ログインしてください。</p><p><a href="/sign-in">ログイン</a></p>`,
      }
  }
}

export const userUpdateRoutes = (ports: UserUpdatePorts) => {
  const app = new Hono<AppEnv>()
  const overviewOf = loadUserOverview(ports)
  const prepare = prepareUserUpdate(ports)
  const review = reviewUserUpdate(ports)
  const complete = completeUserUpdate(ports)
  const viewChange = viewOwnChange(ports)
  const draftOf = draftContact(ports)

  // Every route here needs a signed-in user.
  app.use('/user/*', async (c, next) => {
    if (!c.get('user') || !c.get('session')) return toSignIn(c)
    await next()
  })

  app.get('/user/edit', async (c) => {
    const { session, user } = signedIn(c)
    const overview = await overviewOf(user.id)
    if (!overview.ok) return render(c, errorPage(overview.error))
    // What the user confirmed but has not yet committed comes back (the browser's Back button, the
    // 入力画面に戻る link, a return later in the session), unless they ask for the registered values.
    const kept = c.req.query('fresh') === '1' ? undefined : await draftOf(session.id)
    return render(c, {
      title: inputTitle(overview.value.user),
      body: html`${
        kept
          ? html`<div class="notice" role="status"><p>確認画面まで進んだ、まだ更新していない入力内容を表示しています。このまま［確認］に進むか、<a href="/user/edit?fresh=1">登録されている内容から入力し直す</a>ことができます。</p></div>`
          : ''
      }${inputForm({
        user: overview.value.user,
        certificates: overview.value.certificates,
        values: asInput(kept ?? contactOf(overview.value.user)),
        errors: {},
        csrfToken: session.csrfToken,
      })}`,
    })
  })

  app.post('/user/edit', async (c) => {
    const { session, user } = signedIn(c)
    const input = ContactForm.parse(await c.req.parseBody())
    const prepared = await prepare({ sessionId: session.id, userId: user.id, input })
    if (prepared.ok) return c.redirect('/user/confirm', 303)
    if (prepared.error.kind !== 'invalid' && prepared.error.kind !== 'nothing-changed') {
      return render(c, errorPage(prepared.error))
    }
    const overview = await overviewOf(user.id)
    if (!overview.ok) return render(c, errorPage(overview.error))
    return render(c, {
      title: inputTitle(user),
      hasErrors: true,
      status: 422,
      body: inputForm({
        user,
        certificates: overview.value.certificates,
        values: input,
        errors: prepared.error.kind === 'invalid' ? prepared.error.fieldErrors : {},
        message:
          prepared.error.kind === 'nothing-changed'
            ? '変更された項目がありません。変更する項目を入力してください。'
            : undefined,
        csrfToken: session.csrfToken,
      }),
    })
  })

  app.get('/user/confirm', async (c) => {
    const { session, user } = signedIn(c)
    const reviewed = await review({ sessionId: session.id, userId: user.id })
    if (!reviewed.ok) return render(c, errorPage(reviewed.error))
    const { overview, draft, changes, draftId } = reviewed.value
    return render(c, {
      title: CONFIRM_TITLE,
      body: html`<p>次の内容で利用者情報を更新します。よろしければ［更新］を押してください（${changes.length}項目を変更）。</p>
${comparisonTable(contactOf(overview.user), draft)}
<section><h2>電子証明書情報</h2>${certificateTable(overview.certificates)}</section>
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

  app.post('/user/confirm', async (c) => {
    const { session, user } = signedIn(c)
    const { draftId } = ConfirmForm.parse(await c.req.parseBody())
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
<p>受付番号: ${change.id}</p>
${syncStatus(change)}
<p><a href="/menu">メニューへ戻る</a></p>`,
    })
  })

  app.get('/user/changes/:changeId/sync', async (c) => {
    const change = await viewChange({ userId: signedIn(c).user.id, changeId: c.req.param('changeId') })
    c.header('Cache-Control', 'no-store')
    c.header('Vary', 'HX-Request, Cookie')
    if (!change) return c.html(html`<p>この更新は見つかりませんでした。</p>`, 404)
    if (c.req.header('hx-request') !== 'true') return c.redirect(`/user/complete/${change.id}`, 303)
    return c.html(syncStatus(change))
  })

  return app
}
