/**
 * What a user presents to answer a challenge, whatever holds the key, and the one way to turn it
 * into a proof (certificate + signature over the challenge):
 * - a card in a reader of the portal's (the virtual reader, in development), with its PIN;
 * - a certificate file sent to the server (a browser without JavaScript): the server opens it,
 *   signs, and lets the key go at once (it is never stored, and cannot be exported);
 * - a signed token made elsewhere, in the style of Web eID: by the card helper on the user's
 *   computer, which read an IC card or a My Number card through PKCS#11 (card-helper.ts), or by
 *   the page itself, which opened a certificate file with WebCrypto. Its signature covers the
 *   portal's origin, which is the portal's own, never taken from the token.
 */

import {
  type CertificateError,
  fingerprintOf,
  proofSignatureHolds,
  signatureAlgorithm,
  signedPayload,
  type VerifiedCertificate,
  verifyProof,
} from '../../domain/certificates.ts'
import { openPkcs12, type Pkcs12Error } from '../../lib/pkcs12.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type {
  AuditLog,
  CardProof,
  CardReadError,
  CardReader,
  CardSummary,
  Clock,
  FailureLog,
  HelperAlgorithm,
  SessionStore,
  TrustAnchors,
} from '../../ports.ts'
import {
  type HeldAttempt,
  holdForAddress,
  holdForCertificate,
  TOO_MANY_ATTEMPTS,
  type TooManyAttempts,
} from './card-read-limits.ts'

export type SignedToken = {
  certificate: Uint8Array
  algorithm: HelperAlgorithm
  signature: Uint8Array
  /** A My Number renewal's second read: the card's user-authentication certificate, signing the same data. */
  userAuthentication?: { certificate: Uint8Array; algorithm: HelperAlgorithm; signature: Uint8Array }
}

export type CardInput =
  | { kind: 'reader'; cardId: string; pin: string }
  | { kind: 'file'; file: Uint8Array; password: string }
  /** A file the page could not open: it says why, and sends no file and no password. */
  | { kind: 'file-unopened'; error: Pkcs12Error }
  | { kind: 'token'; token: SignedToken; origin: string }

export type CardInputError = { kind: 'card'; error: CardReadError } | { kind: 'file'; error: Pkcs12Error }

/** The proof an input gives for `challenge`, and the origin its signature covers, if any. */
export const readProof = async (
  cardReader: CardReader,
  input: CardInput,
  challenge: string,
): Promise<Result<{ proof: CardProof; origin?: string }, CardInputError>> => {
  switch (input.kind) {
    case 'reader': {
      const read = await cardReader.read({ cardId: input.cardId, pin: input.pin, challenge })
      return read.ok ? ok({ proof: read.value }) : err({ kind: 'card', error: read.error })
    }
    case 'file': {
      const opened = await openPkcs12(input.file, input.password)
      if (!opened.ok) return err({ kind: 'file', error: opened.error })
      const { certificate, privateKey } = opened.value
      const signature = await crypto.subtle.sign(
        signatureAlgorithm(privateKey),
        privateKey,
        signedPayload(challenge),
      )
      return ok({ proof: { certificate, signature: new Uint8Array(signature) } })
    }
    case 'file-unopened':
      return err({ kind: 'file', error: input.error })
    case 'token':
      return ok({
        proof: {
          certificate: input.token.certificate,
          signature: input.token.signature,
          helperAlgorithm: input.token.algorithm,
          ...(input.token.userAuthentication && {
            userAuthenticationCertificate: input.token.userAuthentication.certificate,
            userAuthenticationSignature: {
              signature: input.token.userAuthentication.signature,
              helperAlgorithm: input.token.userAuthentication.algorithm,
            },
          }),
        },
        origin: input.origin,
      })
  }
}

export type ChallengedReadError =
  | TooManyAttempts
  | { kind: 'challenge-missing' }
  | CardInputError
  | { kind: 'certificate'; error: CertificateError }

type LimitPorts = { sessions: SessionStore; cardReader: CardReader; failures: FailureLog; clock: Clock }

/**
 * A card read under the limits (card-read-limits.ts): counted against the client address before
 * anything is read (a refused client spends no PIN try), and against the certificate once its
 * signature holds. The proof is not judged yet; `release` takes the counts back when it passes.
 */
export const readUnderLimits = async (
  ports: LimitPorts,
  cmd: { sessionId: string; clientAddress?: string; input: CardInput },
): Promise<
  Result<
    { proof: CardProof; origin?: string; challenge: string; release(): Promise<void> },
    TooManyAttempts | { kind: 'challenge-missing' } | CardInputError
  >
> => {
  const now = ports.clock.now()
  const address = await holdForAddress(ports.failures, now, cmd.clientAddress)
  if (!address) return err(TOO_MANY_ATTEMPTS)
  const taken = await ports.sessions.takeChallenge(cmd.sessionId)
  if (!taken || taken.expiresAt < now) return err({ kind: 'challenge-missing' })
  const read = await readProof(ports.cardReader, cmd.input, taken.challenge)
  if (!read.ok) return read
  const { proof, origin } = read.value
  const held: HeldAttempt[] = [address]
  if (await proofSignatureHolds(proof, taken.challenge, origin)) {
    const fingerprint = await fingerprintOf(new Uint8Array(proof.certificate))
    const certificate = await holdForCertificate(ports.failures, now, fingerprint)
    if (!certificate) return err(TOO_MANY_ATTEMPTS)
    held.push(certificate)
  }
  return ok({
    proof,
    origin,
    challenge: taken.challenge,
    release: async () => {
      for (const h of held) await h.release()
    },
  })
}

/** What a card read outside sign-in is part of, for the audit log. */
export type CardReadContext = { sessionId: string; flow: string; userId?: string; clientAddress?: string }

/** Why a card read failed, as the audit log records it (as sign-in does: `card-wrong-pin`, …). */
const auditReason = (e: ChallengedReadError): string =>
  e.kind === 'card' || e.kind === 'file' || e.kind === 'certificate' ? `${e.kind}-${e.error.kind}` : e.kind

/** A read that locked the card (its last PIN try), or met a card already locked. */
const lockedBy = (e: ChallengedReadError): boolean =>
  e.kind === 'card' &&
  (e.error.kind === 'locked' || (e.error.kind === 'wrong-pin' && e.error.triesLeft === 0))

/**
 * A card read outside sign-in (certificate add, renewal, mandate, deletion): takes the session's
 * challenge (good for one read), reads the input against it, and checks the proof with the one
 * verifier. A failed read goes to the audit log with its reason, and a lock says so.
 */
export const readAndVerify = async (
  ports: LimitPorts & { trustAnchors: TrustAnchors; audit: AuditLog },
  context: CardReadContext,
  input: CardInput,
  options: { allowExpired?: boolean } = {},
): Promise<Result<{ facts: VerifiedCertificate; proof: CardProof }, ChallengedReadError>> => {
  const read = await readAndVerifyUnlogged(ports, context, input, options)
  if (!read.ok) {
    await recordRefusedRead(ports, context, input, auditReason(read.error), lockedBy(read.error))
  }
  return read
}

/**
 * Records a card read refused: by the read itself (readAndVerify), or by what the flow found in a
 * certificate that was read well (someone else's, already registered, …), with the reason.
 */
export const recordRefusedRead = (
  ports: { audit: AuditLog; clock: Clock },
  context: CardReadContext,
  input: CardInput,
  reason: string,
  cardLocked = false,
) =>
  ports.audit.append({
    at: ports.clock.now(),
    action: 'card-read',
    outcome: 'failure',
    userId: context.userId,
    clientAddress: context.clientAddress,
    detail: { flow: context.flow, reason, input: input.kind, ...(cardLocked && { cardLocked: true }) },
  })

const readAndVerifyUnlogged = async (
  ports: LimitPorts & { trustAnchors: TrustAnchors },
  context: CardReadContext,
  input: CardInput,
  options: { allowExpired?: boolean },
): Promise<Result<{ facts: VerifiedCertificate; proof: CardProof }, ChallengedReadError>> => {
  const read = await readUnderLimits(ports, { ...context, input })
  if (!read.ok) return read
  const { proof, origin, challenge } = read.value
  const verified = await verifyProof(
    proof,
    challenge,
    await ports.trustAnchors.load(proof.certificate),
    ports.clock.now(),
    {
      ...options,
      origin,
    },
  )
  if (!verified.ok) return err({ kind: 'certificate', error: verified.error })
  const second = proof.userAuthenticationSignature
  if (
    second &&
    !(await proofSignatureHolds(
      { certificate: proof.userAuthenticationCertificate ?? new Uint8Array(), ...second },
      challenge,
      origin,
    ))
  )
    return err({ kind: 'certificate', error: { kind: 'bad-signature' } })
  await read.value.release()
  return ok({ facts: verified.value, proof })
}

/** A card the server's reader reaches, with the PIN tries it has left (a file never locks). */
export type CardInReach = CardSummary & { triesLeft?: number }

/**
 * The cards in the server's reader that a screen may offer (`offered`), each with its tries left:
 * the virtual cards in development, none in production, where the card helper reads the user's.
 */
export const cardsInReach =
  (ports: { cardReader: CardReader }) =>
  async (offered: (card: CardSummary) => boolean): Promise<CardInReach[]> => {
    const cards = (await ports.cardReader.listCards()).filter(offered)
    const tries = await Promise.all(cards.map((card) => ports.cardReader.triesLeft(card.cardId)))
    return cards.map((card, i) => ({ ...card, triesLeft: tries[i] }))
  }
