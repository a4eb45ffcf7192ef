import { describe, expect, it } from 'vitest'
import {
  applyStaged,
  currentCycle,
  periodName,
  type Qualification,
  registrablePeriods,
  reiwaFiscalYear,
  stageAddition,
  stageRemoval,
  validateQualification,
} from './qualifications.ts'

const NOW = new Date('2026-11-27T10:00:00Z') // 令和8年度: the cycle 令和7・8・9年度

const input = (overrides: Partial<Parameters<typeof validateQualification>[0]> = {}) => ({
  supplierCode: '0000012345',
  kind: '物品の販売',
  grade: 'B',
  regions: ['関東・甲信越'],
  firstYear: '7',
  ...overrides,
})

describe('有効期間', () => {
  it('follows the fiscal year (from 1 April, Japan time) and the three-year cycles', () => {
    expect(reiwaFiscalYear(new Date('2026-03-31T14:59:00Z'))).toBe(7)
    expect(reiwaFiscalYear(new Date('2026-03-31T15:00:00Z'))).toBe(8)
    // The next cycle only in the current cycle's last year, when its qualifications are granted.
    expect(registrablePeriods(NOW)).toEqual([7])
    expect(registrablePeriods(new Date('2027-06-01T00:00:00Z'))).toEqual([7, 10])
    expect(registrablePeriods(new Date('2028-04-01T00:00:00Z'))).toEqual([10])
    expect(periodName(7)).toBe('令和7・8・9年度')
  })

  it('turns at midnight Japan time, whatever the time zone of the machine', () => {
    const at = (text: string) => new Date(text)
    // The last minute of 令和8年度 and the first of 令和9年度, the cycle 令和7・8・9年度's last year.
    expect(registrablePeriods(at('2027-03-31T23:59:30+09:00'))).toEqual([7])
    expect(registrablePeriods(at('2027-04-01T00:00:30+09:00'))).toEqual([7, 10])
    // The cycle's last day, and the first of the next cycle.
    expect(registrablePeriods(at('2028-03-31T12:00:00+09:00'))).toEqual([7, 10])
    expect(currentCycle(at('2028-03-31T23:59:59+09:00'))).toBe(7)
    expect(currentCycle(at('2028-04-01T00:00:00+09:00'))).toBe(10)
    expect(registrablePeriods(at('2028-04-01T00:00:00+09:00'))).toEqual([10])
    expect(currentCycle(at('2031-06-15T12:00:00+09:00'))).toBe(13)
    expect(periodName(currentCycle(at('2031-06-15T12:00:00+09:00')))).toBe('令和13・14・15年度')
  })
})

describe('validateQualification', () => {
  it('accepts a qualification of the current cycle, and in its last year of the next, normalising the 業者コード', () => {
    expect(validateQualification(input({ supplierCode: '００００１２３４５' }), NOW)).toEqual({
      ok: true,
      value: {
        supplierCode: '000012345',
        kind: '物品の販売',
        grade: 'B',
        regions: ['関東・甲信越'],
        firstYear: 7,
      },
    })
    expect(validateQualification(input({ firstYear: '10' }), NOW).ok).toBe(false)
    expect(validateQualification(input({ firstYear: '10' }), new Date('2027-06-01T00:00:00Z')).ok).toBe(true)
  })

  it('refuses each field by name', () => {
    const result = validateQualification(
      { supplierCode: 'ABC', kind: '建設工事', grade: 'E', regions: [], firstYear: '4' },
      NOW,
    )
    expect(result).toEqual({
      ok: false,
      error: {
        supplierCode: '業者コードは資格審査結果通知書に記載の数字（10桁以内）で入力してください。',
        kind: '資格の種類を選択してください。',
        grade: '等級を選択してください。',
        regions: '競争参加地域を1つ以上選択してください。',
        firstYear: '有効期間は令和7・8・9年度から選択してください。',
      },
    })
  })

  it('gives 物品の買受け no grade D, the other kinds A to D', () => {
    expect(validateQualification(input({ kind: '物品の買受け', grade: 'D' }), NOW)).toEqual({
      ok: false,
      error: { grade: '物品の買受けの等級はA、B、Cのいずれかです（Dはありません）。' },
    })
    expect(validateQualification(input({ kind: '物品の買受け', grade: 'C' }), NOW).ok).toBe(true)
    expect(validateQualification(input({ kind: '物品の製造', grade: 'D' }), NOW).ok).toBe(true)
  })

  it('takes only the eight regions', () => {
    expect(validateQualification(input({ regions: ['関東・甲信越', '月面'] }), NOW)).toMatchObject({
      ok: false,
      error: { regions: '競争参加地域は一覧から選択してください。' },
    })
  })
})

describe('staging', () => {
  const registered: Qualification[] = [
    { id: 'q1', supplierCode: '1', kind: '役務の提供等', grade: 'A', regions: ['近畿'], firstYear: 7 },
  ]
  const nothing = { added: [], removed: [] }

  it('refuses the same kind twice in one cycle, registered or staged', () => {
    const again = stageAddition(registered, nothing, { ...registered[0], id: undefined } as never)
    expect(again).toMatchObject({
      ok: false,
      error: { kind: expect.stringContaining('令和7・8・9年度の「役務の提供等」はすでに') },
    })
    const other = stageAddition(registered, nothing, {
      supplierCode: '1',
      kind: '物品の販売',
      grade: 'B',
      regions: ['近畿'],
      firstYear: 7,
    })
    expect(other.ok).toBe(true)
    if (!other.ok) return
    const twice = stageAddition(registered, other.value, {
      supplierCode: '1',
      kind: '物品の販売',
      grade: 'C',
      regions: ['四国'],
      firstYear: 7,
    })
    expect(twice.ok).toBe(false)
    const nextCycle = stageAddition(registered, nothing, { ...registered[0], firstYear: 10 } as never)
    expect(nextCycle.ok).toBe(true)
  })

  it('removes a staged addition outright, and stages the removal of a registered one', () => {
    const added = stageAddition(registered, nothing, {
      supplierCode: '1',
      kind: '物品の販売',
      grade: 'B',
      regions: ['近畿'],
      firstYear: 7,
    })
    if (!added.ok) throw new Error('not staged')
    const id = added.value.added[0]?.id ?? ''
    expect(stageRemoval(added.value, id)).toEqual({ added: [], removed: [] })
    const removed = stageRemoval(nothing, 'q1')
    expect(removed).toEqual({ added: [], removed: ['q1'] })
    expect(applyStaged(registered, removed)).toEqual([])
    // Removing and adding the same kind again in one cycle is allowed: a replacement.
    expect(stageAddition(registered, removed, { ...registered[0], grade: 'B' } as never).ok).toBe(true)
  })
})
