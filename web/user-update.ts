/**
 * F1 利用者情報更新, the signed-in user's own information:
 * 更新する利用者情報の入力画面 → 利用者情報の更新確認画面 → 利用者情報の更新完了画面.
 * The representative's input screen has the business's section (利用者基本情報(事業者情報)) before
 * the user's; an agent's has only the fields an agent may change.
 * POST /user/edit checks the input and keeps it as a draft, then redirects to the confirm screen;
 * POST /user/confirm commits it and redirects to the completion screen, which a reload only shows again.
 */
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import {
  BUSINESS_FIELD_LABELS,
  BUSINESS_FIELDS,
  type Business,
  type BusinessField,
  type BusinessFields,
  businessFieldName,
  businessFieldsOf,
  type Certificate,
  editableUserFields,
  FIELD_LABELS,
  type FieldChange,
  isMyNumberAgent,
  USER_FIELDS,
  type User,
  type UserField,
  type UserFields,
  userFieldsOf,
} from '../core/domain/account.ts'
import type {
  BusinessFieldErrors,
  BusinessInput,
  UserFieldErrors,
  UserInput,
} from '../core/domain/account-rules.ts'
import {
  applyStaged,
  GRADES,
  periodName,
  QUALIFICATION_KINDS,
  type Qualification,
  type QualificationFieldErrors,
  type QualificationInput,
  REGIONS,
  registrablePeriods,
} from '../core/domain/qualifications.ts'
import { ok, type Result } from '../core/lib/result.ts'
import type { CardInput } from '../core/use-cases/shared/card-proof.ts'
import { issueChallenge } from '../core/use-cases/sign-in/sign-in.ts'
import {
  type CertificatePorts,
  type CertificateRefusal,
  certificatesAfter,
  certificateToRemove,
  completeUserUpdate,
  discardStaging,
  draftValues,
  keepTyped,
  loadStaging,
  loadUserOverview,
  prepareUserUpdate,
  requestCertificateRemoval,
  reviewUserUpdate,
  type StagedCertificate,
  stageCertificate,
  stageCertificateRemoval,
  stageQualification,
  type UpdateInput,
  type UserUpdateError,
  type UserUpdatePorts,
  unstageQualification,
  viewOwnChange,
} from '../core/use-cases/user-update/user-update.ts'
import {
  besideItsForm,
  type CardMessage,
  cardInputOf,
  cardReadForms,
  cardReadRefusalMessage,
  refusalStatus,
} from './card-read.ts'
import { certificateTable } from './certificate-view.ts'
import { checkboxGroup, errorSummary, postForm, readOnlyRows, selectField, textField } from './forms.ts'
import { type Html, html, type Page, raw, render } from './render.ts'
import { type AppEnv, afterCardRead, signedIn, toSignIn } from './session.ts'
import { syncStatus, syncStatusAnswer } from './sync-status.ts'

const inputTitle = (user: User) =>
  user.role === 'representative'
    ? '更新する利用者情報の入力画面(代表者)'
    : '更新する利用者情報の入力画面(代表者以外の代理人等)'
const CONFIRM_TITLE = '利用者情報の更新確認画面'
const COMPLETE_TITLE = '利用者情報の更新完了画面'

/** The form's name for each business field: stable, and apart from the user fields' names. */
const BUSINESS_FORM_NAMES: Record<BusinessField, string> = {
  name: 'businessName',
  nameKana: 'businessNameKana',
  representativeTitle: 'representativeTitle',
  representativeName: 'representativeName',
  representativeNameKana: 'representativeNameKana',
  postalCode: 'businessPostalCode',
  address: 'businessAddress',
  phone: 'businessPhone',
  fax: 'businessFax',
}

/** The form's names for 資格情報選択. */
const QUALIFICATION_FORM_NAMES: Record<keyof QualificationInput, string> = {
  supplierCode: 'qualificationSupplierCode',
  kind: 'qualificationKind',
  grade: 'qualificationGrade',
  regions: 'qualificationRegions',
  firstYear: 'qualificationPeriod',
}

const QUALIFICATION_LABELS: Record<keyof QualificationInput, string> = {
  supplierCode: '業者コード',
  kind: '資格の種類',
  grade: '等級',
  regions: '競争参加地域',
  firstYear: '有効期間',
}

const EMPTY_QUALIFICATION: QualificationInput = {
  supplierCode: '',
  kind: '',
  grade: '',
  regions: [],
  firstYear: '',
}

const parseQualification = (form: Record<string, unknown>): QualificationInput => {
  const one = (name: string) => {
    const v = form[name]
    return typeof v === 'string' ? v : ''
  }
  const regions = form[QUALIFICATION_FORM_NAMES.regions]
  return {
    supplierCode: one(QUALIFICATION_FORM_NAMES.supplierCode),
    kind: one(QUALIFICATION_FORM_NAMES.kind),
    grade: one(QUALIFICATION_FORM_NAMES.grade),
    regions: (Array.isArray(regions) ? regions : [regions]).filter((r): r is string => typeof r === 'string'),
    firstYear: one(QUALIFICATION_FORM_NAMES.firstYear),
  }
}

/**
 * zod at the edge: the form as strings; a field the form did not send stays absent, so that the
 * core can tell a field an agent may not change from one they left empty. The core judges content.
 */
const FormFields = z.record(z.string(), z.union([z.string(), z.array(z.unknown()), z.unknown()]))
const ConfirmForm = z.object({ draftId: z.string().catch('') })

const parseUpdate = (body: Record<string, unknown>): UpdateInput => {
  const form = FormFields.parse(body)
  const text = (name: string): string | undefined => {
    const value = form[name]
    return value === undefined ? undefined : typeof value === 'string' ? value : ''
  }
  const user: UserInput = {}
  for (const field of [...USER_FIELDS, 'emailConfirmation'] as const) {
    const value = text(field)
    if (value !== undefined) user[field] = value
  }
  const business: BusinessInput = {}
  for (const field of BUSINESS_FIELDS) {
    const value = text(BUSINESS_FORM_NAMES[field])
    if (value !== undefined) business[field] = value
  }
  return { user, business: Object.keys(business).length > 0 ? business : undefined }
}

/** What the input screen shows: every field as text, the e-mail twice. */
type FormValues = { user: UserInput; business?: BusinessInput }

const formValuesOf = (user: UserFields, business?: BusinessFields): FormValues => ({
  user: { ...user, emailConfirmation: user.email },
  business,
})

type FieldOptions = {
  required?: boolean
  type?: 'text' | 'email' | 'tel'
  autocomplete?: string
  hint?: string
}

const USER_FIELD_OPTIONS: Record<UserField | 'emailConfirmation', FieldOptions> = {
  nameKana: { required: true, hint: '全角カタカナ（例: チョウタツ タロウ）' },
  department: {},
  title: { autocomplete: 'organization-title' },
  postalCode: { required: true, autocomplete: 'postal-code', hint: '7桁の数字（例: 100-0013）' },
  address: { required: true, autocomplete: 'street-address' },
  phone: { required: true, type: 'tel', autocomplete: 'tel', hint: '例: 03-1234-5678' },
  fax: { type: 'tel', hint: '任意。例: 03-1234-5679' },
  email: { required: true, type: 'email', autocomplete: 'email' },
  emailConfirmation: {
    required: true,
    type: 'email',
    autocomplete: 'off',
    hint: '確認のため、もう一度入力してください。',
  },
}

const BUSINESS_FIELD_OPTIONS: Record<BusinessField, FieldOptions> = {
  name: { required: true, autocomplete: 'organization' },
  nameKana: { required: true, hint: '全角カタカナ' },
  representativeTitle: { required: true },
  representativeName: { required: true },
  representativeNameKana: { required: true, hint: '全角カタカナ' },
  postalCode: { required: true, hint: '7桁の数字（例: 100-0013）' },
  address: { required: true },
  phone: { required: true, type: 'tel', hint: '例: 03-1234-5678' },
  fax: { type: 'tel', hint: '任意' },
}

/** The labels of the error summary, by form name. */
const SUMMARY_LABELS: Record<string, string> = {
  ...FIELD_LABELS,
  ...Object.fromEntries(
    (Object.keys(QUALIFICATION_FORM_NAMES) as (keyof QualificationInput)[]).map((k) => [
      QUALIFICATION_FORM_NAMES[k],
      QUALIFICATION_LABELS[k],
    ]),
  ),
  ...Object.fromEntries(BUSINESS_FIELDS.map((f) => [BUSINESS_FORM_NAMES[f], businessFieldName(f)])),
  certificates: '電子証明書情報',
}

const inputForm = (args: {
  user: User
  business: Business
  certificates: Certificate[]
  values: FormValues
  userErrors: UserFieldErrors
  businessErrors: BusinessFieldErrors
  message?: string
  csrfToken: string
  /** The certificates as they will be, when the user may add and remove them here. */
  certificateEditing?: { list: StagedCertificate[]; staged: Set<string> }
  certificateError?: string
  /** 資格情報 as it will be (registered, less staged removals, plus staged additions). */
  qualifications?: { list: Qualification[]; staged: Set<string> }
  qualificationValues?: QualificationInput
  qualificationErrors?: QualificationFieldErrors
  periods?: number[]
}) => {
  const { values, user } = args
  const representative = user.role === 'representative'
  const userField = (name: UserField | 'emailConfirmation') =>
    textField({
      name,
      label: FIELD_LABELS[name],
      value: values.user[name] ?? '',
      error: args.userErrors[name],
      ...USER_FIELD_OPTIONS[name],
    })
  const businessField = (field: BusinessField) =>
    textField({
      name: BUSINESS_FORM_NAMES[field],
      label: BUSINESS_FIELD_LABELS[field].label,
      qualifier: BUSINESS_FIELD_LABELS[field].qualifier,
      value: values.business?.[field] ?? '',
      error: args.businessErrors[field],
      ...BUSINESS_FIELD_OPTIONS[field],
    })
  const summaryErrors = {
    ...Object.fromEntries(BUSINESS_FIELDS.map((f) => [BUSINESS_FORM_NAMES[f], args.businessErrors[f]])),
    ...Object.fromEntries(
      (Object.keys(QUALIFICATION_FORM_NAMES) as (keyof QualificationInput)[]).map((k) => [
        QUALIFICATION_FORM_NAMES[k],
        args.qualificationErrors?.[k],
      ]),
    ),
    ...args.userErrors,
    certificates: args.certificateError,
  }
  const editable = editableUserFields(user.role)
  const readOnly: [string, string][] = [['氏名', user.name]]
  if (!editable.includes('nameKana')) readOnly.push(['フリガナ', user.nameKana])
  if (!editable.includes('department')) readOnly.push(['部署名', user.department])
  return html`<p>変更する項目を入力し、［確認］を押してください。調達ポータルと政府電子調達システム(GEPS)の通知メールは、ここで登録したメールアドレスに送信されます。</p>
${errorSummary(summaryErrors, SUMMARY_LABELS, args.message)}
${postForm(
  '/user/edit',
  args.csrfToken,
  html`<button type="submit" name="action" value="confirm" class="visually-hidden" tabindex="-1" aria-hidden="true">確認</button>
  ${
    representative
      ? html`<section>
    <h2>利用者基本情報(事業者情報)</h2>
    ${readOnlyRows([['法人番号', args.business.corporateNumber]])}
    ${BUSINESS_FIELDS.map(businessField)}
  </section>`
      : ''
  }
  <section>
    <h2>利用者基本情報(利用者情報)</h2>
    ${readOnlyRows(readOnly)}
    ${[...editable, 'emailConfirmation' as const].map(userField)}
  </section>
  ${representative ? qualificationSections(args) : ''}
  <section id="field-certificates" tabindex="-1" aria-labelledby="certificates-heading">
    <h2 id="certificates-heading">電子証明書情報</h2>
    ${
      args.certificateEditing
        ? html`${args.certificateError ? html`<p class="field-error" id="field-certificates-error">${args.certificateError}</p>` : ''}
    ${certificateTable(args.certificateEditing.list, {
      staged: args.certificateEditing.staged,
      caption: '登録される電子証明書',
      removable: true,
    })}
    <button type="submit" name="action" value="add-certificate">追加</button>
    <p class="hint">［追加］を押すと、電子証明書の種別選択とカードの読み込みに進みます。入力中の内容は保持されます。</p>`
        : html`${certificateTable(args.certificates)}<p class="hint">マイナンバーカードの電子証明書は、電子証明書更新の手続きで更新します。</p>`
    }
  </section>
  <button type="submit" name="action" value="confirm">確認</button>`,
)}`
}

/** 資格情報選択 (a qualification to add, [追加]) and 資格情報 (the list, each with [削除]). */
const qualificationSections = (args: {
  qualifications?: { list: Qualification[]; staged: Set<string> }
  qualificationValues?: QualificationInput
  qualificationErrors?: QualificationFieldErrors
  periods?: number[]
}) => {
  const v = args.qualificationValues ?? EMPTY_QUALIFICATION
  const e = args.qualificationErrors ?? {}
  const list = args.qualifications?.list ?? []
  return html`<section>
    <h2>資格情報選択</h2>
    <p class="hint">追加する資格情報を入力し、［追加］を押してください。資格情報は［確認］［更新］を押すまで登録されません。</p>
    ${textField({ name: QUALIFICATION_FORM_NAMES.supplierCode, label: '業者コード', value: v.supplierCode, error: e.supplierCode, hint: '資格審査結果通知書に記載の業者コード' })}
    ${selectField({ name: QUALIFICATION_FORM_NAMES.kind, label: '資格の種類', value: v.kind, error: e.kind, options: QUALIFICATION_KINDS.map((k) => ({ value: k, text: k })) })}
    ${selectField({ name: QUALIFICATION_FORM_NAMES.grade, label: '等級', value: v.grade, error: e.grade, options: GRADES.map((g) => ({ value: g, text: g === 'D' ? 'D（物品の買受けにはありません）' : g })) })}
    ${checkboxGroup({ name: QUALIFICATION_FORM_NAMES.regions, legend: '競争参加地域', options: REGIONS, values: v.regions, error: e.regions })}
    ${selectField({ name: QUALIFICATION_FORM_NAMES.firstYear, label: '有効期間', value: v.firstYear, error: e.firstYear, options: (args.periods ?? []).map((y) => ({ value: String(y), text: periodName(y) })) })}
    <button type="submit" name="action" value="add-qualification">追加</button>
  </section>
  <section>
    <h2>資格情報</h2>
    ${
      list.length === 0
        ? html`<p>登録される資格情報はありません。</p>`
        : html`<table class="qualifications">
      <thead><tr><th scope="col">有効期間</th><th scope="col">資格の種類</th><th scope="col">等級</th><th scope="col">競争参加地域</th><th scope="col">業者コード</th><th scope="col"><span class="visually-hidden">操作</span></th></tr></thead>
      <tbody>${list.map(
        (
          q,
        ) => html`<tr><td>${periodName(q.firstYear)}${args.qualifications?.staged.has(q.id) ? html` <span class="staged">（追加予定）</span>` : ''}</td><td>${q.kind}</td><td>${q.grade}</td><td>${q.regions.join('、')}</td><td>${q.supplierCode}</td>
        <td><button type="submit" class="button-small" name="action" value="remove-qualification:${q.id}" aria-label="${periodName(q.firstYear)} ${q.kind}を削除">削除</button></td></tr>`,
      )}</tbody>
    </table>`
    }
  </section>`
}

/** Old and new values side by side; unchanged rows plain, changed ones marked. */
const comparisonTable = (caption: string, rows: { label: string; before: string; after: string }[]) =>
  html`<table class="comparison">
  <caption>${caption}</caption>
  <thead><tr><th scope="col">項目</th><th scope="col">変更前</th><th scope="col">変更後</th></tr></thead>
  <tbody>${rows.map(({ label, before, after }) => {
    const changed = before !== after
    return html`<tr${changed ? raw(' class="changed"') : ''}><th scope="row">${label}${changed ? html` <span class="badge">変更</span>` : ''}</th><td>${before || '—'}</td><td>${after || '—'}</td></tr>`
  })}</tbody>
</table>`

const userRows = (before: UserFields, after: UserFields) =>
  USER_FIELDS.map((f) => ({ label: FIELD_LABELS[f], before: before[f], after: after[f] }))

const businessRows = (before: BusinessFields, after: BusinessFields) =>
  BUSINESS_FIELDS.map((f) => ({ label: businessFieldName(f), before: before[f], after: after[f] }))

/** The qualifications an update registers and removes. */
const qualificationChangeTable = (changes: { added: Qualification[]; removed: Qualification[] }) =>
  html`<table class="comparison">
  <caption>資格情報</caption>
  <thead><tr><th scope="col">変更</th><th scope="col">有効期間</th><th scope="col">資格の種類</th><th scope="col">等級</th><th scope="col">競争参加地域</th><th scope="col">業者コード</th></tr></thead>
  <tbody>${[
    ...changes.added.map((q) => ({ q, what: '追加' })),
    ...changes.removed.map((q) => ({ q, what: '削除' })),
  ].map(
    ({ q, what }) =>
      html`<tr class="changed"><th scope="row"><span class="badge">${what}</span></th><td>${periodName(q.firstYear)}</td><td>${q.kind}</td><td>${q.grade}</td><td>${q.regions.join('、')}</td><td>${q.supplierCode}</td></tr>`,
  )}</tbody>
</table>`

/** Another user's changes, listed for the user whose update they stopped. */
const theirChanges = (changes: FieldChange[]) =>
  changes.length === 0
    ? ''
    : html`<table class="comparison">
  <caption>先に登録された変更</caption>
  <thead><tr><th scope="col">項目</th><th scope="col">入力を始めたときの内容</th><th scope="col">現在の登録内容</th></tr></thead>
  <tbody>${changes.map((c) => html`<tr><th scope="row">${c.label}</th><td>${c.before || '—'}</td><td>${c.after || '—'}</td></tr>`)}</tbody>
</table>`

/** What each refusal of a certificate to add means for the user. */
const certificateRefusalMessage = (reason: CertificateRefusal): CardMessage => {
  switch (reason.kind) {
    case 'too-many-attempts':
    case 'challenge-missing':
    case 'card':
    case 'file':
    case 'certificate':
      return cardReadRefusalMessage(reason)
    case 'holder-differs':
      return {
        field: 'cardId',
        text: `この電子証明書の名義（${reason.holder}）が、利用者（${reason.user}）と異なります。ご本人の電子証明書を読み込んでください。新しい代理人の方は、利用者登録を行ってください。`,
      }
    case 'organisation-differs':
      return {
        field: 'cardId',
        text: `この電子証明書の事業者名（${reason.organisation}）が、登録されている事業者（${reason.business}）と異なります。`,
      }
    case 'already-registered':
      return {
        field: 'cardId',
        text: 'この電子証明書はすでに調達ポータルに登録されています。同じ電子証明書は二度登録できません。',
      }
    case 'my-number-certificate':
      return {
        field: 'cardId',
        text: 'マイナンバーカードの電子証明書は、ここでは追加できません。マイナンバーカードを更新したときは、ログイン画面の「電子証明書更新」から更新してください。',
      }
    case 'not-own-certificate':
      return {
        field: 'cardId',
        text: '読み込んだ電子証明書は、この利用者に登録されている電子証明書ではありません。削除する電子証明書か、ほかに登録されているご本人の電子証明書を読み込んでください。',
      }
  }
}

/** Refusals of [削除] of 電子証明書情報 that the input screen shows beside 電子証明書情報, keeping what was typed. */
const CERTIFICATE_REMOVAL_REFUSALS: Partial<Record<UserUpdateError['kind'], string>> = {
  'last-certificate':
    '最後の電子証明書は削除できません。削除するとログインできなくなります。先に新しい電子証明書を［追加］してください。',
  'certificate-not-found':
    'この電子証明書は見つかりませんでした。すでに削除する予定になっているか、画面が古くなっています。表示されている電子証明書情報をご確認ください。',
}

const REMOVAL_READ_TITLE = '削除する電子証明書の本人確認画面'

/** For a My Number agent, whose certificates change with the card, through F2 only. */
const CERTIFICATES_FORBIDDEN: Page = {
  title: '電子証明書情報は変更できません',
  status: 403,
  body: html`<p>マイナンバーカードで登録した代理人の電子証明書は、ここでは追加も削除もできません。マイナンバーカードを更新したときは、ログイン画面の「電子証明書更新」から更新してください。何も変更していません。</p>
<p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
}

/** A card read of 電子証明書情報's own: for [追加] (the certificate to add) or [削除] (who removes it). */
type CertificateReadScreen = { title: string; action: string; intro: Html; fileHeading: string; back: string }

const ADD_SCREEN: CertificateReadScreen = {
  title: '電子証明書の種別選択画面',
  action: '/user/certificates/add',
  intro: html`<p>追加する電子証明書のカードを選び、PINを入力して［読込］を押してください。ファイルタイプの電子証明書は、ファイルとパスワードで読み込みます。読み込んだ電子証明書は、入力画面の電子証明書情報に追加されます（［確認］［更新］を押すまで登録されません）。</p>`,
  fileHeading: 'ファイルタイプの電子証明書を読み込む',
  back: '入力画面に戻る（追加しない）',
}

const removalScreen = (certificate: Certificate): CertificateReadScreen => ({
  title: REMOVAL_READ_TITLE,
  action: `/user/certificates/remove/${certificate.id}`,
  intro: html`<p>次の電子証明書を削除します。ご本人の確認のため、登録されている電子証明書（削除するものでも、ほかのものでも構いません）のカードを選び、PINを入力して［読込］を押してください。削除は［確認］［更新］を押すまで行われません。</p>
${certificateTable([certificate], { caption: '削除する電子証明書' })}`,
  fileHeading: 'ファイルタイプの電子証明書で確認する',
  back: '入力画面に戻る（削除しない）',
})

const certificateReadPage = (
  ports: CertificatePorts,
  screen: CertificateReadScreen,
  csrfToken: string,
  state: { cardId?: string; message?: CardMessage } = {},
) =>
  html`${screen.intro}
${cardReadForms({
  action: screen.action,
  csrfToken,
  reader: ports.cardReader,
  state,
  button: '読込',
  fileHeading: screen.fileHeading,
  fileButton: 'ファイルを読込',
})}
<p><a href="/user/edit">${screen.back}</a></p>`

const errorPage = (error: UserUpdateError): Page => {
  switch (error.kind) {
    case 'invalid-qualification':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>${Object.values(error.errors).join(' ')}</p><p>別の画面で先に登録されたため、更新は行っていません。</p>
<p><a href="/user/edit?fresh=1">現在の登録内容で入力し直す</a></p>`,
      }
    case 'certificate-not-found':
      return {
        title: REMOVAL_READ_TITLE,
        status: 404,
        body: html`<p>この電子証明書は、あなたの電子証明書情報に見つかりませんでした。すでに削除されたか、入力画面が古くなっています。</p>
<p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
      }
    case 'last-certificate':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>この更新では電子証明書がすべて削除されるため、更新は行っていません。電子証明書が1つもないと、ログインできなくなります。</p>
<p><a href="/user/edit">入力画面に戻る</a></p>`,
      }
    case 'certificate-refused':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>${certificateRefusalMessage(error.reason).text}</p><p>更新は行っていません。</p>
<p><a href="/user/edit?fresh=1">現在の登録内容で入力し直す</a></p>`,
      }
    case 'forbidden':
      return {
        title: '変更できない項目です',
        status: 403,
        body: html`<p>送信された内容に、この利用者の権限では変更できない項目が含まれていたため、何も変更していません。</p>
<p>事業者情報と、資格情報は代表者のみが変更できます。</p><p><a href="/user/edit?fresh=1">利用者情報の入力画面へ</a></p>`,
      }
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
        body: html`<p>入力中に、別の利用者または別の画面から、この情報が先に更新されました。上書きを避けるため、今回の更新は行っていません。</p>
${theirChanges(error.changes)}
<p>現在の登録内容から、もう一度入力してください。</p>
<p><a href="/user/edit?fresh=1">現在の登録内容で入力し直す</a></p>`,
      }
    case 'user-not-found':
      return {
        title: '利用者情報を表示できません',
        status: 404,
        body: html`<p>利用者情報が見つかりませんでした。もう一度ログインしてください。</p><p><a href="/sign-in">ログイン</a></p>`,
      }
    // The input screen shows these three beside its fields (the routes below); a page of their own
    // is for a request that reaches them some other way.
    case 'invalid':
      return {
        title: '更新する利用者情報の入力画面',
        status: 422,
        body: html`<p>入力内容に誤りがあるため、更新できませんでした。変更は行っていません。</p>
<p><a href="/user/edit">利用者情報の入力画面で確認する</a></p>`,
      }
    case 'nothing-changed':
      return {
        title: CONFIRM_TITLE,
        status: 422,
        body: html`<p>変更された項目がありません。変更する項目を入力してください。</p><p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
      }
    case 'card-read-required':
      return {
        title: '電子証明書の削除',
        status: 409,
        body: html`<p>登録されている電子証明書を削除するには、先にカードの読み取りが必要です。</p>
<p><a href="/user/certificates/remove/${error.certificateId}">カードを読み取って削除する</a></p>`,
      }
  }
}

export const userUpdateRoutes = (ports: UserUpdatePorts & CertificatePorts) => {
  const app = new Hono<AppEnv>()
  const overviewOf = loadUserOverview(ports)
  const prepare = prepareUserUpdate(ports)
  const review = reviewUserUpdate(ports)
  const complete = completeUserUpdate(ports)
  const viewChange = viewOwnChange(ports)
  const draftOf = draftValues(ports)
  const stagingOf = loadStaging(ports)
  const keep = keepTyped(ports)
  const addCertificate = stageCertificate(ports)
  const askToRemoveCertificate = requestCertificateRemoval(ports)
  const toRemove = certificateToRemove(ports)
  const removeAfterRead = stageCertificateRemoval(ports)
  const challenge = issueChallenge(ports)
  const stage = stageQualification(ports)
  const unstage = unstageQualification(ports)
  const discard = discardStaging(ports)

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
      notice?: Html
    } = {},
  ) => {
    const { session, user } = signedIn(c)
    const overview = await overviewOf(user.id)
    if (!overview.ok) return render(c, errorPage(overview.error))
    const { business, certificates, qualifications } = overview.value
    const staging = await stagingOf(session.id)
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
      body: html`${state.notice ?? ''}${inputForm({
        user,
        business,
        certificates,
        values:
          state.values ??
          staging.typed ??
          formValuesOf(
            userFieldsOf(user),
            user.role === 'representative' ? businessFieldsOf(business) : undefined,
          ),
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
        periods: registrablePeriods(ports.clock.now()),
      })}`,
    })
  }

  app.get('/user/edit', async (c) => {
    const { session, user } = signedIn(c)
    // What the user confirmed but has not yet committed comes back (the browser's Back button, the
    // 入力画面に戻る link, a return later in the session), unless they ask for the registered values.
    if (c.req.query('fresh') === '1') {
      await discard(session.id)
      return renderInput(c)
    }
    const kept = await draftOf(session.id)
    if (!kept) return renderInput(c)
    const overview = await overviewOf(user.id)
    const registeredBusiness =
      overview.ok && user.role === 'representative' ? businessFieldsOf(overview.value.business) : undefined
    return renderInput(c, {
      values: formValuesOf(kept.user, kept.business ?? registeredBusiness),
      notice: html`<div class="notice" role="status"><p>確認画面まで進んだ、まだ更新していない入力内容を表示しています。このまま［確認］に進むか、<a href="/user/edit?fresh=1">登録されている内容から入力し直す</a>ことができます。</p></div>`,
    })
  })

  /**
   * The input screen's one form: [確認], or [追加] of 資格情報選択, or a [削除] of 資格情報. Every
   * press sends the whole form, so that without JavaScript nothing typed is lost on the way.
   */
  app.post('/user/edit', async (c) => {
    const { session, user } = signedIn(c)
    const body = await c.req.parseBody({ all: true })
    const action = typeof body.action === 'string' ? body.action : 'confirm'
    const input = parseUpdate(body)
    const values: FormValues = { user: input.user, business: input.business }

    if (action === 'add-qualification') {
      const qualificationValues = parseQualification(body)
      const staged = await stage({ sessionId: session.id, userId: user.id, input: qualificationValues })
      if (staged.ok) return renderInput(c, { values })
      if (staged.error.kind === 'invalid-qualification') {
        return renderInput(c, { values, qualificationValues, qualificationErrors: staged.error.errors })
      }
      return render(c, errorPage(staged.error))
    }
    if (action === 'add-certificate') {
      // The card read is a page of its own: what was typed waits in the session meanwhile.
      await keep({ sessionId: session.id, typed: input, typedQualification: parseQualification(body) })
      return c.redirect('/user/certificates/add', 303)
    }
    if (action.startsWith('remove-certificate:')) {
      const certificateId = action.slice('remove-certificate:'.length)
      const removed = await askToRemoveCertificate({ sessionId: session.id, userId: user.id, certificateId })
      if (!removed.ok && removed.error.kind === 'card-read-required') {
        // A registered certificate goes only after a card read, a page of its own, as for [追加].
        await keep({ sessionId: session.id, typed: input, typedQualification: parseQualification(body) })
        return c.redirect(`/user/certificates/remove/${removed.error.certificateId}`, 303)
      }
      const certificateError = removed.ok ? undefined : CERTIFICATE_REMOVAL_REFUSALS[removed.error.kind]
      if (certificateError) {
        return renderInput(c, { values, qualificationValues: parseQualification(body), certificateError })
      }
      if (!removed.ok) return render(c, errorPage(removed.error))
      return renderInput(c, { values, qualificationValues: parseQualification(body) })
    }
    if (action.startsWith('remove-qualification:')) {
      const qualificationId = action.slice('remove-qualification:'.length)
      const removed = await unstage({ sessionId: session.id, userId: user.id, qualificationId })
      if (!removed.ok) return render(c, errorPage(removed.error))
      return renderInput(c, { values, qualificationValues: parseQualification(body) })
    }

    const prepared = await prepare({ sessionId: session.id, userId: user.id, input })
    if (prepared.ok) return c.redirect('/user/confirm', 303)
    if (prepared.error.kind === 'invalid') {
      return renderInput(c, {
        values,
        userErrors: prepared.error.userErrors,
        businessErrors: prepared.error.businessErrors,
        qualificationValues: parseQualification(body),
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
        body: certificateReadPage(ports, screen.value, session.csrfToken),
      })
    })
    app.post(path, async (c) => {
      const { session } = signedIn(c)
      const screen = await screenFor(c)
      if (!screen.ok) return render(c, refusalPage(screen.error))
      const body = await c.req.parseBody()
      const refuse = async (message: CardMessage, status: 422 | 429 = 422) => {
        await challenge(session.id)
        return render(c, {
          title: screen.value.title,
          hasErrors: true,
          status,
          body: certificateReadPage(ports, screen.value, session.csrfToken, {
            cardId: typeof body.cardId === 'string' ? body.cardId : undefined,
            message: besideItsForm(body, message),
          }),
        })
      }
      const input = await cardInputOf(body, c.get('portalOrigin'))
      if (!input.ok) return refuse(input.error)
      const result = await read(c, input.value)
      if (result.ok) return afterCardRead(c, ports.sessions, session, '/user/edit')
      if (result.error.kind !== 'certificate-refused') return render(c, refusalPage(result.error))
      return refuse(certificateRefusalMessage(result.error.reason), refusalStatus(result.error.reason))
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
      return addCertificate({
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
      const certificate = await toRemove(removalOf(c))
      return certificate.ok ? ok(removalScreen(certificate.value)) : certificate
    },
    (c, input) => removeAfterRead({ ...removalOf(c), input, clientAddress: c.get('clientAddress') }),
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
