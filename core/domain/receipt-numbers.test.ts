import { describe, expect, it } from 'vitest'
import { RECEIPT_NUMBER_PATTERN, receiptNumberOf } from './receipt-numbers.ts'

describe('受付番号', () => {
  it('is the day in Japan and the number, at least six digits', () => {
    expect(receiptNumberOf(new Date('2026-12-03T02:00:00Z'), 123)).toBe('20261203-000123')
    // 23:30 UTC is already the next morning in Japan.
    expect(receiptNumberOf(new Date('2026-12-03T23:30:00Z'), 7)).toBe('20261204-000007')
    expect(receiptNumberOf(new Date('2026-12-03T02:00:00Z'), 12_345_678)).toBe('20261203-12345678')
    expect(RECEIPT_NUMBER_PATTERN.test('20261203-000123')).toBe(true)
    expect(RECEIPT_NUMBER_PATTERN.test('2026-12-03')).toBe(false)
  })
})
