/**
 * The formats of the flows' drafts (the port DraftFormat), as zod schemas: a draft's payload is
 * stored as JSON and comes back as JSON, its dates as text, with whatever an older portal (or a
 * hand in the database) left there. Each format gives the payload its type again, dates as dates,
 * or refuses it; a flow treats a refused draft as no draft (the user starts the step again, and
 * nothing is applied). The same formats serve the database and the in-memory stores.
 */
import { z } from 'zod'
import {
  BUSINESS_FIELDS,
  type BusinessFields,
  type Certificate,
  USER_FIELDS,
  type UserFields,
} from '../../core/domain/account.ts'
import type { CertificateUse } from '../../core/domain/certificate-path.ts'
import type { Mandate } from '../../core/domain/mandates.ts'
import { GRADES, QUALIFICATION_KINDS, type Qualification, REGIONS } from '../../core/domain/qualifications.ts'
import type { DraftFormat } from '../../core/ports.ts'
import type { RenewalDraft } from '../../core/use-cases/certificate-renewal/certificate-renewal.ts'
import type { MandateDraft } from '../../core/use-cases/mandate-renewal/mandate-renewal.ts'
import type { CardReadDraft } from '../../core/use-cases/shared/my-number-card.ts'
import type {
  DraftPayload,
  StagedCertificate,
  Staging,
} from '../../core/use-cases/user-update/user-update.ts'

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

const StagedCertificateCodec = CertificateCodec.omit({ userId: true }) satisfies z.ZodType<StagedCertificate>
/** Nothing staged: a new one for each draft read, never one shared. */
const noChange = () => ({ added: [], removed: [] })

const StagingCodec = z.object({
  qualifications: z
    .object({ added: z.array(QualificationCodec), removed: z.array(z.string()) })
    .default(noChange),
  certificates: z
    .object({ added: z.array(StagedCertificateCodec), removed: z.array(z.string()) })
    .default(noChange),
  typed: z
    .object({
      user: z.partialRecord(z.enum([...USER_FIELDS, 'emailConfirmation']), z.string()),
      business: z.partialRecord(z.enum(BUSINESS_FIELDS), z.string()).optional(),
    })
    .optional(),
  typedQualification: z
    .object({
      supplierCode: z.string(),
      kind: z.string(),
      grade: z.string(),
      regions: z.array(z.string()),
      firstYear: z.string(),
    })
    .optional(),
}) satisfies z.ZodType<Staging>

const UserUpdateDraftCodec = z.object({
  user: UserFieldsCodec,
  userBase: UserFieldsCodec,
  business: z
    .object({ fields: BusinessFieldsCodec, base: BusinessFieldsCodec, baseVersion: z.number().int() })
    .optional(),
  qualifications: z
    .object({ added: z.array(QualificationCodec), removed: z.array(QualificationCodec) })
    .optional(),
  certificates: z
    .object({ added: z.array(StagedCertificateCodec), removed: z.array(CertificateCodec) })
    .optional(),
}) satisfies z.ZodType<DraftPayload>

const described = { holderName: z.string(), organisation: z.string(), use: z.enum(CERTIFICATE_USES) }
const RenewalDraftCodec = z.object({
  kind: z.enum(['private', 'my-number']).default('private'),
  old: z.array(CertificateCodec.extend(described)),
  new: z.array(CertificateCodec.omit({ id: true, userId: true }).extend(described)).optional(),
}) satisfies z.ZodType<RenewalDraft>

const MandateDraftCodec = CardReadAtCodec.extend({
  mandate: MandateCodec.extend({ providerName: z.string() }).optional(),
}) satisfies z.ZodType<MandateDraft>

const formatOf =
  <T>(codec: z.ZodType<T>): DraftFormat<T> =>
  (stored) =>
    decodeDraft(codec, stored)

/** Every flow's draft format: the ports' `draftFormats`. */
export const zodDraftFormats = {
  userUpdateStaging: formatOf(StagingCodec),
  userUpdate: formatOf(UserUpdateDraftCodec),
  certificateRenewal: formatOf(RenewalDraftCodec),
  mandateRenewal: formatOf(MandateDraftCodec),
  userDeletion: formatOf(CardReadAtCodec satisfies z.ZodType<CardReadDraft>),
}
