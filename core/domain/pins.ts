/**
 * PINs as people type them, and the rules of a My Number card's two PINs (J-LIS's), checked
 * before a card counts a try. An IME gives full-width digits and letters (「１２３４」,
 * 「ＡＢＣ１２３」), and the signing PIN is often typed in lower case: as the JPKI client
 * software does, a PIN is normalised (NFKC, then upper case for the signing PIN) before the rules
 * and before the card sees it. An IC card's PIN is normalised to half width only (its case may
 * matter); a file's password is taken exactly as typed, for the file was locked with it so.
 */
import type { PinKind } from '../ports.ts'

export const normalisePin = (kind: PinKind, typed: string): string => {
  if (kind === 'file') return typed
  const halfWidth = typed.normalize('NFKC')
  return kind === 'my-number-signing' ? halfWidth.toUpperCase() : halfWidth
}

/** The format each My Number PIN must have; a PIN of another form is refused without a try. */
export const MY_NUMBER_PIN_RULES = {
  'my-number-user-authentication': {
    pattern: /^\d{4}$/,
    message: '利用者証明用電子証明書のパスワードは数字4桁です。',
  },
  'my-number-signing': {
    pattern: /^[A-Z0-9]{6,16}$/,
    message: '署名用電子証明書のパスワードは、英字と数字の6〜16文字です。',
  },
} as const satisfies Partial<Record<PinKind, { pattern: RegExp; message: string }>>

/** Why a normalised My Number PIN cannot be right, before the card counts a try; undefined if it may be. */
export const myNumberPinFormatError = (kind: PinKind, pin: string): string | undefined => {
  const rule =
    kind === 'my-number-user-authentication' || kind === 'my-number-signing'
      ? MY_NUMBER_PIN_RULES[kind]
      : undefined
  return rule && !rule.pattern.test(pin) ? rule.message : undefined
}
