/**
 * Production's card reader: the server reaches no card. An IC card or a My Number card is read
 * where the user is, by the card helper (a signed token), and a certificate file in the page or
 * on the server path; the screens offer no server-side card when this reader lists none.
 */

import { err } from '../../core/lib/result.ts'
import type { CardReader } from '../../core/ports.ts'

export const noCardReader: CardReader = {
  listCards: async () => [],
  triesLeft: async () => undefined,
  read: async () => err({ kind: 'no-card' }),
}
