/**
 * The rules of 利用者基本情報: which fields a role may change, and what each field accepts. Every
 * refusal names its field; every field is checked at once, so a screen can show them together.
 */

import { err, ok, type Result } from '../lib/result.ts'
import {
  BUSINESS_FIELDS,
  type BusinessField,
  type BusinessFields,
  businessFieldName,
  editableUserFields,
  FIELD_LABELS,
  type Role,
  USER_FIELDS,
  type UserField,
  type UserFields,
} from './account.ts'
import {
  emailAddress,
  type FieldRefusal,
  faxNumber,
  freeText,
  kana,
  phoneNumber,
  postalCode,
  sameEmailAgain,
} from './text-rules.ts'

/** What a form sent: a field is absent when the form had no such field. */
export type UserInput = Partial<Record<UserField | 'emailConfirmation', string>>
export type BusinessInput = Partial<Record<BusinessField, string>>

export type UserFieldErrors = Partial<Record<UserField | 'emailConfirmation', FieldRefusal>>
export type BusinessFieldErrors = Partial<Record<BusinessField, FieldRefusal>>

const USER_RULES: Record<UserField, (value: string) => Result<string, FieldRefusal>> = {
  nameKana: (v) => kana(FIELD_LABELS.nameKana, v, { required: true, maxLength: 50 }),
  department: (v) => freeText(FIELD_LABELS.department, v, { required: false, maxLength: 50 }),
  title: (v) => freeText(FIELD_LABELS.title, v, { required: false, maxLength: 50 }),
  postalCode: (v) => postalCode(v),
  address: (v) => freeText(FIELD_LABELS.address, v, { required: true, maxLength: 100 }),
  phone: (v) => phoneNumber(v),
  fax: (v) => faxNumber(v),
  email: (v) => emailAddress(v),
}

const BUSINESS_RULES: Record<BusinessField, (value: string) => Result<string, FieldRefusal>> = {
  name: (v) => freeText(businessFieldName('name'), v, { required: true, maxLength: 100 }),
  nameKana: (v) => kana(businessFieldName('nameKana'), v, { required: true, maxLength: 100 }),
  representativeTitle: (v) =>
    freeText(businessFieldName('representativeTitle'), v, { required: true, maxLength: 30 }),
  representativeName: (v) =>
    freeText(businessFieldName('representativeName'), v, { required: true, maxLength: 30 }),
  representativeNameKana: (v) =>
    kana(businessFieldName('representativeNameKana'), v, { required: true, maxLength: 50 }),
  postalCode: (v) => postalCode(v, businessFieldName('postalCode')),
  address: (v) => freeText(businessFieldName('address'), v, { required: true, maxLength: 100 }),
  phone: (v) => phoneNumber(v, businessFieldName('phone')),
  fax: (v) => faxNumber(v, businessFieldName('fax')),
}

/** The fields of `input` that `role` may not change, if any: the server enforces SPEC §2's table. */
export const forbiddenUserFields = (input: UserInput, role: Role): UserField[] => {
  const editable = editableUserFields(role)
  return USER_FIELDS.filter((f) => input[f] !== undefined && !editable.includes(f))
}

/**
 * The user's fields after the input: each editable field as the input has it (an editable field
 * the form left out counts as empty), every other field as it is now.
 */
export const validateUserFields = (
  input: UserInput,
  role: Role,
  current: UserFields,
): Result<UserFields, UserFieldErrors> => {
  const errors: UserFieldErrors = {}
  const values: UserFields = { ...current }
  for (const field of editableUserFields(role)) {
    const result = USER_RULES[field](input[field] ?? '')
    if (result.ok) values[field] = result.value
    else errors[field] = result.error
  }
  const confirmation = sameEmailAgain(input.email ?? '', input.emailConfirmation ?? '')
  if (!errors.email && !confirmation.ok) errors.emailConfirmation = confirmation.error
  return Object.keys(errors).length > 0 ? err(errors) : ok(values)
}

export const validateBusinessFields = (input: BusinessInput): Result<BusinessFields, BusinessFieldErrors> => {
  const errors: BusinessFieldErrors = {}
  const values: Partial<BusinessFields> = {}
  for (const field of BUSINESS_FIELDS) {
    const result = BUSINESS_RULES[field](input[field] ?? '')
    if (result.ok) values[field] = result.value
    else errors[field] = result.error
  }
  return Object.keys(errors).length > 0 ? err(errors) : ok(values as BusinessFields)
}
