/**
 * F2 電子証明書更新: a user whose registered certificate has expired (so that sign-in fails)
 * replaces it with a new one, without signing in. The replacement, its GEPS sync job and its mail
 * commit together; the user's other certificates stay as they are.
 *
 * - Private certificates: the old certificate is read first (it must be registered, and may be
 *   expired, but not revoked), then the new one (valid now, trusted, registered to no one, the
 *   same person of the same business).
 * - My Number card: the renewed card is read once, with its signing PIN and the user's consent to
 *   the JPKI look-up. JPKI links each of its two certificates (signing, user authentication) to
 *   the one it replaced; those must be registered to one user, and both are replaced. JPKI's
 *   link, not the name, says it is the same person: a name may change with a new card.
 */
import { type Business, type Certificate, type User, userFieldsOf } from '../../domain/account.ts'
import {
  type CertificateUse,
  describeCertificate,
  fingerprintOf,
  verifyCertificate,
} from '../../domain/certificates.ts'
import { certificateRenewedMail } from '../../domain/mails.ts'
import { receiptNumberOf } from '../../domain/receipt-numbers.ts'
import { newId } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type {
  AccountStore,
  AuditLog,
  CardReader,
  ChangeStore,
  Clock,
  DraftFormat,
  DraftStore,
  FailureLog,
  Jpki,
  SessionStore,
  TrustAnchors,
  UnitOfWork,
  UserChange,
} from '../../ports.ts'
import { type CardInput, type ChallengedReadError, readAndVerify } from '../shared/card-proof.ts'
import { commitChange, viewCompletedChange } from '../shared/completed-change.ts'

export const RENEWAL_FLOW = 'certificate-renewal'

export type RenewalPorts = {
  accounts: AccountStore
  changes: ChangeStore
  drafts: DraftStore
  draftFormats: { certificateRenewal: DraftFormat<RenewalDraft> }
  sessions: SessionStore
  cardReader: CardReader
  trustAnchors: TrustAnchors
  failures: FailureLog
  jpki: Jpki
  audit: AuditLog
  unitOfWork: UnitOfWork
  clock: Clock
}

export type RenewalError =
  | ChallengedReadError
  /** The first card's certificate is registered to no one: there is nothing to renew. */
  | { kind: 'not-registered' }
  /** The new certificate names another person: that is a new agent's registration, not a renewal. */
  | { kind: 'holder-differs'; registered: string; presented: string }
  | { kind: 'organisation-differs'; registered: string; presented: string }
  | { kind: 'already-registered' }
  | { kind: 'no-draft' }
  | { kind: 'draft-replaced' }
  /** The old certificate is no longer registered (renewed meanwhile from elsewhere). */
  | { kind: 'changed-meanwhile' }
  /** My Number: the user did not consent to the JPKI look-up (asked before the card is read). */
  | { kind: 'consent-missing' }
  /** My Number: not a My Number card's signing certificate with its user-authentication one. */
  | { kind: 'not-my-number' }
  /** My Number: a file or a helper's token, which cannot give both of the card's certificates. */
  | { kind: 'my-number-needs-reader' }
  /** Private: the card read is a My Number card's; its renewal goes through JPKI. */
  | { kind: 'choose-my-number' }
  /** My Number: JPKI links the certificates to none: not a renewed card. */
  | { kind: 'no-previous-certificate' }
  /** My Number: JPKI links them to certificates registered to no one. */
  | { kind: 'previous-not-registered' }
  /** My Number: JPKI links them to certificates of two different users: a case for the help desk. */
  | { kind: 'linked-to-two-users' }
  /** My Number: JPKI could not be asked now; nothing was changed, and the read can be repeated. */
  | { kind: 'jpki-unavailable' }
  /** My Number: JPKI refused the look-up; nothing was changed. */
  | { kind: 'jpki-refused' }

/** A certificate read for a renewal, described. */
export type Read = Omit<Certificate, 'id' | 'userId'> & {
  holderName: string
  organisation: string
  use: CertificateUse
}
/** A registered certificate a renewal replaces, described. */
export type Registered = Certificate & { holderName: string; organisation: string; use: CertificateUse }
/**
 * The certificates to replace and, once read, their replacements. A private renewal replaces one
 * by one; a My Number renewal replaces the card's registered certificates by both of the new card's.
 */
export type RenewalDraft = { kind: 'private' | 'my-number'; old: Registered[]; new?: Read[] }

export type RenewalReview = {
  old: Registered[]
  new: Read[]
  user: User
  business: Business
  draftId: string
}

/** The renewal the draft holds, or undefined when it is not one this portal wrote (then: no draft). */
const draftOf = (ports: Pick<RenewalPorts, 'draftFormats'>, stored: unknown): RenewalDraft | undefined =>
  ports.draftFormats.certificateRenewal(stored)

/** The session is no one's (F2 runs before sign-in): the draft names whose certificates it holds. */
const saveDraft = (ports: RenewalPorts, sessionId: string, payload: RenewalDraft) =>
  ports.drafts.save({
    id: newId(),
    sessionId,
    flow: RENEWAL_FLOW,
    payload,
    baseVersion: 0,
    userId: payload.old[0]?.userId,
  })

const factsOf = (c: Awaited<ReturnType<typeof describeCertificate>>): Read => {
  const { fingerprint, serialNumber, subject, issuer, notBefore, notAfter, holderName, organisation, use } = c
  return { fingerprint, serialNumber, subject, issuer, notBefore, notAfter, holderName, organisation, use }
}

/** Reads a card against the session's challenge and checks what it presents. */
const readCard = async (
  ports: RenewalPorts,
  cmd: { sessionId: string; input: CardInput; clientAddress?: string },
  options: { allowExpired: boolean },
): Promise<
  Result<{ facts: Read; der: Uint8Array; userAuthenticationCertificate?: Uint8Array }, RenewalError>
> => {
  const read = await readAndVerify(
    ports,
    { sessionId: cmd.sessionId, flow: RENEWAL_FLOW, clientAddress: cmd.clientAddress },
    cmd.input,
    options,
  )
  if (!read.ok) return read
  const { facts, proof } = read.value
  return ok({
    facts: factsOf(facts),
    der: proof.certificate,
    userAuthenticationCertificate: proof.userAuthenticationCertificate,
  })
}

/** 更新する電子証明書の種別選択画面, [読込]: the registered certificate, which may have expired. */
export const readRegisteredCertificate =
  (ports: RenewalPorts) =>
  async (cmd: {
    sessionId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<void, RenewalError>> => {
    const read = await readCard(ports, cmd, { allowExpired: true })
    if (!read.ok) return read
    const { facts } = read.value
    if (facts.use !== 'private') return err({ kind: 'choose-my-number' })
    const registered = await ports.accounts.findCertificateByFingerprint(facts.fingerprint)
    if (!registered) return err({ kind: 'not-registered' })
    const old = {
      ...registered,
      holderName: facts.holderName,
      organisation: facts.organisation,
      use: facts.use,
    }
    await saveDraft(ports, cmd.sessionId, { kind: 'private', old: [old] })
    return ok(undefined)
  }

/**
 * 更新する電子証明書の種別選択画面 with マイナンバーカード, [読込]: the renewed card, read with its
 * signing PIN once the user has consented to the JPKI look-up. Screen 2 is skipped: the old
 * certificates come from JPKI's link, and the review follows.
 */
export const readRenewedMyNumberCard =
  (ports: RenewalPorts) =>
  async (cmd: {
    sessionId: string
    input: CardInput
    consent: boolean
    clientAddress?: string
  }): Promise<Result<void, RenewalError>> => {
    // Asked before the card is read, so that no PIN try is spent on a read that cannot go on.
    if (!cmd.consent) return err({ kind: 'consent-missing' })
    // The card gives its signing certificate with the PIN and its user-authentication one
    // together: a card reader can, and a card helper (which proves both keys); a file cannot.
    if (cmd.input.kind === 'file' || cmd.input.kind === 'file-unopened')
      return err({ kind: 'my-number-needs-reader' })
    const read = await readCard(ports, cmd, { allowExpired: false })
    if (!read.ok) return read
    const { facts: signing, der: signingDer, userAuthenticationCertificate: authDer } = read.value
    if (signing.use !== 'my-number-signing' || !authDer) return err({ kind: 'not-my-number' })
    const now = ports.clock.now()
    const auth = await verifyCertificate(new Uint8Array(authDer), await ports.trustAnchors.load(authDer), now)
    if (!auth.ok) return err({ kind: 'certificate', error: auth.error })
    if (auth.value.use !== 'my-number-user-authentication') return err({ kind: 'not-my-number' })
    const renewed = [
      { fresh: signing, der: signingDer },
      { fresh: factsOf(auth.value), der: authDer },
    ]
    for (const { fresh } of renewed) {
      if (await ports.accounts.findCertificateByFingerprint(fresh.fingerprint)) {
        return err({ kind: 'already-registered' })
      }
    }

    // JPKI, with the user's consent: the certificate each new one replaced.
    const audit = (outcome: 'success' | 'failure', detail: Record<string, unknown>) =>
      ports.audit.append({
        at: now,
        action: 'jpki-link-lookup',
        outcome,
        clientAddress: cmd.clientAddress,
        detail: { consent: true, certificates: renewed.map((r) => r.fresh.fingerprint), ...detail },
      })
    const previous: { der: Uint8Array<ArrayBuffer>; use: CertificateUse }[] = []
    for (const { fresh, der } of renewed) {
      const found = await ports.jpki.findPreviousCertificate(der)
      if (!found.ok) {
        await audit('failure', { reason: found.error.kind, message: found.error.message })
        return err({ kind: found.error.kind === 'permanent' ? 'jpki-refused' : 'jpki-unavailable' })
      }
      if (found.value) previous.push({ der: new Uint8Array(found.value), use: fresh.use })
    }
    await audit('success', { linked: previous.length })
    if (previous.length === 0) return err({ kind: 'no-previous-certificate' })

    // Those registered are the ones to replace: one, or both (a card registered by its user-
    // authentication certificate alone has one), and all of one user.
    const old: Registered[] = []
    for (const { der, use } of previous) {
      const registered = await ports.accounts.findCertificateByFingerprint(await fingerprintOf(der))
      if (!registered) continue
      if (old[0] && old[0].userId !== registered.userId) return err({ kind: 'linked-to-two-users' })
      const facts = await describeCertificate(der)
      old.push({ ...registered, holderName: facts.holderName, organisation: facts.organisation, use })
    }
    if (old.length === 0) return err({ kind: 'previous-not-registered' })
    await saveDraft(ports, cmd.sessionId, { kind: 'my-number', old, new: renewed.map((r) => r.fresh) })
    return ok(undefined)
  }

/** 更新する電子証明書の読み込み画面, [読込]: the new certificate, of the same person and business. */
export const readNewCertificate =
  (ports: RenewalPorts) =>
  async (cmd: {
    sessionId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<void, RenewalError>> => {
    const draft = await ports.drafts.find(cmd.sessionId, RENEWAL_FLOW)
    const renewal = draft && !draft.completedChangeId ? draftOf(ports, draft.payload) : undefined
    // A My Number renewal (its certificates found through JPKI) has no second read.
    const registered = renewal?.old[0]
    if (!draft || !registered || renewal?.kind !== 'private') return err({ kind: 'no-draft' })
    const read = await readCard(ports, cmd, { allowExpired: false })
    if (!read.ok) return read
    const { facts } = read.value
    if (facts.use !== 'private') return err({ kind: 'choose-my-number' })
    if (facts.holderName !== registered.holderName) {
      return err({ kind: 'holder-differs', registered: registered.holderName, presented: facts.holderName })
    }
    if (facts.organisation !== registered.organisation) {
      return err({
        kind: 'organisation-differs',
        registered: registered.organisation,
        presented: facts.organisation,
      })
    }
    if (await ports.accounts.findCertificateByFingerprint(facts.fingerprint)) {
      return err({ kind: 'already-registered' })
    }
    await saveDraft(ports, cmd.sessionId, { kind: renewal.kind, old: renewal.old, new: [facts] })
    return ok(undefined)
  }

/**
 * Where the session's renewal stands, for a screen opened directly (a bookmark, the Back button):
 * nothing begun, waiting for the new certificate (private), waiting for [更新実行], or done.
 */
export type RenewalProgress =
  | { step: 'none' }
  | { step: 'new-certificate' }
  | { step: 'confirm' }
  | { step: 'completed'; changeId: string }

export const renewalProgress =
  (ports: Pick<RenewalPorts, 'drafts' | 'draftFormats'>) =>
  async (sessionId: string): Promise<RenewalProgress> => {
    const draft = await ports.drafts.find(sessionId, RENEWAL_FLOW)
    if (!draft) return { step: 'none' }
    if (draft.completedChangeId) return { step: 'completed', changeId: draft.completedChangeId }
    const renewal = draftOf(ports, draft.payload)
    if (!renewal) return { step: 'none' }
    return renewal.new ? { step: 'confirm' } : { step: 'new-certificate' }
  }

/** 電子証明書の更新確認画面: 更新元, 更新先 and 事業者情報, before [更新実行]. */
export const reviewRenewal =
  (ports: RenewalPorts) =>
  async (sessionId: string): Promise<Result<RenewalReview, RenewalError>> => {
    const draft = await ports.drafts.find(sessionId, RENEWAL_FLOW)
    const renewal = draft && !draft.completedChangeId ? draftOf(ports, draft.payload) : undefined
    if (!draft || !renewal?.new) return err({ kind: 'no-draft' })
    const user = await ports.accounts.findUser(renewal.old[0]?.userId ?? '')
    const business = user && (await ports.accounts.findBusiness(user.businessId))
    if (!user || !business) return err({ kind: 'changed-meanwhile' })
    return ok({ old: renewal.old, new: renewal.new, user, business, draftId: draft.id })
  }

/** [更新実行]: replaces the old certificate by the new one, once, with its GEPS sync and its mail. */
export const completeRenewal =
  (ports: RenewalPorts) =>
  async (cmd: {
    sessionId: string
    draftId: string
    clientAddress?: string
  }): Promise<Result<{ changeId: string }, RenewalError>> =>
    ports.unitOfWork.run(async (tx): Promise<Result<{ changeId: string }, RenewalError>> => {
      const draft = await tx.drafts.findForCompletion(cmd.sessionId, RENEWAL_FLOW)
      if (!draft) return err({ kind: 'no-draft' })
      if (draft.id !== cmd.draftId) return err({ kind: 'draft-replaced' })
      if (draft.completedChangeId) return ok({ changeId: draft.completedChangeId })
      const renewal = draftOf(ports, draft.payload)
      if (!renewal?.new?.length || renewal.old.length === 0) return err({ kind: 'no-draft' })
      const now = ports.clock.now()
      const lapsed = renewal.new.find((c) => c.notAfter < now)
      if (lapsed) return err({ kind: 'certificate', error: { kind: 'expired', notAfter: lapsed.notAfter } })
      const removed: Certificate[] = []
      for (const old of renewal.old) {
        const still = await tx.accounts.findCertificateByFingerprint(old.fingerprint)
        if (!still || still.id !== old.id || still.userId !== renewal.old[0]?.userId) {
          return err({ kind: 'changed-meanwhile' })
        }
        removed.push(still)
      }
      const user = await tx.accounts.findUser(removed[0]?.userId ?? '')
      const business = user && (await tx.accounts.findBusiness(user.businessId))
      if (!user || !business) return err({ kind: 'changed-meanwhile' })
      const added: Certificate[] = renewal.new.map(
        ({ holderName: _, organisation: __, use: ___, ...fresh }) => ({
          ...fresh,
          id: newId(),
          userId: user.id,
        }),
      )
      const registered = await tx.accounts.changeCertificates(user.id, {
        added,
        removed: removed.map((c) => c.id),
      })
      if (!registered) return err({ kind: 'already-registered' })
      // The replaced certificates open nothing any more: the sessions they signed in end.
      const sessionsEnded = await tx.sessions.endSignedInWith(
        removed.map((c) => c.fingerprint),
        cmd.sessionId,
        added[0]?.fingerprint ?? '',
      )
      // The user's version moves on, so that an update confirmed meanwhile on an old base stops.
      await tx.accounts.updateUser(user.id, user.version, userFieldsOf(user))
      const change: UserChange = {
        id: newId(),
        receiptNumber: receiptNumberOf(now, await tx.changes.nextReceiptSequence()),
        userId: user.id,
        businessId: user.businessId,
        kind: 'certificate-renewed',
        before: userFieldsOf(user),
        after: userFieldsOf(user),
        certificates: { added, removed },
        createdAt: now,
        sync: { state: 'waiting', attempts: 0, updatedAt: now },
      }
      await commitChange(tx, {
        change,
        draftId: draft.id,
        clientAddress: cmd.clientAddress,
        auditDetail: {
          from: removed.map((c) => c.fingerprint),
          to: added.map((c) => c.fingerprint),
          sessionsEnded,
        },
        mails: [
          certificateRenewedMail({
            changeId: change.id,
            receiptNumber: change.receiptNumber,
            user,
            business,
            from: removed,
            to: added,
            at: now,
          }),
        ],
      })
      return ok({ changeId: change.id })
    })

/** The completion screen: the renewal this session completed, and no other. */
export const viewRenewal = (ports: Pick<RenewalPorts, 'drafts' | 'changes'>) =>
  viewCompletedChange(ports, RENEWAL_FLOW)
