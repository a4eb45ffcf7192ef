/**
 * What F3 (電子委任状更新) and F4 (利用者情報削除) share: both are a My Number agent's, both begin
 * with a read of the agent's own card, and both go on from that read only while it is recent.
 */
import { isMyNumberAgent } from '../../domain/account.ts'
import type { CertificateUse } from '../../domain/certificates.ts'
import { newId } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type {
  AccountStore,
  AuditLog,
  CardReader,
  Clock,
  DraftStore,
  FailureLog,
  SessionStore,
  TrustAnchors,
} from '../../ports.ts'
import { type CardInput, type ChallengedReadError, readAndVerify } from './card-proof.ts'

/** How long one read of the card stands for the steps after it (F3: asking the provider and [電子委任状更新]; F4: [削除]). */
export const MY_NUMBER_CARD_READ_LIFETIME_MS = 15 * 60 * 1000

/** Whether a card read at `cardReadAt` still stands at `now` (F3 and F4). */
export const cardReadIsRecent = (now: Date, cardReadAt: string): boolean => {
  const age = now.getTime() - new Date(cardReadAt).getTime()
  return age >= 0 && age <= MY_NUMBER_CARD_READ_LIFETIME_MS
}

/** What F3's and F4's drafts hold from the start: when the agent's own card was read. */
export type CardReadDraft = { cardReadAt: string }

type OwnCardReadPorts = {
  accounts: AccountStore
  drafts: DraftStore
  sessions: SessionStore
  cardReader: CardReader
  trustAnchors: TrustAnchors
  failures: FailureLog
  audit: AuditLog
  clock: Clock
}

/** The user, if they are an agent registered with a My Number card: F3 and F4 are theirs only. */
export const findMyNumberAgent = async (ports: { accounts: AccountStore }, userId: string) => {
  const user = await ports.accounts.findUser(userId)
  return user && isMyNumberAgent(user) ? user : undefined
}

export type OwnCardReadError =
  | ChallengedReadError
  | { kind: 'forbidden' }
  /** Not the certificate the step asks for (signing for F3, user authentication for F4). */
  | { kind: 'wrong-certificate' }
  | { kind: 'not-your-card' }

/**
 * F3 and F4 begin alike: the My Number agent's own card, read with the PIN of the certificate the
 * step asks for; the read starts the flow's draft (a new one), which the later steps go on from.
 */
export const readOwnMyNumberCard = async (
  ports: OwnCardReadPorts,
  cmd: { sessionId: string; userId: string; input: CardInput; clientAddress?: string },
  step: { use: CertificateUse; flow: string },
): Promise<Result<void, OwnCardReadError>> => {
  if (!(await findMyNumberAgent(ports, cmd.userId))) return err({ kind: 'forbidden' })
  const read = await readAndVerify(ports, { ...cmd, flow: step.flow }, cmd.input)
  if (!read.ok) return read
  const { facts } = read.value
  if (facts.use !== step.use) return err({ kind: 'wrong-certificate' })
  const registered = await ports.accounts.findCertificateByFingerprint(facts.fingerprint)
  if (registered?.userId !== cmd.userId) return err({ kind: 'not-your-card' })
  await ports.drafts.save({
    id: newId(),
    sessionId: cmd.sessionId,
    flow: step.flow,
    payload: { cardReadAt: ports.clock.now().toISOString() },
    baseVersion: 0,
  })
  return ok(undefined)
}
