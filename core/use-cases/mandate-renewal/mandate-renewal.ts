/**
 * F3 マイナンバーカード電子委任状更新, and the gate before it: a My Number agent whose mandate is
 * not in force reaches マイナンバーカード電子委任状失効画面 and nothing else until a way out is
 * taken. [電子委任状更新] reads the agent's own My Number card with its signing PIN; the
 * 取得依頼画面 asks a mandate-handling business for the mandate; the 確認画面 shows it; at
 * [電子委任状更新] it must name this business as delegator and this agent as delegate, be in
 * force and include the procurement authority. The new mandate, its GEPS sync job and its mail
 * commit together.
 */
import type { Business, User } from '../../domain/account.ts'
import { isMyNumberAgent, userFieldsOf } from '../../domain/account.ts'
import { mandateRenewedMail } from '../../domain/mails.ts'
import { type Mandate, type MandateProblem, mandateInForce, mandateProblems } from '../../domain/mandates.ts'
import { receiptNumberOf } from '../../domain/receipt-numbers.ts'
import { corporateNumber } from '../../domain/text-rules.ts'
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
  MandateProvider,
  MandateStore,
  SessionStore,
  TrustAnchors,
  UnitOfWork,
  UserChange,
} from '../../ports.ts'
import type { CardInput, ChallengedReadError } from '../shared/card-proof.ts'
import { commitChange, viewCompletedChange } from '../shared/completed-change.ts'
import {
  type CardReadDraft,
  cardReadIsRecent,
  findMyNumberAgent,
  readOwnMyNumberCard,
} from '../shared/my-number-card.ts'

export const MANDATE_RENEWAL_FLOW = 'mandate-renewal'

export type MandateRenewalPorts = {
  accounts: AccountStore
  mandates: MandateStore
  changes: ChangeStore
  drafts: DraftStore
  draftFormats: { mandateRenewal: DraftFormat<MandateDraft> }
  sessions: SessionStore
  cardReader: CardReader
  trustAnchors: TrustAnchors
  failures: FailureLog
  mandateProviders: MandateProvider[]
  audit: AuditLog
  unitOfWork: UnitOfWork
  clock: Clock
}

/** What マイナンバーカード電子委任状失効画面 says of the registered mandate, and which name the screen has. */
export type MandateStanding = {
  mandate?: Mandate
  /**
   * A My Number agent whose mandate is not in force (expired, not yet valid, or none): the gate
   * applies, and the screen is the manual's 失効画面.
   */
  lapsed: boolean
}

export const mandateStanding =
  (ports: Pick<MandateRenewalPorts, 'mandates' | 'clock'>) =>
  async (user: User): Promise<MandateStanding> => {
    if (!isMyNumberAgent(user)) return { lapsed: false }
    const mandate = await ports.mandates.findForUser(user.id)
    return { mandate, lapsed: !(mandate && mandateInForce(mandate, ports.clock.now())) }
  }

/** Whether the user must pass マイナンバーカード電子委任状失効画面 before anything else. */
export const mandateGateApplies = async (
  ports: Pick<MandateRenewalPorts, 'mandates' | 'clock'>,
  user: User,
): Promise<boolean> => (await mandateStanding(ports)(user)).lapsed

/** The mandate-handling businesses to choose from on the 取得依頼画面. */
export const mandateProviderChoices = (ports: Pick<MandateRenewalPorts, 'mandateProviders'>) => () =>
  ports.mandateProviders.map((p) => ({ id: p.id, name: p.name }))

/** The 取得依頼画面 as it first opens: the first provider chosen, the business's 法人番号 filled in. */
export const mandateRequestDefaults =
  (ports: Pick<MandateRenewalPorts, 'accounts' | 'mandateProviders'>) =>
  async (user: User): Promise<MandateRequestFields> => ({
    providerId: ports.mandateProviders[0]?.id ?? '',
    corporateNumber: (await ports.accounts.findBusiness(user.businessId))?.corporateNumber ?? '',
    referenceNumber: '',
  })

export type MandateRequestFields = { providerId: string; corporateNumber: string; referenceNumber: string }

/** Why [電子委任状更新]'s card read was refused. */
export type MandateCardReadError =
  | ChallengedReadError
  /** Not a My Number card's signing certificate: F3 asks for the signing PIN. */
  | { kind: 'not-signing-certificate' }
  /** A signing certificate registered to someone else, or to no one. */
  | { kind: 'not-your-card' }
  /** The user is not a My Number agent: F3 is theirs only. */
  | { kind: 'forbidden' }

/** Why a step after the card read cannot go on. */
export type MandateStepError =
  /** The user is not a My Number agent: F3 is theirs only. */
  | { kind: 'forbidden' }
  /** A step out of order: the card was not read in this flow, or the mandate was not fetched. */
  | { kind: 'card-not-read' }

/** Why [取得依頼] got no mandate. */
export type MandateRequestError =
  | MandateStepError
  | { kind: 'invalid-request'; errors: Partial<Record<keyof MandateRequestFields, string>> }
  | { kind: 'mandate-not-found' }
  /** The provider could not be asked now (down, slow, or answering garbage); ask again later. */
  | { kind: 'provider-unavailable' }
  | { kind: 'provider-refused' }

/** Why [電子委任状更新] on the 確認画面 changed nothing. */
export type MandateCompletionError =
  | MandateStepError
  | { kind: 'mandate-problems'; problems: MandateProblem[] }
  /** The 確認画面 posted is not the latest: the mandate was asked for again since. */
  | { kind: 'draft-replaced' }

export type MandateRenewalError = MandateCardReadError | MandateRequestError | MandateCompletionError

/** F3's draft: when the card was read, and the mandate fetched since (with its provider's name). */
export type MandateDraft = CardReadDraft & { mandate?: Mandate & { providerName: string } }

/** The card read of this flow, if it is recent enough to go on from. */
const currentRead = (
  ports: Pick<MandateRenewalPorts, 'clock' | 'draftFormats'>,
  draft: { payload: unknown } | undefined,
) => {
  const read = draft && ports.draftFormats.mandateRenewal(draft.payload)
  return read && cardReadIsRecent(ports.clock.now(), read.cardReadAt) ? read : undefined
}

/** マイナンバーカード電子委任状失効画面, [電子委任状更新]: the agent's own card, with its signing PIN. */
export const readCardForMandate =
  (ports: MandateRenewalPorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<void, MandateCardReadError>> => {
    const read = await readOwnMyNumberCard(ports, cmd, {
      use: 'my-number-signing',
      flow: MANDATE_RENEWAL_FLOW,
    })
    if (read.ok) return read
    const e = read.error
    return err(e.kind === 'wrong-certificate' ? { kind: 'not-signing-certificate' } : e)
  }

/** Whether the session's card read stands, so that the 取得依頼画面 may be shown. */
export const mandateCardReadStands =
  (ports: Pick<MandateRenewalPorts, 'drafts' | 'draftFormats' | 'clock'>) =>
  async (sessionId: string): Promise<boolean> => {
    const draft = await ports.drafts.find(sessionId, MANDATE_RENEWAL_FLOW)
    return !!draft && !draft.completedChangeId && currentRead(ports, draft) !== undefined
  }

/** マイナンバーカード電子委任状取得依頼画面, [取得依頼]: asks the chosen provider for the mandate. */
export const requestMandate =
  (ports: MandateRenewalPorts) =>
  async (
    cmd: { sessionId: string; userId: string; clientAddress?: string } & MandateRequestFields,
  ): Promise<Result<void, MandateRequestError>> => {
    const user = await findMyNumberAgent(ports, cmd.userId)
    if (!user) return err({ kind: 'forbidden' })
    const draft = await ports.drafts.find(cmd.sessionId, MANDATE_RENEWAL_FLOW)
    const read = draft && !draft.completedChangeId ? currentRead(ports, draft) : undefined
    if (!read) return err({ kind: 'card-not-read' })
    const errors: Partial<Record<keyof MandateRequestFields, string>> = {}
    const provider = ports.mandateProviders.find((p) => p.id === cmd.providerId)
    if (!provider) errors.providerId = '電子委任状取扱事業者を選んでください。'
    const number = corporateNumber(cmd.corporateNumber)
    if (!number.ok) errors.corporateNumber = number.error
    const reference = cmd.referenceNumber.normalize('NFKC').trim()
    if (reference === '') errors.referenceNumber = '電子委任状の受付番号を入力してください。'
    else if (!/^[A-Za-z0-9-]{1,50}$/.test(reference)) {
      errors.referenceNumber = '受付番号は、半角英数字とハイフン（-）の50文字以内で入力してください。'
    }
    if (!provider || !number.ok || errors.referenceNumber) return err({ kind: 'invalid-request', errors })
    // A mandate fetched before no longer stands once another is asked for, whatever the answer.
    const saveDraft = (payload: MandateDraft) =>
      ports.drafts.save({
        id: newId(),
        sessionId: cmd.sessionId,
        flow: MANDATE_RENEWAL_FLOW,
        payload,
        baseVersion: 0,
      })
    await saveDraft({ cardReadAt: read.cardReadAt })
    // Asked for this business only: another business's 法人番号 asks no provider.
    const business = await ports.accounts.findBusiness(user.businessId)
    if (!business) return err({ kind: 'forbidden' })
    if (number.value !== business.corporateNumber) {
      return err({
        kind: 'invalid-request',
        errors: { corporateNumber: otherBusinessNumber(business) },
      })
    }
    const answer = await provider.fetchMandate({ corporateNumber: number.value, referenceNumber: reference })
    // The answer must be the mandate asked for: a provider's reply of another number is refused.
    const fetched =
      answer.ok && answer.value && answer.value.referenceNumber !== reference
        ? err({
            kind: 'permanent' as const,
            message: `answered ${answer.value.referenceNumber} for ${reference}`,
          })
        : answer
    // A mandate whose 委任者 is another business is not this business's to register, whatever the
    // provider answered: the user is told so next to the number they typed.
    const delegator = fetched.ok ? fetched.value?.delegator : undefined
    const foreign = delegator && delegator.corporateNumber !== number.value ? delegator : undefined
    await ports.audit.append({
      at: ports.clock.now(),
      action: 'mandate-request',
      outcome: fetched.ok && fetched.value && !foreign ? 'success' : 'failure',
      userId: cmd.userId,
      clientAddress: cmd.clientAddress,
      detail: {
        providerId: provider.id,
        referenceNumber: reference,
        ...(fetched.ok
          ? { found: fetched.value !== undefined, ...(foreign && { delegator: foreign.corporateNumber }) }
          : { reason: fetched.error.kind, message: fetched.error.message }),
      },
    })
    if (foreign) {
      return err({
        kind: 'invalid-request',
        errors: {
          referenceNumber: `受付番号 ${reference} の電子委任状は、委任者が${foreign.businessName}（法人番号 ${foreign.corporateNumber}）で、あなたの事業者のものではありません。あなたの事業者が委任者の電子委任状の受付番号を入力してください。`,
        },
      })
    }
    if (!fetched.ok)
      return err({ kind: fetched.error.kind === 'permanent' ? 'provider-refused' : 'provider-unavailable' })
    if (!fetched.value) return err({ kind: 'mandate-not-found' })
    // Registered as this provider's, whatever it calls itself.
    await saveDraft({
      cardReadAt: read.cardReadAt,
      mandate: { ...fetched.value, providerId: provider.id, providerName: provider.name },
    })
    return ok(undefined)
  }

/** The refusal of a 法人番号 that is not the agent's own business's. */
const otherBusinessNumber = (business: Business): string =>
  `法人番号は、あなたの事業者（${business.name}）の法人番号 ${business.corporateNumber} を入力してください。電子委任状は、委任者である自分の事業者の法人番号でのみ取得依頼できます。`

export type MandateReview = {
  mandate: Mandate & { providerName: string }
  user: User
  business: Business
  /** What keeps it from being accepted, shown before [電子委任状更新] is pressed. */
  problems: MandateProblem[]
  draftId: string
}

/** マイナンバーカード電子委任状確認画面: 委任者情報, 受任者情報, 代理権情報 as the provider returned them. */
export const reviewMandate =
  (ports: MandateRenewalPorts) =>
  async (cmd: { sessionId: string; userId: string }): Promise<Result<MandateReview, MandateStepError>> => {
    const user = await findMyNumberAgent(ports, cmd.userId)
    if (!user) return err({ kind: 'forbidden' })
    const draft = await ports.drafts.find(cmd.sessionId, MANDATE_RENEWAL_FLOW)
    const mandate = currentRead(ports, draft)?.mandate
    if (!draft || draft.completedChangeId || !mandate) return err({ kind: 'card-not-read' })
    const business = await ports.accounts.findBusiness(user.businessId)
    if (!business) return err({ kind: 'forbidden' })
    const problems = mandateProblems(
      mandate,
      { corporateNumber: business.corporateNumber, businessName: business.name, agentName: user.name },
      ports.clock.now(),
    )
    return ok({ mandate, user, business, problems, draftId: draft.id })
  }

/** [電子委任状更新] of the 確認画面: checks the mandate again and registers it, once, with its sync and mail. */
export const completeMandateRenewal =
  (ports: MandateRenewalPorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    draftId: string
    clientAddress?: string
  }): Promise<Result<{ changeId: string }, MandateCompletionError>> =>
    ports.unitOfWork.run(async (tx): Promise<Result<{ changeId: string }, MandateCompletionError>> => {
      // The user's row, then the draft: the order every completion and F4 take their locks in.
      const user = await tx.accounts.findUserForUpdate(cmd.userId)
      if (!user || !isMyNumberAgent(user)) return err({ kind: 'forbidden' })
      const draft = await tx.drafts.findForCompletion(cmd.sessionId, MANDATE_RENEWAL_FLOW)
      if (!draft) return err({ kind: 'card-not-read' })
      if (draft.id !== cmd.draftId) return err({ kind: 'draft-replaced' })
      if (draft.completedChangeId) return ok({ changeId: draft.completedChangeId })
      const mandate = currentRead(ports, draft)?.mandate
      const business = await tx.accounts.findBusiness(user.businessId)
      if (!mandate || !business) return err({ kind: 'card-not-read' })
      const now = ports.clock.now()
      const problems = mandateProblems(
        mandate,
        { corporateNumber: business.corporateNumber, businessName: business.name, agentName: user.name },
        now,
      )
      if (problems.length > 0) return err({ kind: 'mandate-problems', problems })
      const { providerName: _, ...registered } = mandate
      await tx.mandates.replace(user.id, registered)
      // The user's version moves on, so that GEPS keeps this sync over any older one. It fails when
      // the user changed or was deleted (F4) meanwhile: then nothing of this may commit.
      if (!(await tx.accounts.updateUser(user.id, user.version, userFieldsOf(user)))) {
        return err({ kind: 'draft-replaced' })
      }
      const change: UserChange = {
        id: newId(),
        receiptNumber: receiptNumberOf(now, await tx.changes.nextReceiptSequence()),
        userId: user.id,
        businessId: user.businessId,
        kind: 'mandate-renewed',
        before: userFieldsOf(user),
        after: userFieldsOf(user),
        createdAt: now,
        sync: { state: 'waiting', attempts: 0, updatedAt: now },
      }
      await commitChange(tx, {
        change,
        draftId: draft.id,
        clientAddress: cmd.clientAddress,
        auditDetail: { providerId: mandate.providerId, referenceNumber: mandate.referenceNumber },
        mails: [
          mandateRenewedMail({
            changeId: change.id,
            receiptNumber: change.receiptNumber,
            user,
            business,
            mandate: registered,
            providerName: mandate.providerName,
            at: now,
          }),
        ],
      })
      return ok({ changeId: change.id })
    })

/** マイナンバーカード電子委任状更新完了画面: the renewal this session completed, and no other. */
export const viewMandateRenewal = (ports: Pick<MandateRenewalPorts, 'drafts' | 'changes'>) =>
  viewCompletedChange(ports, MANDATE_RENEWAL_FLOW)
