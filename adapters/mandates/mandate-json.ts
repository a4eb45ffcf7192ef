/** A mandate as it crosses HTTP between the portal and a mandate-handling business: dates in ISO 8601. */
import { z } from 'zod'
import type { Mandate } from '../../core/domain/mandates.ts'

export const MandateJson = z.object({
  delegator: z.object({
    corporateNumber: z.string().regex(/^\d{13}$/),
    businessName: z.string().min(1).max(200),
    representativeName: z.string().min(1).max(100),
  }),
  delegate: z.object({ name: z.string().min(1).max(100) }),
  authorities: z.array(z.string().max(100)).max(100),
  validFrom: z.iso.datetime({ offset: true }),
  validTo: z.iso.datetime({ offset: true }),
  providerId: z.string().min(1).max(100),
  referenceNumber: z.string().min(1).max(100),
})

export const mandateToJson = (m: Mandate): z.infer<typeof MandateJson> => ({
  ...m,
  validFrom: m.validFrom.toISOString(),
  validTo: m.validTo.toISOString(),
})

export const mandateFromJson = (m: z.infer<typeof MandateJson>): Mandate => ({
  ...m,
  validFrom: new Date(m.validFrom),
  validTo: new Date(m.validTo),
})

/** How a provider finds a mandate: by its 委任者's 法人番号 and its reference number, together. */
export const mandateKey = (m: { delegator: { corporateNumber: string }; referenceNumber: string }): string =>
  `${m.delegator.corporateNumber}/${m.referenceNumber}`
