/**
 * A draft's payload is stored as JSON and comes back as JSON: its dates as text, and whatever an
 * older portal (or a hand in the database) left there. Each flow's draft has a codec built of the
 * pieces below; decodeDraft gives the payload its type again, dates as dates, or refuses it, and
 * a flow treats a refused draft as no draft (the user starts the step again; nothing is applied).
 */
import { z } from 'zod'
import {
  BUSINESS_FIELDS,
  type BusinessFields,
  type Certificate,
  USER_FIELDS,
  type UserFields,
} from '../../domain/account.ts'
import type { CertificateUse } from '../../domain/certificate-path.ts'
import type { Mandate } from '../../domain/mandates.ts'
import { GRADES, QUALIFICATION_KINDS, type Qualification, REGIONS } from '../../domain/qualifications.ts'

/** The payload as its flow wrote it, or undefined when it is not one. */
export const decodeDraft = <T>(codec: z.ZodType<T>, payload: unknown): T | undefined => {
  const decoded = codec.safeParse(payload)
  return decoded.success ? decoded.data : undefined
}

/** A date as a draft keeps it: a Date in memory, its ISO text once stored; nothing else. */
export const StoredDate = z.union([z.date(), z.iso.datetime({ offset: true })]).pipe(z.coerce.date())

const fieldsOf = <F extends string>(names: readonly F[]) =>
  z.object(Object.fromEntries(names.map((name) => [name, z.string()])) as Record<F, z.ZodString>)

export const UserFieldsCodec = fieldsOf(USER_FIELDS) satisfies z.ZodType<UserFields>
export const BusinessFieldsCodec = fieldsOf(BUSINESS_FIELDS) satisfies z.ZodType<BusinessFields>

export const CertificateCodec = z.object({
  id: z.string(),
  userId: z.string(),
  fingerprint: z.string(),
  serialNumber: z.string(),
  subject: z.string(),
  issuer: z.string(),
  notBefore: StoredDate,
  notAfter: StoredDate,
}) satisfies z.ZodType<Certificate>

export const CERTIFICATE_USES = [
  'private',
  'my-number-signing',
  'my-number-user-authentication',
] as const satisfies readonly CertificateUse[]

export const QualificationCodec = z.object({
  id: z.string(),
  supplierCode: z.string(),
  kind: z.enum(QUALIFICATION_KINDS),
  grade: z.enum(GRADES),
  regions: z.array(z.enum(REGIONS)),
  firstYear: z.number().int(),
}) satisfies z.ZodType<Qualification>

export const MandateCodec = z.object({
  delegator: z.object({
    corporateNumber: z.string(),
    businessName: z.string(),
    representativeName: z.string(),
  }),
  delegate: z.object({ name: z.string() }),
  authorities: z.array(z.string()),
  validFrom: StoredDate,
  validTo: StoredDate,
  providerId: z.string(),
  referenceNumber: z.string(),
}) satisfies z.ZodType<Mandate>

/** When the card read that a flow goes on from was made (F3, F4). */
export const CardReadAtCodec = z.object({ cardReadAt: z.string() })
