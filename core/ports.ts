/**
 * The ports: what the core needs from the world, as types of functions. Each has a real adapter
 * and an in-memory or simulated twin under adapters/, checked by one shared contract test.
 */
import type { Business, BusinessFields, Certificate, User, UserField, UserFields } from './domain/account.ts'
import type { TrustMaterial } from './domain/certificates.ts'
import type { Mandate } from './domain/mandates.ts'
import type { Notice } from './domain/notices.ts'
import type { Qualification } from './domain/qualifications.ts'
import type { HelperAlgorithm } from './lib/helper-token.ts'
import type { Result } from './lib/result.ts'

export type { HelperAlgorithm }

export type Clock = { now(): Date }

// ---- Stores ---------------------------------------------------------------------------------

/** The signed-in user with their business, certificates and the business's qualifications. */
export type UserOverview = {
  user: User
  business: Business
  certificates: Certificate[]
  qualifications: Qualification[]
}

export type AccountStore = {
  findUser(userId: string): Promise<User | undefined>
  /** The user with all the input screen shows of them, in one read. */
  findUserOverview(userId: string): Promise<UserOverview | undefined>
  findBusiness(businessId: string): Promise<Business | undefined>
  listCertificates(userId: string): Promise<Certificate[]>
  findCertificateByFingerprint(fingerprint: string): Promise<Certificate | undefined>
  /** Writes the user's fields if the user is still at `baseVersion`; false if someone changed it first. */
  updateUser(userId: string, baseVersion: number, fields: UserFields): Promise<boolean>
  /** Writes the business's fields if it is still at `baseVersion`; false if someone changed it first. */
  updateBusiness(businessId: string, baseVersion: number, fields: BusinessFields): Promise<boolean>
  /**
   * Registers and removes the user's certificates (removing only their own). False when one to
   * register is registered already (to anyone): then nothing may be kept of the transaction.
   */
  changeCertificates(userId: string, changes: { added: Certificate[]; removed: string[] }): Promise<boolean>
  listQualifications(businessId: string): Promise<Qualification[]>
  /**
   * Deletes the user and everything held about them (F4): their certificates, mandate, notices and
   * recommendations, reminders, sessions with their drafts, drafts of theirs in other sessions,
   * and of the changes they made the values they typed (their contact data). Each change they made
   * is kept for the business's 変更履歴 with their name (`madeByName`), its kind, the fields it
   * touched (`erasedFields`, without values), its certificates' numbers and its GEPS state; one
   * GEPS has not taken is 'superseded' (its job goes with the user's).
   */
  eraseUser(userId: string): Promise<void>
  /** The business's representative (代表者). */
  findRepresentative(businessId: string): Promise<User | undefined>
  /** Reads the user and holds their row until the transaction ends: changes to the user queue up behind it. */
  findUserForUpdate(userId: string): Promise<User | undefined>
  /** Registers and removes the business's qualifications (removing only its own). */
  changeQualifications(
    businessId: string,
    changes: { added: Qualification[]; removed: string[] },
  ): Promise<void>
}

/** お知らせ and レコメンド, each a user's. */
export type NoticeStore = {
  /** The user's notices and recommendations, newest first. */
  listForUser(userId: string): Promise<Notice[]>
  /** Marks one of the user's own as read (the first time only); another user's is left alone. */
  markRead(userId: string, noticeId: string, at: Date): Promise<void>
  add(notices: Notice[]): Promise<void>
}

/** A registered certificate or mandate that will expire, for the reminders. */
export type Expiring =
  | { kind: 'certificate'; userId: string; expiresAt: Date; certificate: Certificate }
  | { kind: 'mandate'; userId: string; expiresAt: Date; mandate: Mandate }

export type ReminderStore = {
  /** Every registered certificate and mandate that expires after `from` and by `until`, soonest first. */
  listExpiring(from: Date, until: Date): Promise<Expiring[]>
  /**
   * Records that the reminder `daysBefore` ahead of `subjectId`'s expiry is being sent; false when
   * it was already (by this or another worker), so that each is sent once.
   */
  claim(reminder: {
    kind: Expiring['kind']
    subjectId: string
    userId: string
    daysBefore: number
    at: Date
  }): Promise<boolean>
}

/** Each My Number agent's registered electronic mandate (電子委任状). */
export type MandateStore = {
  findForUser(userId: string): Promise<Mandate | undefined>
  /** Registers `mandate` as the agent's, in place of the one before. */
  replace(userId: string, mandate: Mandate): Promise<void>
}

/**
 * Where a change stands with GEPS: 待機中 / 再試行中 / 連携完了 / 連携失敗, or 不要 when its user
 * was deleted (F4) before GEPS took it: the deletion GEPS receives replaces it.
 */
export type SyncState = 'waiting' | 'retrying' | 'done' | 'failed' | 'superseded'

export type UserChange = {
  id: string
  /** 受付番号, as people read it (core/domain/receipt-numbers.ts); `id` stays the key. */
  receiptNumber: string
  userId: string
  businessId: string
  /**
   * F1 利用者情報更新, F2 電子証明書更新, F3 電子委任状更新, or F4 利用者情報削除 (which keeps
   * no fields of the user: its before and after are blank).
   */
  kind: 'user-contact-updated' | 'certificate-renewed' | 'mandate-renewed' | 'user-deleted'
  before: UserFields
  after: UserFields
  /** The business's fields before and after, when the change touched them. */
  business?: { before: BusinessFields; after: BusinessFields }
  /** The qualifications registered and removed, when the change touched them. */
  qualifications?: { added: Qualification[]; removed: Qualification[] }
  /** The certificates registered and removed, when the change touched them. */
  certificates?: { added: Omit<Certificate, 'userId'>[]; removed: Certificate[] }
  createdAt: Date
  sync: {
    state: SyncState
    receipt?: string
    attempts: number
    updatedAt: Date
    lastError?: string
    /** When the user was told that GEPS refused it for good (連携失敗): once only. */
    failureNotifiedAt?: Date
  }
  /** Who made it, kept once that user is deleted (F4): the business's record of its agents. */
  madeByName?: string
  /** The user fields it changed, once their values were erased with the user (F4). */
  erasedFields?: UserField[]
}

/** Where a page of changes ended (newest first): the last one's time and id; the next page is older. */
export type ChangeCursor = { createdAt: Date; id: string }

export type ChangeStore = {
  record(change: UserChange): Promise<void>
  find(changeId: string): Promise<UserChange | undefined>
  /** The business's changes, newest first; with `before`, those after that cursor (older). */
  listForBusiness(businessId: string, limit: number, before?: ChangeCursor): Promise<UserChange[]>
  /** The changes the user made, newest first. */
  listForUser(userId: string, limit: number): Promise<UserChange[]>
  /**
   * Records an outcome of its delivery to GEPS and answers the change's sync as it now stands
   * (with `failureNotifiedAt` as another worker may have set it meanwhile); undefined, recording
   * nothing, when it is 連携完了 or superseded already (a delivery that lost a race never takes
   * that back).
   */
  recordSync(
    changeId: string,
    sync: { state: SyncState; receipt?: string; at: Date; error?: string },
  ): Promise<UserChange['sync'] | undefined>
  /** The next number of the 受付番号 sequence, never given twice. */
  nextReceiptSequence(): Promise<number>
  /** The change with that 受付番号 (for the helpdesk). */
  findByReceiptNumber(receiptNumber: string): Promise<UserChange | undefined>
  /** Marks that its user is being told of its 連携失敗; false when that was done already (by any worker). */
  markFailureNotified(changeId: string, at: Date): Promise<boolean>
}

/** A wizard's state between its input and complete steps, bound to the session. */
export type Draft = {
  id: string
  sessionId: string
  flow: string
  payload: unknown
  baseVersion: number
  completedChangeId?: string
  /**
   * The user whose data the payload holds, when the session is no one's (F2 runs before
   * sign-in): deleting that user (F4) deletes the draft too.
   */
  userId?: string
}

/**
 * Reads a stored draft's payload back as its flow wrote it, its dates as dates, or gives undefined
 * when it is not one (an older portal's, or one changed by hand): a flow treats that as no draft,
 * and applies nothing from it. Each flow's format is a zod schema at the edge
 * (adapters/stores/draft-formats.zod.ts).
 */
export type DraftFormat<T> = (stored: unknown) => T | undefined

export type DraftStore = {
  /** Replaces the session's draft of this flow with a new one. */
  save(draft: Omit<Draft, 'completedChangeId'>): Promise<void>
  find(sessionId: string, flow: string): Promise<Draft | undefined>
  /** Reads the draft and holds it until the transaction ends, so that two completions queue up. */
  findForCompletion(sessionId: string, flow: string): Promise<Draft | undefined>
  markCompleted(draftId: string, changeId: string): Promise<void>
  /** Forgets the session's draft of this flow. */
  discard(sessionId: string, flow: string): Promise<void>
}

export type Session = {
  id: string
  csrfToken: string
  userId?: string
  /** The fingerprint of the certificate whose read signed this session in. */
  signedInWith?: string
  createdAt: Date
  lastSeenAt: Date
}

export type SessionStore = {
  create(session: Session): Promise<void>
  find(sessionId: string): Promise<Session | undefined>
  /** The session with its user, in one read: what every request needs first. */
  findWithUser(sessionId: string): Promise<{ session: Session; user?: User } | undefined>
  setChallenge(sessionId: string, challenge: string, expiresAt: Date): Promise<void>
  /** Returns the session's challenge and forgets it: a challenge is good for one try. */
  takeChallenge(sessionId: string): Promise<{ challenge: string; expiresAt: Date } | undefined>
  /**
   * Signs in: the session gets a new id (the old one stops working) and a user, and its drafts
   * are dropped, so that nothing of whoever used the session before reaches the new user.
   */
  signIn(oldSessionId: string, newSession: Session): Promise<void>
  /**
   * A card read in a flow re-authenticated whoever holds the session (signed in or, for F2, not
   * yet): the session gets a new id and CSRF token (the old id stops working) and forgets its
   * challenge; its user, times and drafts stay.
   */
  rotate(oldSessionId: string, renewed: { id: string; csrfToken: string }): Promise<void>
  end(sessionId: string): Promise<void>
  /**
   * Ends every session signed in with one of these certificates but `keep` (the session that
   * removed or replaced them, which has just proved itself with a card read); returns how many.
   * If `keep` was signed in with one of them, it is bound to `keptWith` (a certificate of its user
   * still registered), since a session whose certificate is gone opens nothing.
   */
  endSignedInWith(fingerprints: string[], keep: string, keptWith: string): Promise<number>
  /** Records that the session was used at `at`. */
  touch(sessionId: string, at: Date): Promise<void>
  /** Ends every session last seen before one time or begun before another; returns how many. */
  endExpired(limits: { lastSeenBefore: Date; createdBefore: Date }): Promise<number>
}

export type AuditEntry = {
  at: Date
  action: string
  outcome: 'success' | 'failure'
  userId?: string
  businessId?: string
  clientAddress?: string
  detail?: Record<string, unknown>
}

export type AuditLog = { append(entry: AuditEntry): Promise<void> }

/** An entry as the log keeps it, with its number: the order entries were written in. */
export type AuditRecord = AuditEntry & { id: string }

/**
 * Reading the audit log, for the operator's export: a page at a time, oldest first (by time, then
 * by number), within a time range, and for the helpdesk only the entries of one change (by its
 * 受付番号 in the detail, or its id).
 */
export type AuditLogReader = {
  /** Up to `limit` entries after entry `afterId` (from the start without it), within the range. */
  page(
    range: { since?: Date; until?: Date; receiptNumber?: string; changeId?: string },
    afterId: string | undefined,
    limit: number,
  ): Promise<AuditRecord[]>
}

/** Failed sign-ins under a key (a client address, a certificate), for the rate limits. */
/** Failed attempts under a key (a client address, a certificate), for the card-read limits. */
export type FailureLog = {
  /**
   * Counts an attempt under `key` at `at`, as a failure until released, if the key has fewer than
   * `limit` since `since`; count and check are one step, whoever else reserves at the same time.
   * Returns the reservation's id, or undefined at the limit (then nothing is counted). Forgets
   * this key's failures from before `since`.
   */
  reserve(key: string, at: Date, since: Date, limit: number): Promise<string | undefined>
  /** Takes a reservation back: the attempt succeeded. */
  release(id: string): Promise<void>
}

// ---- Jobs -----------------------------------------------------------------------------------

export type Mail = { idempotencyKey: string; to: string; subject: string; text: string }

/**
 * A mail to a user of the portal, marked with whom it is for, so that deleting them (F4) forgets
 * it. One that names someone the portal has erased (F4's own mails) is forgotten once sent: its
 * job is the last place their address is kept.
 */
export type UserMail = Mail & { userId: string; forgetOnceSent?: boolean }

/** Every job names the user it is about, so that deleting them (F4) forgets their jobs. */
export type Job =
  | { queue: 'geps-sync'; data: { changeId: string; userId: string } }
  | { queue: 'mail'; data: UserMail }

export type JobQueue = {
  /** Enqueues a job inside the current transaction: it exists if and only if the change commits. */
  enqueue(job: Job): Promise<void>
  /** Forgets every job about the user, in any state and queue (dead letters too), inside the current transaction. */
  forgetJobsOf(userId: string): Promise<void>
}

/** What a unit of work hands its callback: every store and the queue, sharing one transaction. */
export type Transactional = {
  accounts: AccountStore
  sessions: SessionStore
  mandates: MandateStore
  notices: NoticeStore
  reminders: ReminderStore
  changes: ChangeStore
  drafts: DraftStore
  audit: AuditLog
  jobs: JobQueue
}

export type UnitOfWork = { run<T>(work: (tx: Transactional) => Promise<T>): Promise<T> }

// ---- Outside services -----------------------------------------------------------------------

export type DeliveryError = {
  kind: 'transient' | 'permanent'
  message: string
  /** Held back without a request: the service is known to be down (adapters/geps/geps-outage-gate.ts). */
  heldBack?: true
}

export type Mailer = { send(mail: Mail): Promise<Result<{ messageId: string }, DeliveryError>> }

/**
 * The mails the mail server has accepted, by idempotency key. SMTP cannot tell a mail sent twice,
 * so the mail worker asks here before it sends (see core/use-cases/sync/mail-delivery.ts).
 */
export type SentMailLog = {
  wasSent(idempotencyKey: string): Promise<boolean>
  /** Records a mail accepted at `at`, and forgets those recorded before `forgetBefore`. */
  record(idempotencyKey: string, at: Date, forgetBefore: Date): Promise<void>
}

/** What GEPS receives of a change: the user as they are now (a deletion sends ids only, see GepsUserDeletion). */
export type GepsUserChange = {
  idempotencyKey: string
  /** The portal's 受付番号 of the change, which the user and the helpdesk quote. */
  portalReceiptNumber: string
  kind: Exclude<UserChange['kind'], 'user-deleted'>
  corporateNumber: string
  /** The business as it is now, with its version, so GEPS can ignore one that arrives late. */
  business: BusinessFields & { version: number }
  /** The business's qualifications as they are now. */
  qualifications: Omit<Qualification, 'id'>[]
  /** The user's certificates as they are now. */
  certificates: { fingerprint: string; serialNumber: string; issuer: string; notAfter: string }[]
  /** The user as they are now; `version` orders the updates, so GEPS can ignore one that arrives late. */
  user: UserFields & { userId: string; name: string; version: number }
  /** A My Number agent's registered mandate as it is now. */
  mandate?: {
    providerId: string
    referenceNumber: string
    validFrom: string
    validTo: string
    authorities: string[]
  }
}
export type GepsReceipt = { receiptNumber: string; receivedAt: string }

/** A user deleted in the portal (F4), for GEPS to delete too: ids only, no personal data. */
export type GepsUserDeletion = {
  idempotencyKey: string
  portalReceiptNumber: string
  corporateNumber: string
  userId: string
}

export type Geps = {
  syncUserChange(change: GepsUserChange): Promise<Result<GepsReceipt, DeliveryError>>
  deleteUser(deletion: GepsUserDeletion): Promise<Result<GepsReceipt, DeliveryError>>
}

// ---- Cards and certificates -----------------------------------------------------------------

/**
 * What any card reader gives: the certificate and a signature over the server's challenge.
 * A card helper in the style of Web eID names its algorithm and signs hash(origin) ‖
 * hash(challenge) instead (see helperSignedData).
 */
export type CardProof = {
  certificate: Uint8Array
  signature: Uint8Array
  helperAlgorithm?: HelperAlgorithm
  /**
   * A My Number card read with its signing PIN also gives its user-authentication certificate,
   * which the card hands out without a PIN: F2 registers both of a renewed card's certificates.
   */
  userAuthenticationCertificate?: Uint8Array
  /**
   * A card helper's proof that it holds the user-authentication key too (its signature over the
   * same data): the server's reader is trusted to hand over the card's own certificate, a helper
   * on the user's computer is not, and the certificate alone is public.
   */
  userAuthenticationSignature?: { signature: Uint8Array; helperAlgorithm: HelperAlgorithm }
}

export type CardReadError =
  | { kind: 'no-card' }
  /** `triesLeft` is absent for a file, which never locks. */
  | { kind: 'wrong-pin'; triesLeft?: number }
  | { kind: 'locked' }
  | { kind: 'pin-format'; message: string }

/**
 * Which PIN a card asks for. A My Number card holds two certificates, each behind its own PIN:
 * the user-authentication one (sign-in, deletion) and the signing one (F2, F3).
 */
export type PinKind = 'ic-card' | 'file' | 'my-number-user-authentication' | 'my-number-signing'

export type CardSummary = {
  cardId: string
  holderName: string
  cardKind: 'ic-card' | 'file' | 'my-number'
  pinKind: PinKind
}

export type CardReader = {
  /** The cards in reach: for the virtual reader, every card of the test PKI. */
  listCards(): Promise<CardSummary[]>
  /** Tries left before the card locks, shown before each attempt. */
  triesLeft(cardId: string): Promise<number | undefined>
  read(request: { cardId: string; pin: string; challenge: string }): Promise<Result<CardProof, CardReadError>>
}

// ---- The card helper's side: a card in the user's own reader, through PKCS#11 -------------

/**
 * What kind of PIN domain a token is. OpenSC presents a My Number card as two tokens, one per
 * PIN (its JPKI emulation: "JPKI (User Authentication PIN)" and "JPKI (Digital Signature PIN)");
 * a private-CA IC card is one token with one PIN.
 */
export type CardTokenKind = 'ic-card' | 'my-number-user-authentication' | 'my-number-signing'

/** What the token's flags say of its PIN (CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED). */
export type PinStatus = 'fresh' | 'count-low' | 'final-try' | 'locked'

/** A token in reach of the card helper: a card in a reader (or one PIN domain of it). */
export type CardToken = {
  /** The token's name for this run of the helper (its slot). */
  tokenId: string
  label: string
  kind: CardTokenKind
  /** The card's serial number: a My Number card's two tokens share it. */
  serialNumber: string
  pinStatus: PinStatus
  pinLength: { min: number; max: number }
  /** The certificate readable without a PIN, if any (a JPKI signing certificate is not). */
  certificate?: Uint8Array
}

export type CardTokenError =
  | { kind: 'no-token' }
  | { kind: 'wrong-pin'; pinStatus: PinStatus }
  | { kind: 'locked' }
  | { kind: 'no-key' }
  /** The module or the reader failed (card pulled out, reader unplugged): try again. */
  | { kind: 'token-failed'; message: string }

/** The card helper's reach into the user's cards (PKCS#11 in the helper; a memory twin in tests). */
export type CardTokens = {
  list(): Promise<CardToken[]>
  /**
   * Logs in to the token with `pin`, signs SHA-256(`data`) with its key (ECDSA as r‖s, or RSA
   * PKCS#1 v1.5), and gives the key's certificate; the PIN is used for this call only.
   */
  sign(request: {
    tokenId: string
    pin: string
    data: Uint8Array
  }): Promise<
    Result<{ certificate: Uint8Array; algorithm: 'ES256' | 'RS256'; signature: Uint8Array }, CardTokenError>
  >
}

/**
 * 公的個人認証サービス (JPKI), asked with the user's consent: when a My Number card is renewed, JPKI
 * links each new certificate to the one it replaced (新旧の紐付け).
 */
export type Jpki = {
  /** The certificate this one replaced; undefined when JPKI links it to none. */
  findPreviousCertificate(certificate: Uint8Array): Promise<Result<Uint8Array | undefined, DeliveryError>>
}

/**
 * A mandate-handling business (電子委任状取扱事業者), asked for a mandate it issued (F3
 * マイナンバーカード電子委任状取得依頼). The portal then checks what it returns (core/domain/mandates.ts).
 */
export type MandateProvider = {
  id: string
  /** Its name, as the 取得依頼 screen offers it. */
  name: string
  /**
   * The mandate it issued under `referenceNumber`, asked for on behalf of the business with
   * `corporateNumber`; undefined when it has none under that number.
   */
  fetchMandate(request: {
    corporateNumber: string
    referenceNumber: string
  }): Promise<Result<Mandate | undefined, DeliveryError>>
}

/**
 * The certification authorities whose certificates the portal accepts, with their current CRLs.
 * Given the certificate about to be judged, it adds the CRLs of its distribution points.
 */
export type TrustAnchors = { load(certificate?: Uint8Array): Promise<TrustMaterial> }

/** A CRL distribution point, asked for its CRL (DER) at the URL a certificate names. */
export type CrlDistribution = { fetch(url: string): Promise<Result<Uint8Array, DeliveryError>> }
