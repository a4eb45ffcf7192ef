/**
 * Sign-in with a card: the server issues a single-use challenge bound to the session, the card
 * signs it, and the core accepts the proof when the certificate is trusted, valid now, proves
 * possession, and is registered to a user. The session then gets a new id.
 */
import type { User } from './account.ts'
import {
  type CertificateError,
  fingerprintOf,
  signatureAlgorithm,
  signedPayload,
  verifyProof,
} from './certificates.ts'
import { randomToken } from './ids.ts'
import { openPkcs12, type Pkcs12Error } from './pkcs12.ts'
import type {
  AccountStore,
  AuditLog,
  CardProof,
  CardReadError,
  CardReader,
  Clock,
  FailureLog,
  HelperAlgorithm,
  SessionStore,
  TrustAnchors,
} from './ports.ts'
import { err, ok, type Result } from './result.ts'

export const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000

/**
 * How many failed sign-ins a client address, and a certificate, may have in a window before
 * sign-in is refused for a while. The card's own PIN counter limits wrong PINs; these limit the
 * rest (a certificate that is refused, a client trying many cards).
 */
export const SIGN_IN_LIMITS = { windowMs: 15 * 60 * 1000, perAddress: 20, perCertificate: 10 }

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
  /** Too many failures from this address or with this certificate: refused until the window passes. */
  | { kind: 'too-many-attempts'; retryAfterMinutes: number }
  | { kind: 'challenge-missing' }
  | { kind: 'card'; error: CardReadError }
  /** A certificate file (.p12) that could not be opened. */
  | { kind: 'file'; error: Pkcs12Error }
  | { kind: 'certificate'; error: CertificateError }
  | { kind: 'certificate-not-registered' }

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

/** Sign-in with a card in a reader of the portal's (the virtual reader, in development). */
export const signInWithCard =
  (ports: SignInPorts) => (cmd: { sessionId: string; cardId: string; pin: string; clientAddress?: string }) =>
    signIn(ports, cmd, async (challenge) => {
      const read = await ports.cardReader.read({ cardId: cmd.cardId, pin: cmd.pin, challenge })
      return read.ok ? read : err({ kind: 'card' as const, error: read.error })
    })

/**
 * Sign-in with the token of a local card helper in the style of Web eID: the helper read the
 * card (its PIN never reaches the portal) and signed the challenge with the page's origin.
 * `origin` is the portal's own, never taken from the token.
 */
export const signInWithCardHelper =
  (ports: SignInPorts) =>
  (cmd: {
    sessionId: string
    token: { certificate: Uint8Array; algorithm: HelperAlgorithm; signature: Uint8Array }
    origin: string
    clientAddress?: string
  }) =>
    signIn(
      ports,
      cmd,
      async () =>
        ok({
          certificate: cmd.token.certificate,
          signature: cmd.token.signature,
          helperAlgorithm: cmd.token.algorithm,
        }),
      cmd.origin,
    )

/**
 * Sign-in with a certificate file sent by a browser without JavaScript: the server opens it,
 * signs the challenge, and lets the key go at once (it is never stored, and cannot be exported).
 */
export const signInWithFile =
  (ports: SignInPorts) =>
  (cmd: { sessionId: string; file: Uint8Array; password: string; clientAddress?: string }) =>
    signIn(ports, cmd, async (challenge) => {
      const opened = await openPkcs12(cmd.file, cmd.password)
      if (!opened.ok) return err({ kind: 'file' as const, error: opened.error })
      const { certificate, privateKey } = opened.value
      const signature = await crypto.subtle.sign(
        signatureAlgorithm(privateKey),
        privateKey,
        signedPayload(challenge),
      )
      return ok({ certificate, signature: new Uint8Array(signature) })
    })

/** The one sign-in, whichever reader gives the proof: limits, challenge, verifier, session. */
const signIn = async (
  ports: SignInPorts,
  cmd: { sessionId: string; clientAddress?: string },
  readProof: (challenge: string) => Promise<Result<CardProof, SignInError>>,
  origin?: string,
): Promise<Result<SignedIn, SignInError>> => {
  const now = ports.clock.now()
  const windowStart = new Date(now.getTime() - SIGN_IN_LIMITS.windowMs)
  const tooMany = {
    kind: 'too-many-attempts' as const,
    retryAfterMinutes: SIGN_IN_LIMITS.windowMs / 60_000,
  }
  // Without a known address (no socket, no trusted proxy header) only the certificate limit applies.
  const addressKey = cmd.clientAddress ? `address:${cmd.clientAddress}` : undefined
  let certificateKey: string | undefined
  const fail = async (error: SignInError, detail: Record<string, unknown> = {}) => {
    if (error.kind !== 'too-many-attempts') {
      for (const key of [addressKey, certificateKey]) {
        if (key) await ports.failures.record(key, now, windowStart)
      }
    }
    await ports.audit.append({
      at: now,
      action: 'sign-in',
      outcome: 'failure',
      clientAddress: cmd.clientAddress,
      detail: {
        reason:
          error.kind === 'card' || error.kind === 'file' ? `${error.kind}-${error.error.kind}` : error.kind,
        ...detail,
      },
    })
    return err(error)
  }
  // Before the card is read, so that a refused client spends no PIN try.
  if (addressKey && (await ports.failures.countSince(addressKey, windowStart)) >= SIGN_IN_LIMITS.perAddress) {
    return fail(tooMany)
  }
  const taken = await ports.sessions.takeChallenge(cmd.sessionId)
  if (!taken || taken.expiresAt < now) return fail({ kind: 'challenge-missing' })

  const read = await readProof(taken.challenge)
  if (!read.ok) return fail(read.error)
  certificateKey = `certificate:${await fingerprintOf(new Uint8Array(read.value.certificate))}`
  if ((await ports.failures.countSince(certificateKey, windowStart)) >= SIGN_IN_LIMITS.perCertificate) {
    return fail(tooMany)
  }

  const verified = await verifyProof(read.value, taken.challenge, await ports.trustAnchors.load(), now, {
    origin,
  })
  if (!verified.ok) return fail({ kind: 'certificate', error: verified.error })

  const certificate = await ports.accounts.findCertificateByFingerprint(verified.value.fingerprint)
  const user = certificate && (await ports.accounts.findUser(certificate.userId))
  if (!user) return fail({ kind: 'certificate-not-registered' }, { fingerprint: verified.value.fingerprint })

  const session = {
    id: randomToken(32),
    csrfToken: randomToken(32),
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
  }
  await ports.sessions.signIn(cmd.sessionId, session)
  await ports.audit.append({
    at: now,
    action: 'sign-in',
    outcome: 'success',
    userId: user.id,
    businessId: user.businessId,
    clientAddress: cmd.clientAddress,
    detail: { fingerprint: verified.value.fingerprint },
  })
  return ok({ user, sessionId: session.id, csrfToken: session.csrfToken })
}

/** A new anonymous session, for a visitor who has none. */
export const startSession =
  (ports: Pick<SignInPorts, 'sessions' | 'clock'>) =>
  async (): Promise<{ id: string; csrfToken: string }> => {
    const now = ports.clock.now()
    const session = { id: randomToken(32), csrfToken: randomToken(32), createdAt: now, lastSeenAt: now }
    await ports.sessions.create(session)
    return session
  }
