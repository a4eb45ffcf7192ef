/** F1's input form: the name and label of each field, its options, and the form as the core takes it. */
import { z } from 'zod'
import {
  BUSINESS_FIELDS,
  type BusinessField,
  type BusinessFields,
  businessFieldName,
  FIELD_LABELS,
  USER_FIELDS,
  type UserField,
  type UserFields,
} from '../../core/domain/account.ts'
import type { BusinessInput, UserInput } from '../../core/domain/account-rules.ts'
import type { QualificationInput } from '../../core/domain/qualifications.ts'
import type { UpdateInput } from '../../core/use-cases/user-update/user-update.ts'

/** The form's name for each business field: stable, and apart from the user fields' names. */
export const BUSINESS_FORM_NAMES: Record<BusinessField, string> = {
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
export const QUALIFICATION_FORM_NAMES: Record<keyof QualificationInput, string> = {
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

export const EMPTY_QUALIFICATION: QualificationInput = {
  supplierCode: '',
  kind: '',
  grade: '',
  regions: [],
  firstYear: '',
}

/** A text field as sent: a field sent twice (a hand-made request) counts as empty. */
const text = z
  .unknown()
  .optional()
  .transform((v) => (typeof v === 'string' ? v : ''))
/** A text field the form may not have: absent stays absent, so that the core can tell a field an agent may not change from one they left empty. */
const present = z
  .unknown()
  .transform((v) => (typeof v === 'string' ? v : ''))
  .optional()

/** What a press of one of the input screen's buttons asks for (the button's `action` value). */
export type EditAction =
  | { kind: 'confirm' }
  | { kind: 'add-qualification' }
  | { kind: 'add-certificate' }
  | { kind: 'remove-certificate'; certificateId: string }
  | { kind: 'remove-qualification'; qualificationId: string }

const EditActionField = z
  .unknown()
  .optional()
  .transform((value): EditAction => {
    if (value === 'add-qualification' || value === 'add-certificate') return { kind: value }
    // [削除] buttons carry what they remove after the colon: remove-certificate:<id>.
    const [kind, id] = typeof value === 'string' ? value.split(/:(.*)/s) : []
    if (kind === 'remove-certificate' && id !== undefined) return { kind, certificateId: id }
    if (kind === 'remove-qualification' && id !== undefined) return { kind, qualificationId: id }
    return { kind: 'confirm' }
  })

/**
 * The input screen's one form, whichever button sent it: the action, the user's and (on the
 * representative's screen) the business's fields, and 資格情報選択. zod at the edge reads the
 * form as strings; the core judges their content.
 */
export const EditForm = z
  .object({
    action: EditActionField,
    ...Object.fromEntries([...USER_FIELDS, 'emailConfirmation'].map((field) => [field, present])),
    ...Object.fromEntries(BUSINESS_FIELDS.map((field) => [BUSINESS_FORM_NAMES[field], present])),
    [QUALIFICATION_FORM_NAMES.supplierCode]: text,
    [QUALIFICATION_FORM_NAMES.kind]: text,
    [QUALIFICATION_FORM_NAMES.grade]: text,
    [QUALIFICATION_FORM_NAMES.regions]: z
      .unknown()
      .optional()
      .transform((v) => (Array.isArray(v) ? v : [v]).filter((r): r is string => typeof r === 'string')),
    [QUALIFICATION_FORM_NAMES.firstYear]: text,
  })
  .transform((form: Record<string, unknown>) => {
    const sent = (name: string) => form[name] as string | undefined
    const user: UserInput = {}
    for (const field of [...USER_FIELDS, 'emailConfirmation'] as const) {
      const value = sent(field)
      if (value !== undefined) user[field] = value
    }
    const business: BusinessInput = {}
    for (const field of BUSINESS_FIELDS) {
      const value = sent(BUSINESS_FORM_NAMES[field])
      if (value !== undefined) business[field] = value
    }
    const input: UpdateInput = { user, business: Object.keys(business).length > 0 ? business : undefined }
    const qualification: QualificationInput = {
      supplierCode: sent(QUALIFICATION_FORM_NAMES.supplierCode) ?? '',
      kind: sent(QUALIFICATION_FORM_NAMES.kind) ?? '',
      grade: sent(QUALIFICATION_FORM_NAMES.grade) ?? '',
      regions: form[QUALIFICATION_FORM_NAMES.regions] as string[],
      firstYear: sent(QUALIFICATION_FORM_NAMES.firstYear) ?? '',
    }
    return { action: form.action as EditAction, input, qualification }
  })

/** What the input screen shows: every field as text, the e-mail twice. */
export type FormValues = { user: UserInput; business?: BusinessInput }

export const formValuesOf = (user: UserFields, business?: BusinessFields): FormValues => ({
  user: { ...user, emailConfirmation: user.email },
  business,
})

type FieldOptions = {
  required?: boolean
  type?: 'text' | 'email' | 'tel'
  autocomplete?: string
  hint?: string
}

export const USER_FIELD_OPTIONS: Record<UserField | 'emailConfirmation', FieldOptions> = {
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

export const BUSINESS_FIELD_OPTIONS: Record<BusinessField, FieldOptions> = {
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
export const SUMMARY_LABELS: Record<string, string> = {
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
