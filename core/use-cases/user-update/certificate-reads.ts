/**
 * F1's [追加] and [削除] of 電子証明書情報: each a card read of its own, checked and staged until
 * [更新] registers or removes the certificate.
 */
import { type Certificate, isMyNumberAgent } from '../../domain/account.ts'
import { newId } from '../../lib/ids.ts'
import { err, ok, type Result } from '../../lib/result.ts'
import type { UserOverview } from '../../ports.ts'
import { type CardInput, readAndVerify, recordRefusedRead } from '../shared/card-proof.ts'
import { certificatesAfter, loadStaging, loadUserOverview, saveStaging } from './staging.ts'
import {
  type CertificatePorts,
  type CertificateRefusal,
  type StagedCertificate,
  type Staging,
  USER_UPDATE_FLOW,
  type UserUpdateError,
  type UserUpdatePorts,
} from './user-update.ts'

/**
 * [追加] of 電子証明書情報, after the card read: the certificate must prove possession of its key
 * over the session's challenge, be trusted and valid now, belong to this user (the holder's name,
 * and for a private certificate the business's), and be registered to no one yet.
 */
export const stageCertificate =
  (ports: UserUpdatePorts & CertificatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<StagedCertificate, UserUpdateError>> => {
    const overview = await loadUserOverview(ports)(cmd.userId)
    if (!overview.ok) return overview
    const { user, business, certificates } = overview.value
    if (isMyNumberAgent(user)) return err({ kind: 'forbidden' })
    const context = { ...cmd, flow: USER_UPDATE_FLOW }
    const read = await readAndVerify(ports, context, cmd.input)
    if (!read.ok) return err({ kind: 'certificate-refused', reason: read.error })
    // A certificate read well, but not one to add: the audit log records why, as for a failed read.
    const refuse = async (reason: CertificateRefusal) => {
      await recordRefusedRead(ports, context, cmd.input, reason.kind)
      return err({ kind: 'certificate-refused' as const, reason })
    }
    const { facts } = read.value
    if (facts.use !== 'private') return refuse({ kind: 'my-number-certificate' })
    if (facts.holderName !== user.name) {
      return refuse({ kind: 'holder-differs', holder: facts.holderName, user: user.name })
    }
    if (facts.organisation !== '' && facts.organisation !== business.name) {
      return refuse({
        kind: 'organisation-differs',
        organisation: facts.organisation,
        business: business.name,
      })
    }
    const staging = await loadStaging(ports)(cmd.sessionId)
    const registered = await ports.accounts.findCertificateByFingerprint(facts.fingerprint)
    const already = certificatesAfter(certificates, staging.certificates).some(
      (c) => c.fingerprint === facts.fingerprint,
    )
    if (registered || already) return refuse({ kind: 'already-registered' })
    const certificate: StagedCertificate = {
      id: newId(),
      fingerprint: facts.fingerprint,
      serialNumber: facts.serialNumber,
      subject: facts.subject,
      issuer: facts.issuer,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
    }
    await saveStaging(ports, cmd.sessionId, {
      ...staging,
      certificates: { ...staging.certificates, added: [...staging.certificates.added, certificate] },
    })
    return ok(certificate)
  }

/**
 * [削除] of 電子証明書情報. A certificate staged for addition is withdrawn at once (it was never
 * registered). Removing a registered one takes a card read in this flow, whatever the session's
 * age: the answer is `card-read-required`, and stageCertificateRemoval does it after the read.
 * Neither may leave the user without a certificate.
 */
export const requestCertificateRemoval =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    certificateId: string
  }): Promise<Result<void, UserUpdateError>> => {
    const removal = await checkRemoval(ports, cmd)
    if (!removal.ok) return removal
    const { staging } = removal.value
    const staged = staging.certificates
    if (!staged.added.some((c) => c.id === cmd.certificateId)) {
      return err({ kind: 'card-read-required', certificateId: cmd.certificateId })
    }
    const next = { ...staged, added: staged.added.filter((c) => c.id !== cmd.certificateId) }
    await saveStaging(ports, cmd.sessionId, { ...staging, certificates: next })
    return ok(undefined)
  }

/**
 * Whether the user may remove this certificate of theirs (registered or staged) now: they change
 * their own certificates here, it is theirs, and one would be left after it.
 */
const checkRemoval = async (
  ports: UserUpdatePorts,
  cmd: { sessionId: string; userId: string; certificateId: string },
): Promise<Result<{ overview: UserOverview; staging: Staging }, UserUpdateError>> => {
  const overview = await loadUserOverview(ports)(cmd.userId)
  if (!overview.ok) return overview
  if (isMyNumberAgent(overview.value.user)) return err({ kind: 'forbidden' })
  const staging = await loadStaging(ports)(cmd.sessionId)
  const after = certificatesAfter(overview.value.certificates, staging.certificates)
  if (!after.some((c) => c.id === cmd.certificateId)) return err({ kind: 'certificate-not-found' })
  if (after.length === 1) return err({ kind: 'last-certificate' })
  return ok({ overview: overview.value, staging })
}

/** A removal of a registered certificate (not a staged one), if it may go ahead. */
const checkRegisteredRemoval = async (
  ports: UserUpdatePorts,
  cmd: { sessionId: string; userId: string; certificateId: string },
): Promise<
  Result<{ overview: UserOverview; staging: Staging; certificate: Certificate }, UserUpdateError>
> => {
  const removal = await checkRemoval(ports, cmd)
  if (!removal.ok) return removal
  const certificate = removal.value.overview.certificates.find((c) => c.id === cmd.certificateId)
  return certificate ? ok({ ...removal.value, certificate }) : err({ kind: 'certificate-not-found' })
}

/** The registered certificate a removal's read screen names, if the removal may go ahead. */
export const certificateToRemove =
  (ports: UserUpdatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    certificateId: string
  }): Promise<Result<Certificate, UserUpdateError>> => {
    const removal = await checkRegisteredRemoval(ports, cmd)
    return removal.ok ? ok(removal.value.certificate) : removal
  }

/**
 * [削除] of a registered certificate, after the card read: the user proves who they are with a
 * certificate registered to them (the one to remove, or another: a lost card cannot be read), over
 * the session's challenge, valid now. Then the removal is staged, to be written at [更新].
 */
export const stageCertificateRemoval =
  (ports: UserUpdatePorts & CertificatePorts) =>
  async (cmd: {
    sessionId: string
    userId: string
    certificateId: string
    input: CardInput
    clientAddress?: string
  }): Promise<Result<void, UserUpdateError>> => {
    const before = await checkRegisteredRemoval(ports, cmd)
    if (!before.ok) return before
    const context = { ...cmd, flow: USER_UPDATE_FLOW }
    const read = await readAndVerify(ports, context, cmd.input)
    if (!read.ok) return err({ kind: 'certificate-refused', reason: read.error })
    if (!before.value.overview.certificates.some((c) => c.fingerprint === read.value.facts.fingerprint)) {
      await recordRefusedRead(ports, context, cmd.input, 'not-own-certificate')
      return err({ kind: 'certificate-refused', reason: { kind: 'not-own-certificate' } })
    }
    // Read again after the card: another tab may have staged something meanwhile.
    const removal = await checkRegisteredRemoval(ports, cmd)
    if (!removal.ok) return removal
    const { staging } = removal.value
    const removed = [...new Set([...staging.certificates.removed, cmd.certificateId])]
    await saveStaging(ports, cmd.sessionId, {
      ...staging,
      certificates: { ...staging.certificates, removed },
    })
    return ok(undefined)
  }
