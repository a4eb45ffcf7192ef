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

export const parseQualification = (form: Record<string, unknown>): QualificationInput => {
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
export const ConfirmForm = z.object({ draftId: z.string().catch('') })

export const parseUpdate = (body: Record<string, unknown>): UpdateInput => {
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
