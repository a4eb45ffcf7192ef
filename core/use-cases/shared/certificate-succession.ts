/**
 * Whether a certificate's expiry leaves its user without one: the expiry reminders and the menu
 * speak only of a certificate no other of the user's takes over from. A successor on its
 * authority's revocation list takes over nothing (入札 花子's newer file in the demo is revoked:
 * she is reminded). The revocation lists are loaded only when there is a successor to judge.
 */
import type { CardKind, Certificate } from '../../domain/account.ts'
import { listedAsRevoked } from '../../domain/certificate-path.ts'
import { successorsOf } from '../../domain/expiry.ts'
import type { TrustAnchors } from '../../ports.ts'

export const leftWithoutCertificate = async (
  ports: { trustAnchors: TrustAnchors },
  expiring: Certificate,
  theirs: Certificate[],
  cardKind: CardKind,
): Promise<boolean> => {
  const successors = successorsOf(expiring, theirs, cardKind)
  if (successors.length === 0) return true
  const { revocationLists } = await ports.trustAnchors.load()
  return successors.every((s) => listedAsRevoked(s, revocationLists))
}
