/** F1's screens as HTML: the input screen, the tables of the 確認画面, and the card-read screen of 電子証明書情報. */
import {
  BUSINESS_FIELD_LABELS,
  BUSINESS_FIELDS,
  type Business,
  type BusinessField,
  type BusinessFields,
  businessFieldName,
  type Certificate,
  editableUserFields,
  FIELD_LABELS,
  type FieldChange,
  USER_FIELDS,
  type User,
  type UserField,
  type UserFields,
} from '../../core/domain/account.ts'
import type { BusinessFieldErrors, UserFieldErrors } from '../../core/domain/account-rules.ts'
import {
  GRADES,
  periodName,
  QUALIFICATION_KINDS,
  type Qualification,
  type QualificationFieldErrors,
  type QualificationInput,
  REGIONS,
} from '../../core/domain/qualifications.ts'
import type { UseCases } from '../../core/use-cases/use-cases.ts'
import type { StagedCertificate } from '../../core/use-cases/user-update/user-update.ts'
import { type CardMessage, cardReadForms } from '../card-read.ts'
import { certificateTable } from '../certificate-view.ts'
import { checkboxGroup, errorSummary, postForm, readOnlyRows, selectField, textField } from '../forms.ts'
import { type Html, html, raw } from '../render.ts'
import {
  BUSINESS_FIELD_OPTIONS,
  BUSINESS_FORM_NAMES,
  EMPTY_QUALIFICATION,
  type FormValues,
  QUALIFICATION_FORM_NAMES,
  SUMMARY_LABELS,
  USER_FIELD_OPTIONS,
} from './fields.ts'

/** The input screen's two names: the representative's, and every other user's. */
export const INPUT_TITLES = [
  '更新する利用者情報の入力画面(代表者)',
  '更新する利用者情報の入力画面(代表者以外の代理人等)',
] as const
export const inputTitle = (user: User) => INPUT_TITLES[user.role === 'representative' ? 0 : 1]
export const CONFIRM_TITLE = '利用者情報の更新確認画面'
export const REMOVAL_READ_TITLE = '削除する電子証明書の本人確認画面'
export const CERTIFICATE_CHOICE_TITLE = '電子証明書の種別選択画面'
export const COMPLETE_TITLE = '利用者情報の更新完了画面'

export const inputForm = (args: {
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
  html`<button type="submit" name="action" value="confirm" class="visually-hidden" tabindex="-1" aria-hidden="true" data-default-submit>確認</button>
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
export const comparisonTable = (caption: string, rows: { label: string; before: string; after: string }[]) =>
  html`<table class="comparison">
  <caption>${caption}</caption>
  <thead><tr><th scope="col">項目</th><th scope="col">変更前</th><th scope="col">変更後</th></tr></thead>
  <tbody>${rows.map(({ label, before, after }) => {
    const changed = before !== after
    return html`<tr${changed ? raw(' class="changed"') : ''}><th scope="row">${label}${changed ? html` <span class="badge">変更</span>` : ''}</th><td>${before || '—'}</td><td>${after || '—'}</td></tr>`
  })}</tbody>
</table>`

export const userRows = (before: UserFields, after: UserFields) =>
  USER_FIELDS.map((f) => ({ label: FIELD_LABELS[f], before: before[f], after: after[f] }))

export const businessRows = (before: BusinessFields, after: BusinessFields) =>
  BUSINESS_FIELDS.map((f) => ({ label: businessFieldName(f), before: before[f], after: after[f] }))

/** The qualifications an update registers and removes. */
export const qualificationChangeTable = (changes: { added: Qualification[]; removed: Qualification[] }) =>
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
export const theirChanges = (changes: FieldChange[]) =>
  changes.length === 0
    ? ''
    : html`<table class="comparison">
  <caption>先に登録された変更</caption>
  <thead><tr><th scope="col">項目</th><th scope="col">入力を始めたときの内容</th><th scope="col">現在の登録内容</th></tr></thead>
  <tbody>${changes.map((c) => html`<tr><th scope="row">${c.label}</th><td>${c.before || '—'}</td><td>${c.after || '—'}</td></tr>`)}</tbody>
</table>`

/** A card read of 電子証明書情報's own: for [追加] (the certificate to add) or [削除] (who removes it). */
export type CertificateReadScreen = {
  title: string
  action: string
  intro: Html
  fileHeading: string
  back: string
  /** Fields of the screen's own before the cards (the add screen's 電子証明書種別). */
  before?: (kind: CertificateKind) => Html
}

/** 電子証明書種別, as the manual's 電子証明書更新 screens offer it. */
export type CertificateKind = 'private' | 'my-number'

/**
 * Why a My Number card's certificate is not added on 利用者情報更新, said on the screen before
 * anyone tries: it proves who a person is, not that they are this business's representative or
 * agent (it names no organisation), so a My Number card signs in only an agent whose authority is
 * an electronic mandate, registered through 利用者登録.
 */
export const MY_NUMBER_NOT_ADDED =
  'マイナンバーカードの電子証明書は、ここでは追加できません。マイナンバーカードの電子証明書はご本人であることだけを証明し、この事業者の代表者や代理人であることは証明しないためです。マイナンバーカードで手続きをする場合は、電子委任状を受けた代理人として利用者登録を行ってください。マイナンバーカードを更新したときは、ログイン画面の「電子証明書更新」から更新してください。'

const certificateKindField = (kind: CertificateKind) => html`<fieldset class="field">
  <legend>電子証明書種別</legend>
  <span class="choice"><input type="radio" id="kind-private" name="kind" value="private"${kind === 'private' ? ' checked' : ''}> <label for="kind-private">民間の電子証明書（ICカード・ファイルタイプ）</label></span>
  <span class="choice"><input type="radio" id="kind-my-number" name="kind" value="my-number"${kind === 'my-number' ? ' checked' : ''} aria-describedby="kind-my-number-hint"> <label for="kind-my-number">マイナンバーカード</label></span>
  <p class="hint" id="kind-my-number-hint">${MY_NUMBER_NOT_ADDED}</p>
</fieldset>`

export const ADD_SCREEN: CertificateReadScreen = {
  title: CERTIFICATE_CHOICE_TITLE,
  action: '/user/certificates/add',
  intro: html`<p>追加する電子証明書のカードを選び、PINを入力して［読込］を押してください。ファイルタイプの電子証明書は、ファイルとパスワードで読み込みます。読み込んだ電子証明書は、入力画面の電子証明書情報に追加されます（［確認］［更新］を押すまで登録されません）。</p>`,
  fileHeading: 'ファイルタイプの電子証明書を読み込む',
  back: '入力画面に戻る（追加しない）',
  before: certificateKindField,
}

export const removalScreen = (certificate: Certificate): CertificateReadScreen => ({
  title: REMOVAL_READ_TITLE,
  action: `/user/certificates/remove/${certificate.id}`,
  intro: html`<p>次の電子証明書を削除します。ご本人の確認のため、登録されている電子証明書（削除するものでも、ほかのものでも構いません）のカードを選び、PINを入力して［読込］を押してください。削除は［確認］［更新］を押すまで行われません。</p>
${certificateTable([certificate], { caption: '削除する電子証明書' })}`,
  fileHeading: 'ファイルタイプの電子証明書で確認する',
  back: '入力画面に戻る（削除しない）',
})

export const certificateReadPage = (
  cardsInReach: UseCases['cards']['inReach'],
  screen: CertificateReadScreen,
  csrfToken: string,
  state: { cardId?: string; message?: CardMessage; kind?: CertificateKind } = {},
) =>
  html`${screen.intro}
${cardReadForms({
  action: screen.action,
  csrfToken,
  cardsInReach,
  state,
  ...(screen.before && { before: screen.before(state.kind ?? 'private') }),
  button: '読込',
  fileHeading: screen.fileHeading,
  fileButton: 'ファイルを読込',
})}
<p><a href="/user/edit">${screen.back}</a></p>`
