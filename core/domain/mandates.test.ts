import { describe, expect, it } from 'vitest'
import { type Mandate, mandateInForce, mandateProblems, PROCUREMENT_AUTHORITY } from './mandates.ts'

const NOW = new Date('2026-11-27T09:00:00Z')
const expected = {
  corporateNumber: '7123456789012',
  businessName: '株式会社サンプル商事',
  agentName: '委任 次郎',
}
const good: Mandate = {
  delegator: {
    corporateNumber: '7123456789012',
    businessName: '株式会社サンプル商事',
    representativeName: '調達 太郎',
  },
  delegate: { name: '委任 次郎' },
  authorities: ['入札', PROCUREMENT_AUTHORITY],
  validFrom: new Date('2026-11-01T00:00:00Z'),
  validTo: new Date('2027-10-31T23:59:59Z'),
  providerId: 'provider-a',
  referenceNumber: 'POA-2026-0001',
}

describe('mandateProblems', () => {
  it('finds none in a mandate of this business, for this agent, in force, with the procurement authority', () => {
    expect(mandateProblems(good, expected, NOW)).toEqual([])
    expect(mandateInForce(good, NOW)).toBe(true)
  })

  it('takes the agent’s name with a full-width space, or none, as the same name', () => {
    for (const name of ['委任　次郎', '委任次郎']) {
      expect(mandateProblems({ ...good, delegate: { name } }, expected, NOW)).toEqual([])
    }
  })

  it('names another delegator, by name and 法人番号', () => {
    const other = {
      ...good,
      delegator: { ...good.delegator, corporateNumber: '1234567890123', businessName: '株式会社ほかの商事' },
    }
    expect(mandateProblems(other, expected, NOW)).toEqual([
      {
        kind: 'other-delegator',
        expected: '株式会社サンプル商事（法人番号 7123456789012）',
        presented: '株式会社ほかの商事（法人番号 1234567890123）',
      },
    ])
  })

  it('names another delegate', () => {
    expect(mandateProblems({ ...good, delegate: { name: '別人 三郎' } }, expected, NOW)).toEqual([
      { kind: 'other-delegate', expected: '委任 次郎', presented: '別人 三郎' },
    ])
  })

  it('says when it is not yet valid, or expired', () => {
    const later = { ...good, validFrom: new Date('2026-12-01T00:00:00Z') }
    expect(mandateProblems(later, expected, NOW)).toEqual([
      { kind: 'not-yet-valid', validFrom: later.validFrom },
    ])
    const lapsed = { ...good, validTo: new Date('2026-11-26T23:59:59Z') }
    expect(mandateProblems(lapsed, expected, NOW)).toEqual([{ kind: 'expired', validTo: lapsed.validTo }])
    expect(mandateInForce(lapsed, NOW)).toBe(false)
  })

  it('says when the procurement authority is missing, listing what it does include', () => {
    expect(mandateProblems({ ...good, authorities: ['入札'] }, expected, NOW)).toEqual([
      { kind: 'no-procurement-authority', authorities: ['入札'] },
    ])
  })

  it('lists every part that differs at once', () => {
    const wrong = {
      ...good,
      delegate: { name: '別人 三郎' },
      authorities: [],
      validTo: new Date('2026-01-01T00:00:00Z'),
    }
    expect(mandateProblems(wrong, expected, NOW).map((p) => p.kind)).toEqual([
      'other-delegate',
      'expired',
      'no-procurement-authority',
    ])
  })
})
