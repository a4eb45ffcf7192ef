import { describe, expect, it } from 'vitest'
import {
  corporateNumber,
  emailAddress,
  faxNumber,
  freeText,
  kana,
  phoneNumber,
  postalCode,
  sameEmailAgain,
} from './text-rules.ts'

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

describe('電話番号 and FAX番号: one form, hyphenated by the area code', () => {
  it.each([
    ['03-1234-5678', '03-1234-5678'],
    ['0312345678', '03-1234-5678'],
    ['090-1234-5678', '090-1234-5678'],
    ['09012345678', '090-1234-5678'],
    ['0466123456', '0466-12-3456'],
    ['0466-123-456', '0466-12-3456'],
    ['045-2345678', '045-234-5678'],
    ['0120123456', '0120-123-456'],
    ['０３－１２３４－５６７８', '03-1234-5678'],
    ['(03)1234-5678', '03-1234-5678'],
    ['03 1234 5678', '03-1234-5678'],
    ['03(1234)5678', '03-1234-5678'],
    ['０３（１２３４）５６７８', '03-1234-5678'],
  ])('accepts %s', (typed, stored) => {
    expect(phoneNumber(typed)).toEqual({ ok: true, value: stored })
  })
  it.each(['', '1234-5678', '03-1234-567', '03-1234-56789-0', 'abc', '03--1234', '0501234567'])(
    'refuses %j',
    (typed) => {
      const result = phoneNumber(typed)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error).toMatch(/電話番号/)
    },
  )
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
    `${'a'.repeat(65)}@example.jp`,
  ])('refuses %j', (typed) => {
    expect(emailAddress(typed).ok).toBe(false)
  })
  it('takes an address typed in full width as the half-width one, and a local part of 64 characters', () => {
    expect(emailAddress('ｈａｎａｋｏ＠ｓａｍｐｌｅ－ｓｈｏｊｉ．ｅｘａｍｐｌｅ．ｊｐ')).toEqual({
      ok: true,
      value: 'hanako@sample-shoji.example.jp',
    })
    expect(emailAddress(`${'a'.repeat(64)}@example.jp`).ok).toBe(true)
    expect(emailAddress(`${'a'.repeat(65)}@example.jp`)).toEqual({
      ok: false,
      error: 'メールアドレスの@より前は64文字以内で入力してください。',
    })
    expect(sameEmailAgain('ａ＠example.jp', 'a@example.jp')).toEqual({ ok: true, value: 'a@example.jp' })
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

describe('法人番号', () => {
  it.each([
    ['7000012050002', '7000012050002'], // the National Tax Agency
    ['7123456789012', '7123456789012'], // the demo business
    ['７０００ー０１２０ー５０００２', '7000012050002'],
  ])('accepts %s', (typed, stored) => {
    expect(corporateNumber(typed)).toEqual({ ok: true, value: stored })
  })
  it('refuses a wrong check digit, naming it', () => {
    expect(corporateNumber('1000012050002')).toEqual({
      ok: false,
      error: '法人番号の先頭の1桁（チェックデジット）が残りの12桁と合いません。番号をお確かめください。',
    })
    expect(corporateNumber('6123456789012').ok).toBe(false)
  })
  it.each(['', '700001205000', '70000120500021', '700001205000X'])('refuses %j', (typed) => {
    const result = corporateNumber(typed)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatch(/^法人番号/)
  })
})

describe('フリガナ', () => {
  it.each([
    ['チョウタツ タロウ', 'チョウタツ タロウ'],
    ['ﾁｮｳﾀﾂ ﾀﾛｳ', 'チョウタツ タロウ'],
    ['ｶﾌﾞｼｷｶﾞｲｼｬ ﾊﾟﾝ', 'カブシキガイシャ パン'],
    ['ちょうたつ　たろう', 'チョウタツ タロウ'],
    ['サンプル１２３', 'サンプル123'],
    ['コーヒー・ショップ', 'コーヒー・ショップ'],
  ])('takes %j as %j', (typed, stored) => {
    expect(kana('フリガナ', typed, { required: true, maxLength: 50 })).toEqual({ ok: true, value: stored })
  })
  it('refuses what is not katakana, naming the characters', () => {
    expect(kana('フリガナ', '調達 タロウ', { required: true, maxLength: 50 })).toEqual({
      ok: false,
      error:
        'フリガナは全角カタカナで入力してください（例: チョウタツ タロウ）。「調」「達」は使用できません。',
    })
    expect(kana('フリガナ', '', { required: true, maxLength: 50 })).toEqual({
      ok: false,
      error: 'フリガナを入力してください。',
    })
  })
})

describe('characters GEPS cannot store', () => {
  it('names each one, with the usual replacement where there is one', () => {
    expect(freeText('代表者氏名', '髙橋 﨑子', { required: true, maxLength: 30 })).toEqual({
      ok: false,
      error:
        '代表者氏名に、政府電子調達システム(GEPS)に登録できない文字「髙」「﨑」が含まれています。「髙」は「高」、「﨑」は「崎」に置き換えてください。',
    })
    const circled = freeText('住所', '霞が関①-1', { required: true, maxLength: 100 })
    expect(circled).toMatchObject({
      ok: false,
      error: expect.stringContaining('「①」は「1」に置き換えてください'),
    })
    const emoji = freeText('役職名', '部長😀', { required: false, maxLength: 50 })
    expect(emoji).toMatchObject({
      ok: false,
      error: expect.stringContaining('「😀」は別の文字に置き換えるか、削除してください'),
    })
    expect(freeText('商号又は名称', '㈱サンプル', { required: true, maxLength: 100 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('「㈱」は「(株)」'),
    })
  })
  it('accepts JIS X 0208 and ASCII, and stores a character typed under its other code point as GEPS does', () => {
    expect(
      freeText('住所', '東京都千代田区霞が関３丁目1-1 ＡＢＣビル', { required: true, maxLength: 100 }).ok,
    ).toBe(true)
    expect(freeText('住所', '堯 凜 熙', { required: true, maxLength: 100 }).ok).toBe(true)
    expect(freeText('住所', '1〜3番地', { required: true, maxLength: 100 })).toEqual({
      ok: true,
      value: '1～3番地',
    })
    expect(freeText('商号又は名称', 'ｻﾝﾌﾟﾙ商事', { required: true, maxLength: 100 })).toEqual({
      ok: true,
      value: 'サンプル商事',
    })
  })
})
