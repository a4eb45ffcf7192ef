/**
 * Sign-in with a card: the server issues a single-use challenge bound to the session, the card
 * signs it, and the core accepts the proof when the certificate is trusted, valid now, proves
 * possession, and is registered to a user. The session then gets a new id.
 */
import type { User } from '../../domain/account.ts'
import { fingerprintOf, verifyProof } from '../../domain/certificates.ts'
import { randomToken } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type {
  AccountStore,
  AuditLog,
  CardReader,
  Clock,
  FailureLog,
  Session,
  SessionStore,
  TrustAnchors,
} from '../../ports.ts'
import { type CardInput, type ChallengedReadError, readUnderLimits } from '../shared/card-proof.ts'

export const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000

export type SignInPorts = {
  sessions: SessionStore
  accounts: AccountStore
  audit: AuditLog
  cardReader: CardReader
  trustAnchors: TrustAnchors
  failures: FailureLog
  clock: Clock
}

export type SignInError =
  /** Too many failures (card-read-limits.ts), no challenge, the card's or file's refusal, the certificate's. */
  | ChallengedReadError
  | { kind: 'certificate-not-registered' }
  /** A My Number card's signing certificate: sign-in takes its user-authentication one. */
  | { kind: 'signing-certificate' }

/** Gives the session a fresh challenge for the next card read, replacing any earlier one. */
export const issueChallenge =
  (ports: Pick<SignInPorts, 'sessions' | 'clock'>) =>
  async (sessionId: string): Promise<string> => {
    // 33 random bytes: 264 bits, 44 characters, the shortest nonce Web eID's page library accepts.
    const challenge = randomToken(33)
    await ports.sessions.setChallenge(
      sessionId,
      challenge,
      new Date(ports.clock.now().getTime() + CHALLENGE_LIFETIME_MS),
    )
    return challenge
  }

type SignedIn = { user: User; sessionId: string; csrfToken: string }

/**
 * Sign-in with any card input (see CardInput): limits, challenge, verifier, session. The card's
 * PIN never reaches the portal through a token; through the reader it goes to the card only.
 */
export const signIn =
  (ports: SignInPorts) =>
  async (cmd: {
    sessionId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<SignedIn, SignInError>> => {
    const now = ports.clock.now()
    // A failure stays counted against the limits; only a sign-in releases its counts.
    const fail = async (error: SignInError, detail: Record<string, unknown> = {}) => {
      await ports.audit.append({
        at: now,
        action: 'sign-in',
        outcome: 'failure',
        clientAddress: cmd.clientAddress,
        detail: {
          reason:
            error.kind === 'card' || error.kind === 'file' ? `${error.kind}-${error.error.kind}` : error.kind,
          input: cmd.input.kind,
          ...detail,
        },
      })
      return err(error)
    }
    const read = await readUnderLimits(ports, cmd)
    if (!read.ok) return fail(read.error)
    const { proof, origin, challenge } = read.value
    const fingerprint = await fingerprintOf(new Uint8Array(proof.certificate))

    const trust = await ports.trustAnchors.load(proof.certificate)
    const verified = await verifyProof(proof, challenge, trust, now, { origin })
    if (!verified.ok) {
      // An expired certificate that is not registered (any more: renewed, say) is told so, rather
      // than sent to F2, which would refuse it in turn; only when it proves its key, so that no
      // one learns from a bare certificate whether it is registered.
      if (verified.error.kind === 'expired') {
        const heldButExpired = await verifyProof(proof, challenge, trust, now, {
          origin,
          allowExpired: true,
        })
        if (heldButExpired.ok && !(await ports.accounts.findCertificateByFingerprint(fingerprint))) {
          return fail({ kind: 'certificate-not-registered' }, { fingerprint })
        }
      }
      return fail({ kind: 'certificate', error: verified.error })
    }
    if (verified.value.use === 'my-number-signing') return fail({ kind: 'signing-certificate' })

    const certificate = await ports.accounts.findCertificateByFingerprint(verified.value.fingerprint)
    const user = certificate && (await ports.accounts.findUser(certificate.userId))
    if (!user)
      return fail({ kind: 'certificate-not-registered' }, { fingerprint: verified.value.fingerprint })

    const session = {
      id: randomToken(32),
      csrfToken: randomToken(32),
      userId: user.id,
      signedInWith: verified.value.fingerprint,
      createdAt: now,
      lastSeenAt: now,
    }
    await ports.sessions.signIn(cmd.sessionId, session)
    await read.value.release()
    await ports.audit.append({
      at: now,
      action: 'sign-in',
      outcome: 'success',
      userId: user.id,
      businessId: user.businessId,
      clientAddress: cmd.clientAddress,
      detail: { fingerprint: verified.value.fingerprint, input: cmd.input.kind },
    })
    return ok({ user, sessionId: session.id, csrfToken: session.csrfToken })
  }

/** A new anonymous session, for a visitor who has none. */
export const startSession =
  (ports: Pick<SignInPorts, 'sessions' | 'clock'>) => async (): Promise<Session> => {
    const now = ports.clock.now()
    const session = { id: randomToken(32), csrfToken: randomToken(32), createdAt: now, lastSeenAt: now }
    await ports.sessions.create(session)
    return session
  }

/** ログアウト: the session ends on the server (its cookie opens nothing after), and the audit log says so. */
export const signOut =
  (ports: Pick<SignInPorts, 'sessions' | 'audit' | 'clock'>) =>
  async (cmd: { sessionId: string; userId?: string; clientAddress?: string }): Promise<void> => {
    await ports.sessions.end(cmd.sessionId)
    if (cmd.userId)
      await ports.audit.append({
        at: ports.clock.now(),
        action: 'sign-out',
        outcome: 'success',
        userId: cmd.userId,
        clientAddress: cmd.clientAddress,
      })
  }
