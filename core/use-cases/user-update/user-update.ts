/**
 * F1 利用者情報更新: input → confirm (確認) → complete (完了). An agent changes their own user
 * fields; the representative changes all of theirs and the business's (事業者情報) too.
 * Nothing is written before the confirm step; the complete step commits the change, its audit
 * record, its GEPS sync job and its mails in one transaction, once, however often it is posted.
 *
 * This file is the flow's vocabulary: its drafts, its ports and its errors. The steps are in
 * staging.ts (what the input screen stages before [確認]), certificate-reads.ts ([追加] and
 * [削除] of 電子証明書情報, each after a card read) and update.ts ([確認], the 確認画面, [更新]).
 */
import type { BusinessFields, Certificate, FieldChange, UserFields } from '../../domain/account.ts'
import type {
  BusinessFieldErrors,
  BusinessInput,
  UserFieldErrors,
  UserInput,
} from '../../domain/account-rules.ts'
import type {
  Qualification,
  QualificationFieldErrors,
  QualificationInput,
} from '../../domain/qualifications.ts'
import type {
  AccountStore,
  AuditLog,
  CardReader,
  ChangeStore,
  Clock,
  DraftFormat,
  DraftStore,
  FailureLog,
  SessionStore,
  TrustAnchors,
  UnitOfWork,
} from '../../ports.ts'
import type { ChallengedReadError } from '../shared/card-proof.ts'

export const USER_UPDATE_FLOW = 'user-update'
/**
 * What the input screen has staged before [確認], bound to the session: qualifications and
 * certificates to add and remove, and what was typed when [追加] or [削除] of 電子証明書情報 led
 * away to a card read (so that nothing typed is lost on the way there and back).
 */
export const STAGING_FLOW = 'user-update-staging'

/** A certificate read and checked, not yet registered; `id` names it on the screen until then. */
export type StagedCertificate = Omit<Certificate, 'userId'>

export type Staging = {
  qualifications: { added: Qualification[]; removed: string[] }
  certificates: { added: StagedCertificate[]; removed: string[] }
  typed?: UpdateInput
  /** 資格情報選択 as it was typed, not yet [追加]ed. */
  typedQualification?: QualificationInput
}
export const NOTHING_STAGED: Staging = {
  qualifications: { added: [], removed: [] },
  certificates: { added: [], removed: [] },
}

/** What the session has staged; nothing, when the stored staging is not one this portal wrote. */
export const stagingOf = (ports: Pick<UserUpdatePorts, 'draftFormats'>, stored: unknown): Staging =>
  ports.draftFormats.userUpdateStaging(stored) ?? NOTHING_STAGED

/** What the input screen sent: the user's fields, and the business's when the screen has them. */
export type UpdateInput = { user: UserInput; business?: BusinessInput }

export type UserUpdatePorts = {
  accounts: AccountStore
  changes: ChangeStore
  drafts: DraftStore
  draftFormats: { userUpdateStaging: DraftFormat<Staging>; userUpdate: DraftFormat<DraftPayload> }
  unitOfWork: UnitOfWork
  clock: Clock
}

/** What adding or removing a certificate needs besides: the card, the trust anchors, the session's challenge. */
export type CertificatePorts = {
  sessions: SessionStore
  cardReader: CardReader
  trustAnchors: TrustAnchors
  failures: FailureLog
  audit: AuditLog
}

/** Why a certificate could not be added or removed, each with its own message on the screen. */
export type CertificateRefusal =
  | ChallengedReadError
  | { kind: 'holder-differs'; holder: string; user: string }
  | { kind: 'organisation-differs'; organisation: string; business: string }
  | { kind: 'already-registered' }
  /** A My Number card's certificate: those are registered with the card, and renewed through F2. */
  | { kind: 'my-number-certificate' }
  /** A removal's read: the card read is not one of this user's registered certificates. */
  | { kind: 'not-own-certificate' }

/**
 * The draft: the fields as they will be, and what they were based on (the values and, for the
 * business, the version), so that a conflict can say what someone else changed meanwhile.
 */
export type DraftPayload = {
  user: UserFields
  userBase: UserFields
  business?: { fields: BusinessFields; base: BusinessFields; baseVersion: number }
  qualifications?: { added: Qualification[]; removed: Qualification[] }
  certificates?: { added: StagedCertificate[]; removed: Certificate[] }
}

/** The confirmed draft, or undefined when the stored one is not one this portal wrote (then: no draft). */
export const payloadOf = (
  ports: Pick<UserUpdatePorts, 'draftFormats'>,
  stored: unknown,
): DraftPayload | undefined => ports.draftFormats.userUpdate(stored)

export type UserUpdateError =
  | { kind: 'user-not-found' }
  /** The request changes what the user's role may not change (SPEC §2): refused whole. */
  | { kind: 'forbidden' }
  | { kind: 'invalid'; userErrors: UserFieldErrors; businessErrors: BusinessFieldErrors }
  | { kind: 'invalid-qualification'; errors: QualificationFieldErrors }
  /** A certificate could not be added or removed: the card, the certificate, or whose it is. */
  | { kind: 'certificate-refused'; reason: CertificateRefusal }
  /** The user's last certificate: without one they could never sign in again. */
  | { kind: 'last-certificate' }
  /** Removing a registered certificate takes a card read first (stageCertificateRemoval). */
  | { kind: 'card-read-required'; certificateId: string }
  /** No certificate of this user's has that id. */
  | { kind: 'certificate-not-found' }
  | { kind: 'nothing-changed' }
  | { kind: 'no-draft' }
  /** The confirm screen that was posted is not the latest one: another [確認] replaced its draft. */
  | { kind: 'draft-replaced' }
  /** Someone else committed a change first; `changes` are theirs: what the draft was based on → now. */
  | { kind: 'changed-by-someone-else'; changes: FieldChange[] }
