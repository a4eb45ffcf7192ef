/**
 * Rules for the text a user types, used by every form. Each rule normalises what it can
 * (full-width digits, hyphens, surrounding spaces) and otherwise says, in Japanese, what is wrong.
 * The browser may repeat a rule; this module is the rule.
 */

import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { err, ok, type Result } from '../lib/result.ts'
import { normaliseText, unstorableCharacters, usualReplacement } from './jis-x-0208.ts'

/** A refusal of one field, worded for the person who typed it. */
export type FieldRefusal = string

const FULL_WIDTH_DIGITS = /[０-９]/g
const HYPHENS = /[‐‑‒–—―−ー－ｰ]/g

const asciiDigits = (value: string): string =>
  value.replace(FULL_WIDTH_DIGITS, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))

/**
 * For numbers (郵便番号, 電話番号, 法人番号): full-width digits and the many hyphen look-alikes,
 * the long-vowel mark ー among them, become ASCII; surrounding spaces go.
 */
export const normaliseDigits = (value: string): string => asciiDigits(value.trim()).replace(HYPHENS, '-')

/** 郵便番号: 7 digits, with or without a hyphen after the third; stored as 123-4567. */
export const postalCode = (value: string, label = '郵便番号'): Result<string, FieldRefusal> => {
  const v = normaliseDigits(value)
  if (v === '') return err(`${label}を入力してください。`)
  const m = /^(\d{3})-?(\d{4})$/.exec(v)
  if (!m) return err(`${label}は7桁の数字で入力してください（例: 100-0013）。`)
  return ok(`${m[1]}-${m[2]}`)
}

/**
 * 電話番号 and FAX番号: a Japanese number, with or without hyphens or brackets, as the national
 * numbering plan allows it (libphonenumber-js's metadata, kept up to date with the plan). Stored
 * and sent to GEPS in one form, hyphenated by the area code: 0312345670 and 03-1234-5670 are both
 * 03-1234-5670, 0466123456 is 0466-12-3456, 09012345678 is 090-1234-5678.
 */
const phoneLike = (label: string, value: string): Result<string, FieldRefusal> => {
  const v = normaliseDigits(value)
    .replace(/[()（）\s]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
  const digits = v.replace(/-/g, '')
  if (!/^[\d-]+$/.test(v)) {
    return err(`${label}は数字とハイフンで入力してください（例: 03-1234-5678）。`)
  }
  if (!/^0\d{9,10}$/.test(digits)) {
    return err(`${label}は0から始まる10桁または11桁の番号で入力してください（例: 03-1234-5678）。`)
  }
  const number = parsePhoneNumberFromString(digits, 'JP')
  if (!number?.isValid()) {
    return err(`${label}に、国内で使われていない番号が入力されています。市外局番から番号をお確かめください。`)
  }
  return ok(number.formatNational())
}

export const phoneNumber = (value: string, label = '電話番号'): Result<string, FieldRefusal> =>
  normaliseDigits(value) === '' ? err(`${label}を入力してください。`) : phoneLike(label, value)

/** FAX番号 is optional: an empty entry is an empty value. */
export const faxNumber = (value: string, label = 'FAX番号'): Result<string, FieldRefusal> =>
  normaliseDigits(value) === '' ? ok('') : phoneLike(label, value)

/** An address as typed through an IME: full-width letters, digits, ＠ and ． are the ASCII ones. */
const typedAddress = (value: string): string => value.normalize('NFKC').trim()

/**
 * メールアドレス. A pragmatic check (one @, a dotted domain, no spaces, the lengths of RFC 5321),
 * since the real test is the mail that is sent to it. Full width is taken as half width.
 */
export const emailAddress = (value: string): Result<string, FieldRefusal> => {
  const v = typedAddress(value)
  if (v === '') return err('メールアドレスを入力してください。')
  if (v.length > 254) return err('メールアドレスは254文字以内で入力してください。')
  const at = v.lastIndexOf('@')
  if (at > 64) return err('メールアドレスの@より前は64文字以内で入力してください。')
  if (/[^\x21-\x7e]/.test(v)) return err('メールアドレスは半角英数字と記号で入力してください。')
  if (!/^[^@]+@[^@.]+(\.[^@.]+)+$/.test(v)) {
    return err('メールアドレスの形式が正しくありません（例: taro@example.co.jp）。')
  }
  return ok(v)
}

type Limits = { required: boolean; maxLength: number }

/** The checks every text shares: readable, present when required, within its length, no control characters. */
const checkedText = (label: string, v: string, limits: Limits): Result<string, FieldRefusal> => {
  if (!v.isWellFormed()) return err(`${label}に読み取れない文字が含まれています。入力し直してください。`)
  if (v === '') return limits.required ? err(`${label}を入力してください。`) : ok('')
  if ([...v].length > limits.maxLength)
    return err(`${label}は${limits.maxLength}文字以内で入力してください。`)
  if ([...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    return err(`${label}に使用できない制御文字が含まれています。`)
  return ok(v)
}

/** Names the characters GEPS cannot store, with the usual replacement where there is one. */
const unstorableMessage = (label: string, characters: string[]): string => {
  const shown = characters.slice(0, 5)
  const replaceable = shown.flatMap((ch) => {
    const to = usualReplacement(ch)
    return to ? [`「${ch}」は「${to}」`] : []
  })
  const others = shown.filter((ch) => !usualReplacement(ch))
  return [
    `${label}に、政府電子調達システム(GEPS)に登録できない文字${shown.map((ch) => `「${ch}」`).join('')}が含まれています。`,
    replaceable.length > 0 ? `${replaceable.join('、')}に置き換えてください。` : '',
    others.length > 0
      ? `${others.map((ch) => `「${ch}」`).join('')}は別の文字に置き換えるか、削除してください。`
      : '',
  ].join('')
}

/**
 * Free text such as 役職名, 住所 or 商号又は名称: trimmed, half-width katakana made full-width,
 * required or not, within a length, and only characters GEPS can store (ASCII and JIS X 0208).
 */
export const freeText = (label: string, value: string, limits: Limits): Result<string, FieldRefusal> => {
  const checked = checkedText(label, normaliseText(value.trim()), limits)
  if (!checked.ok) return checked
  const unstorable = unstorableCharacters(checked.value)
  return unstorable.length > 0 ? err(unstorableMessage(label, unstorable)) : checked
}

const HIRAGANA = /[\u3041-\u3096]/g

/**
 * フリガナ: full-width katakana. Half-width katakana and hiragana become katakana, full-width
 * digits become digits, runs of spaces one space; anything else is refused, by name.
 */
export const kana = (label: string, value: string, limits: Limits): Result<string, FieldRefusal> => {
  const v = normaliseText(asciiDigits(value.trim()))
    .replace(HIRAGANA, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0x60))
    .replace(/[\s\u3000]+/g, ' ')
  const checked = checkedText(label, v, limits)
  if (!checked.ok || checked.value === '') return checked
  const others = [...new Set([...checked.value].filter((ch) => !/[\u30a1-\u30f6ー・ 0-9]/.test(ch)))]
  if (others.length > 0) {
    return err(
      `${label}は全角カタカナで入力してください（例: チョウタツ タロウ）。${others
        .slice(0, 5)
        .map((ch) => `「${ch}」`)
        .join('')}は使用できません。`,
    )
  }
  return checked
}

/**
 * 法人番号: 13 digits, the first a check digit over the other twelve (the National Tax Agency's
 * rule: 9 − (Σ Pn × Qn mod 9), Pn the n-th digit from the right, Qn 1 for odd n and 2 for even).
 */
export const corporateNumber = (value: string): Result<string, FieldRefusal> => {
  const v = normaliseDigits(value).replace(/-/g, '')
  if (v === '') return err('法人番号を入力してください。')
  if (!/^\d{13}$/.test(v)) return err('法人番号は13桁の数字で入力してください。')
  const base = [...v.slice(1)].reverse().map(Number)
  const sum = base.reduce((total, digit, i) => total + digit * (i % 2 === 0 ? 1 : 2), 0)
  if (9 - (sum % 9) !== Number(v[0])) {
    return err('法人番号の先頭の1桁（チェックデジット）が残りの12桁と合いません。番号をお確かめください。')
  }
  return ok(v)
}

/** メールアドレス(確認): the second entry must repeat the first. */
export const sameEmailAgain = (email: string, confirmation: string): Result<string, FieldRefusal> =>
  typedAddress(email) === typedAddress(confirmation)
    ? ok(typedAddress(email))
    : err('メールアドレス(確認)がメールアドレスと一致しません。')
