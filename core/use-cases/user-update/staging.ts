/**
 * F1's input screen before [確認]: the user's overview, and what the screen stages in the session
 * (qualifications to add and remove, what was typed before a card read led away).
 */
import type { BusinessFields, Certificate, UserFields } from '../../domain/account.ts'
import {
  type QualificationInput,
  registrablePeriods,
  stageAddition,
  stageRemoval,
  validateQualification,
} from '../../domain/qualifications.ts'
import { newId } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type { UserOverview } from '../../ports.ts'
import {
  NOTHING_STAGED,
  payloadOf,
  STAGING_FLOW,
  type StagedCertificate,
  type Staging,
  stagingOf,
  type UpdateInput,
  USER_UPDATE_FLOW,
  type UserUpdateError,
  type UserUpdatePorts,
} from './user-update.ts'

/** The signed-in user with their business and certificates, as the input screen shows them. */
export const loadUserOverview =
  (ports: Pick<UserUpdatePorts, 'accounts'>) =>
  async (userId: string): Promise<Result<UserOverview, UserUpdateError>> => {
    const overview = await ports.accounts.findUserOverview(userId)
    return overview ? ok(overview) : err({ kind: 'user-not-found' })
  }

/** The draft's values, to fill the input screen again when the user goes back from confirm. */
export const draftValues =
  (ports: Pick<UserUpdatePorts, 'drafts' | 'draftFormats'>) =>
  async (sessionId: string): Promise<{ user: UserFields; business?: BusinessFields } | undefined> => {
    const draft = await ports.drafts.find(sessionId, USER_UPDATE_FLOW)
    const payload = draft && !draft.completedChangeId ? payloadOf(ports, draft.payload) : undefined
    return payload && { user: payload.user, business: payload.business?.fields }
  }

/**
 * Everything the input screen shows, read together: the overview, what is staged, and the values
 * of a draft confirmed but not committed. The three reads are asked at once, so that the store
 * can send them together or with the same reads of other requests of the moment.
 */
export const loadInputScreen =
  (ports: Pick<UserUpdatePorts, 'accounts' | 'drafts' | 'draftFormats'>) =>
  async (
    sessionId: string,
    userId: string,
  ): Promise<
    Result<
      {
        overview: UserOverview
        staging: Staging
        confirmed?: { user: UserFields; business?: BusinessFields }
      },
      UserUpdateError
    >
  > => {
    const [overview, staging, confirmed] = await Promise.all([
      loadUserOverview(ports)(userId),
      loadStaging(ports)(sessionId),
      draftValues(ports)(sessionId),
    ])
    return overview.ok ? ok({ overview: overview.value, staging, confirmed }) : overview
  }

/** What the input screen has staged, not yet confirmed. */
export const loadStaging =
  (ports: Pick<UserUpdatePorts, 'drafts' | 'draftFormats'>) =>
  async (sessionId: string): Promise<Staging> => {
    const draft = await ports.drafts.find(sessionId, STAGING_FLOW)
    return draft ? stagingOf(ports, draft.payload) : NOTHING_STAGED
  }

export const saveStaging = (ports: Pick<UserUpdatePorts, 'drafts'>, sessionId: string, staging: Staging) =>
  ports.drafts.save({ id: newId(), sessionId, flow: STAGING_FLOW, payload: staging, baseVersion: 0 })

/** Keeps what was typed, before [追加] or [削除] of 電子証明書情報 leads away to a card read. */
export const keepTyped =
  (ports: Pick<UserUpdatePorts, 'drafts' | 'draftFormats'>) =>
  async (cmd: {
    sessionId: string
    typed: UpdateInput
    typedQualification?: QualificationInput
  }): Promise<void> => {
    const staging = await loadStaging(ports)(cmd.sessionId)
    await saveStaging(ports, cmd.sessionId, {
      ...staging,
      typed: cmd.typed,
      typedQualification: cmd.typedQualification,
    })
    // What was typed now is newer than a draft confirmed before: the draft would only hide it.
    await ports.drafts.discard(cmd.sessionId, USER_UPDATE_FLOW)
  }

/** Starting again from the registered values forgets what was staged and what was confirmed. */
export const discardStaging = (ports: Pick<UserUpdatePorts, 'drafts'>) => async (sessionId: string) => {
  await ports.drafts.discard(sessionId, STAGING_FLOW)
  await ports.drafts.discard(sessionId, USER_UPDATE_FLOW)
}

/** [追加] of 資格情報選択: checks the qualification and stages it. Only the representative may. */
export const stageQualification =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: QualificationInput
  }): Promise<Result<void, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    if (overview.value.user.role !== 'representative') return err({ kind: 'forbidden' })
    const qualification = validateQualification(cmd.input, ports.clock.now())
    if (!qualification.ok) return err({ kind: 'invalid-qualification', errors: qualification.error })
    const staging = await loadStaging(ports)(cmd.sessionId)
    const staged = stageAddition(overview.value.qualifications, staging.qualifications, qualification.value)
    if (!staged.ok) return err({ kind: 'invalid-qualification', errors: staged.error })
    await saveStaging(ports, cmd.sessionId, { ...staging, qualifications: staged.value })
    return ok(undefined)
  }

/** [削除] of a qualification in 資格情報: stages its removal. Only the representative may. */
export const unstageQualification =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    qualificationId: string
  }): Promise<Result<void, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    if (overview.value.user.role !== 'representative') return err({ kind: 'forbidden' })
    const staging = await loadStaging(ports)(cmd.sessionId)
    const known =
      overview.value.qualifications.some((q) => q.id === cmd.qualificationId) ||
      staging.qualifications.added.some((q) => q.id === cmd.qualificationId)
    if (known) {
      await saveStaging(ports, cmd.sessionId, {
        ...staging,
        qualifications: stageRemoval(staging.qualifications, cmd.qualificationId),
      })
    }
    return ok(undefined)
  }

/** The user's certificates as they will be: registered, less staged removals, plus staged additions. */
export const certificatesAfter = (
  registered: Certificate[],
  staged: Staging['certificates'],
): StagedCertificate[] => [...registered.filter((c) => !staged.removed.includes(c.id)), ...staged.added]

/** The fiscal-year periods a qualification may be registered for, today. */
export const qualificationPeriods = (ports: Pick<UserUpdatePorts, 'clock'>) => (): number[] =>
  registrablePeriods(ports.clock.now())
