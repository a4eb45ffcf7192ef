/**
 * The use cases the workers run, over the database's stores and the GEPS and mailer a test gives;
 * what no job touches (the card reader, the trust anchors, JPKI, the mandate providers) is an
 * inert twin.
 */

import { noCardReader } from '../../adapters/card-reader/no-card-reader.ts'
import { isDatabaseUnavailable } from '../../adapters/db/database.ts'
import { memoryJpki } from '../../adapters/jpki/jpki.memory.ts'
import { memoryFailureLog } from '../../adapters/stores/failure-log.memory.ts'
import type { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import type { Geps, Mailer } from '../../core/ports.ts'
import { DEFAULT_SESSION_LIMITS } from '../../core/use-cases/sessions/sessions.ts'
import { makeUseCases } from '../../core/use-cases/use-cases.ts'

export const workerUseCases = (
  ports: ReturnType<typeof kyselyPorts>,
  neighbours: { geps: Geps; mailer: Mailer },
) =>
  makeUseCases(
    {
      ...ports,
      ...neighbours,
      cardReader: noCardReader,
      trustAnchors: { load: async () => ({ anchors: [], revocationLists: [] }) },
      failures: memoryFailureLog(),
      jpki: memoryJpki().jpki,
      mandateProviders: [],
      isStoreUnavailable: isDatabaseUnavailable,
    },
    { sessionLimits: DEFAULT_SESSION_LIMITS },
  )
