/**
 * What a holder of a demo card would have outside the virtual reader: the card as a .p12 file,
 * and the token a card helper (or the page, for a file it opened) makes with the card's key.
 */
import { sql } from 'kysely'
import { writePkcs12 } from '../../adapters/dev/pkcs12-writer.ts'
import { toBase64 } from '../../core/lib/base64.ts'
import { helperSignedData } from '../../core/lib/helper-token.ts'
import type { HelperAlgorithm } from '../../core/ports.ts'
import type { Portal } from '../../main.ts'

/** The test client's origin, and the portal's as it sees it through app.request(). */
export const TEST_ORIGIN = 'http://localhost'

/** A demo card's certificate and key (PKCS#8), as the card itself would hold them. */
export const cardRow = async (portal: Portal, cardId: string) => {
  const { rows } = await sql<{ certificate: Uint8Array; private_key: Uint8Array }>`
    select certificate, private_key from development.virtual_cards where id = ${cardId}`.execute(
    portal.database.db,
  )
  const card = rows[0]
  if (!card) throw new Error(`no demo card ${cardId}`)
  return { certificate: new Uint8Array(card.certificate), privateKey: new Uint8Array(card.private_key) }
}

/** The .p12 a holder of the demo card `cardId` would have: its certificate and key. */
export const demoCardFile = async (portal: Portal, cardId: string, password: string): Promise<File> => {
  const card = await cardRow(portal, cardId)
  const bytes = await writePkcs12(card.certificate, card.privateKey, password)
  return new File([bytes], `${cardId}.p12`, { type: 'application/x-pkcs12' })
}

const HASHES: Record<string, string> = { ES256: 'SHA-256', ES384: 'SHA-384', ES512: 'SHA-512' }

/**
 * The card `cardId`'s certificate and a signature over hash(origin) ‖ hash(nonce), as a card
 * helper or the page makes them; `signAs` signs with another card's key.
 */
export const demoCardToken = async (
  portal: Portal,
  cardId: string,
  nonce: string,
  options: { origin?: string; algorithm?: HelperAlgorithm; signAs?: string } = {},
) => {
  const algorithm = options.algorithm ?? 'ES256'
  const card = await cardRow(portal, cardId)
  const signer = await cardRow(portal, options.signAs ?? cardId)
  const key = await crypto.subtle.importKey(
    'pkcs8',
    signer.privateKey,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  )
  const data = await helperSignedData(algorithm, options.origin ?? TEST_ORIGIN, nonce)
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: HASHES[algorithm] ?? 'SHA-256' },
    key,
    data,
  )
  return {
    certificate: toBase64(card.certificate),
    algorithm,
    signature: toBase64(new Uint8Array(signature)),
  }
}
