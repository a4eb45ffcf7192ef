import { describe, expect, it } from 'vitest'
import { EditForm } from './fields.ts'

describe("F1's input form, read by its schema", () => {
  it('gives each button its action, with what a [削除] removes', () => {
    const action = (value: unknown) => EditForm.parse({ action: value }).action
    expect(action(undefined)).toEqual({ kind: 'confirm' })
    expect(action('confirm')).toEqual({ kind: 'confirm' })
    expect(action('add-qualification')).toEqual({ kind: 'add-qualification' })
    expect(action('add-certificate')).toEqual({ kind: 'add-certificate' })
    expect(action('remove-certificate:c-1')).toEqual({ kind: 'remove-certificate', certificateId: 'c-1' })
    expect(action('remove-qualification:q:2')).toEqual({
      kind: 'remove-qualification',
      qualificationId: 'q:2',
    })
    // What no button sends is [確認], which checks everything and changes nothing by itself.
    expect(action('remove-certificate')).toEqual({ kind: 'confirm' })
    expect(action(['add-certificate', 'confirm'])).toEqual({ kind: 'confirm' })
  })

  it('keeps a field the form did not send absent, and reads one sent twice as empty', () => {
    const { input } = EditForm.parse({ title: '部長', phone: ['03-1', '03-2'] })
    expect(input.user).toEqual({ title: '部長', phone: '' })
    expect('email' in input.user).toBe(false)
    expect(input.business).toBeUndefined()
  })

  it("reads the representative's business fields by their own names, and 資格情報選択 with its regions", () => {
    const one = EditForm.parse({
      businessName: '株式会社サンプル商事',
      businessPhone: '03-1234-5678',
      qualificationKind: '役務の提供等',
      qualificationRegions: '近畿',
    })
    expect(one.input.business).toEqual({ name: '株式会社サンプル商事', phone: '03-1234-5678' })
    expect(one.qualification).toEqual({
      supplierCode: '',
      kind: '役務の提供等',
      grade: '',
      regions: ['近畿'],
      firstYear: '',
    })
    const two = EditForm.parse({ qualificationRegions: ['近畿', '関東・甲信越', 3] })
    expect(two.qualification.regions).toEqual(['近畿', '関東・甲信越'])
  })
})
