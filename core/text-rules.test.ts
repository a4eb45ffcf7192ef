import { describe, expect, it } from 'vitest'
import { emailAddress, faxNumber, freeText, phoneNumber, postalCode, sameEmailAgain } from './text-rules.ts'

describe('郵便番号', () => {
  it.each([
    ['1000013', '100-0013'],
    ['100-0013', '100-0013'],
    ['１００－００１３', '100-0013'],
    ['１００００１３', '100-0013'],
    [' 100ー0013 ', '100-0013'],
  ])('accepts %s as %s', (typed, stored) => {
    expect(postalCode(typed)).toEqual({ ok: true, value: stored })
  })
  it.each(['', '100-001', '10000130', '100-00a3', '1000-013'])(
    'refuses %j with a message in Japanese',
    (typed) => {
      const result = postalCode(typed)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error).toMatch(/郵便番号/)
    },
  )
})

describe('電話番号 and FAX番号', () => {
  it.each([
    ['03-1234-5678', '03-1234-5678'],
    ['0312345678', '0312345678'],
    ['090-1234-5678', '090-1234-5678'],
    ['０３－１２３４－５６７８', '03-1234-5678'],
    ['(03)1234-5678', '03-1234-5678'],
    ['03 1234 5678', '03-1234-5678'],
    ['03(1234)5678', '03-1234-5678'],
    ['０３（１２３４）５６７８', '03-1234-5678'],
  ])('accepts %s', (typed, stored) => {
    expect(phoneNumber(typed)).toEqual({ ok: true, value: stored })
  })
  it.each(['', '1234-5678', '03-1234-567', '03-1234-56789-0', 'abc', '03--1234'])('refuses %j', (typed) => {
    const result = phoneNumber(typed)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatch(/電話番号/)
  })
  it('takes an empty FAX番号 as none, and checks one that is given', () => {
    expect(faxNumber('')).toEqual({ ok: true, value: '' })
    expect(faxNumber('03-1234-5679')).toEqual({ ok: true, value: '03-1234-5679' })
    const bad = faxNumber('12')
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error).toMatch(/^FAX番号/)
  })
})

describe('メールアドレス', () => {
  it('accepts an address and trims it', () => {
    expect(emailAddress(' hanako@sample-shoji.example.jp ')).toEqual({
      ok: true,
      value: 'hanako@sample-shoji.example.jp',
    })
  })
  it.each([
    '',
    'hanako',
    'hanako@',
    'hanako@example',
    'ha nako@example.jp',
    'はなこ@example.jp',
    'a@b@example.jp',
  ])('refuses %j', (typed) => {
    expect(emailAddress(typed).ok).toBe(false)
  })
  it('asks for the same address twice', () => {
    expect(sameEmailAgain('a@example.jp', 'a@example.jp').ok).toBe(true)
    const differs = sameEmailAgain('a@example.jp', 'b@example.jp')
    expect(differs).toEqual({ ok: false, error: 'メールアドレス(確認)がメールアドレスと一致しません。' })
  })
})

describe('free text', () => {
  it('enforces required, length and control characters, naming the field', () => {
    expect(freeText('住所', '', { required: true, maxLength: 5 })).toEqual({
      ok: false,
      error: '住所を入力してください。',
    })
    expect(freeText('役職名', '', { required: false, maxLength: 5 })).toEqual({ ok: true, value: '' })
    expect(freeText('住所', '東京都千代田区', { required: true, maxLength: 5 })).toEqual({
      ok: false,
      error: '住所は5文字以内で入力してください。',
    })
    expect(freeText('住所', 'a\u0007b', { required: true, maxLength: 5 }).ok).toBe(false)
    expect(freeText('住所', 'a\ud800b', { required: true, maxLength: 5 })).toEqual({
      ok: false,
      error: '住所に読み取れない文字が含まれています。入力し直してください。',
    })
  })
})
