/**
 * Rules for the text a user types, used by every form. Each rule normalises what it can
 * (full-width digits, hyphens, surrounding spaces) and otherwise says, in Japanese, what is wrong.
 * The browser may repeat a rule; this module is the rule.
 */
import { err, ok, type Result } from './result.ts'

/** A refusal of one field, worded for the person who typed it. */
export type FieldRefusal = string

const FULL_WIDTH_DIGITS = /[０-９]/g
const HYPHENS = /[‐‑‒–—―−ー－ｰ]/g

/** Full-width digits and the many hyphen look-alikes become ASCII; surrounding spaces go. */
export const normaliseDigits = (value: string): string =>
  value
    .trim()
    .replace(FULL_WIDTH_DIGITS, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(HYPHENS, '-')

/** 郵便番号: 7 digits, with or without a hyphen after the third; stored as 123-4567. */
export const postalCode = (value: string): Result<string, FieldRefusal> => {
  const v = normaliseDigits(value)
  if (v === '') return err('郵便番号を入力してください。')
  const m = /^(\d{3})-?(\d{4})$/.exec(v)
  if (!m) return err('郵便番号は7桁の数字で入力してください（例: 100-0013）。')
  return ok(`${m[1]}-${m[2]}`)
}

/**
 * 電話番号 and FAX番号: a Japanese number of 10 or 11 digits starting with 0, hyphens optional
 * (03-1234-5678, 0312345678, 090-1234-5678). Kept as typed, normalised to ASCII.
 */
const phoneLike = (label: string, value: string): Result<string, FieldRefusal> => {
  const v = normaliseDigits(value)
    .replace(/[()（）\s]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
  const digits = v.replace(/-/g, '')
  if (!/^[\d-]+$/.test(v) || v.startsWith('-') || v.endsWith('-')) {
    return err(`${label}は数字とハイフンで入力してください（例: 03-1234-5678）。`)
  }
  if (!/^0\d{9,10}$/.test(digits)) {
    return err(`${label}は0から始まる10桁または11桁の番号で入力してください（例: 03-1234-5678）。`)
  }
  return ok(v)
}

export const phoneNumber = (value: string): Result<string, FieldRefusal> =>
  normaliseDigits(value) === '' ? err('電話番号を入力してください。') : phoneLike('電話番号', value)

/** FAX番号 is optional: an empty entry is an empty value. */
export const faxNumber = (value: string): Result<string, FieldRefusal> =>
  normaliseDigits(value) === '' ? ok('') : phoneLike('FAX番号', value)

/**
 * メールアドレス. A pragmatic check (one @, a dotted domain, no spaces), since the
 * real test is the mail that is sent to it.
 */
export const emailAddress = (value: string): Result<string, FieldRefusal> => {
  const v = value.trim()
  if (v === '') return err('メールアドレスを入力してください。')
  if (v.length > 254) return err('メールアドレスは254文字以内で入力してください。')
  if (/[^\x21-\x7e]/.test(v)) return err('メールアドレスは半角英数字と記号で入力してください。')
  if (!/^[^@]+@[^@.]+(\.[^@.]+)+$/.test(v)) {
    return err('メールアドレスの形式が正しくありません（例: taro@example.co.jp）。')
  }
  return ok(v)
}

/** Free text such as 役職名 or 住所: trimmed, required or not, within a length. */
export const freeText = (
  label: string,
  value: string,
  limits: { required: boolean; maxLength: number },
): Result<string, FieldRefusal> => {
  const v = value.trim()
  if (!v.isWellFormed()) return err(`${label}に読み取れない文字が含まれています。入力し直してください。`)
  if (v === '') return limits.required ? err(`${label}を入力してください。`) : ok('')
  if ([...v].length > limits.maxLength)
    return err(`${label}は${limits.maxLength}文字以内で入力してください。`)
  if ([...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    return err(`${label}に使用できない制御文字が含まれています。`)
  return ok(v)
}

/** メールアドレス(確認): the second entry must repeat the first. */
export const sameEmailAgain = (email: string, confirmation: string): Result<string, FieldRefusal> =>
  email.trim() === confirmation.trim()
    ? ok(email.trim())
    : err('メールアドレス(確認)がメールアドレスと一致しません。')
