/**
 * The demo's mandate-handling businesses and their mandates (SPEC §6), with dates relative to
 * `now`: 委任 次郎's renewed mandate POA-2026-0001; POA-2026-0002 names another agent as 受任者
 * and POA-2026-0003 lacks the procurement authority (the 確認画面's error paths). POA-2026-0004 is
 * another business's: asked for with サンプル商事's 法人番号 it is not found, and another
 * business's 法人番号 is refused before any provider is asked.
 */
import { type Mandate, PROCUREMENT_AUTHORITY } from '../../core/domain/mandates.ts'
import { daysFrom } from './test-pki.ts'

export const DEMO_MANDATE_PROVIDERS = [
  { id: 'sample-mandates', name: 'サンプル電子委任状サービス' },
  { id: 'test-mandate-center', name: 'テスト電子委任状センター' },
] as const

const sample = {
  corporateNumber: '7123456789012',
  businessName: '株式会社サンプル商事',
  representativeName: '調達 太郎',
}
const other = {
  corporateNumber: '9234567890123',
  businessName: '株式会社ほかの商事',
  representativeName: '別会社 一郎',
}

/** Each demo provider's mandates. */
export const demoMandates = (now: Date): Record<(typeof DEMO_MANDATE_PROVIDERS)[number]['id'], Mandate[]> => {
  const mandate = (providerId: string, referenceNumber: string, fields: Partial<Mandate> = {}): Mandate => ({
    delegator: sample,
    delegate: { name: '委任 次郎' },
    authorities: [PROCUREMENT_AUTHORITY, '入札・契約に関する手続'],
    validFrom: daysFrom(now, -1),
    validTo: daysFrom(now, 365),
    providerId,
    referenceNumber,
    ...fields,
  })
  return {
    'sample-mandates': [
      mandate('sample-mandates', 'POA-2026-0001'),
      mandate('sample-mandates', 'POA-2026-0002', { delegate: { name: '代理 三郎' } }),
      mandate('sample-mandates', 'POA-2026-0004', { delegator: other }),
    ],
    'test-mandate-center': [
      mandate('test-mandate-center', 'POA-2026-0003', { authorities: ['入札・契約に関する手続'] }),
    ],
  }
}

/** 委任 次郎's registered mandate, which has expired: signing in, he meets the expired-mandate screen. */
export const demoExpiredMandate = (now: Date): Mandate => ({
  delegator: sample,
  delegate: { name: '委任 次郎' },
  authorities: [PROCUREMENT_AUTHORITY],
  validFrom: daysFrom(now, -375),
  validTo: daysFrom(now, -10),
  providerId: 'sample-mandates',
  referenceNumber: 'POA-2025-0042',
})
