/** The core's ports over in-memory adapters and the demo data, for use-case tests. */

import { buildDemoData, type DemoData, loadDemoIntoMemory } from '../../adapters/dev/demo-data.ts'
import { DEMO_MANDATE_PROVIDERS, demoMandates } from '../../adapters/dev/demo-mandates.ts'
import {
  linksOfRenewedCards,
  memoryVirtualCardStore,
  virtualCardReader,
} from '../../adapters/dev/virtual-card-reader.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { memoryJpki } from '../../adapters/jpki/jpki.memory.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { memoryMandateProvider } from '../../adapters/mandates/mandate-provider.memory.ts'
import { zodDraftFormats } from '../../adapters/stores/draft-formats.zod.ts'
import { memoryFailureLog } from '../../adapters/stores/failure-log.memory.ts'
import { emptyMemoryState, memoryStores, memoryUnitOfWork } from '../../adapters/stores/memory.ts'
import { memorySentMailLog } from '../../adapters/stores/sent-mail-log.memory.ts'
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../../core/use-cases/sessions/sessions.ts'
import { makeUseCases, type Ports } from '../../core/use-cases/use-cases.ts'
import { testClock } from './clock.ts'

const made = new Map<number, Promise<DemoData>>()
let firstAsked: Date | undefined
/** The instant of this test file's demo data: when the file first asked for it. */
const fileInstant = () => (firstAsked ??= new Date())

/**
 * The demo data as made at `at`: by default the moment this test file first asked for it, so
 * that a file makes its keys once. Each instant's is made once; each portal gets a copy.
 */
export const demoData = (at: Date = fileInstant()): Promise<DemoData> => {
  let demo = made.get(at.getTime())
  if (!demo) {
    demo = buildDemoData(at)
    made.set(at.getTime(), demo)
  }
  return demo
}

/**
 * The use cases' ports over in-memory adapters holding the demo data. The portal's clock stands at
 * `at` (by default the instant of the file's demo data) until a test moves it, and everything that
 * depends on the time (the test PKI, its CRLs, the mandates, the notices) is made at that instant.
 */
export const memoryPortal = async (at: Date = fileInstant()) => {
  const demo = structuredClone(await demoData(at))
  const state = emptyMemoryState()
  loadDemoIntoMemory(state, demo)
  const clock = testClock(at)
  const stores = memoryStores(state)
  const jpki = memoryJpki()
  const mandates = demoMandates(at)
  const mandateProviders = DEMO_MANDATE_PROVIDERS.map((p) =>
    memoryMandateProvider({ ...p, mandates: mandates[p.id] }),
  )
  for (const link of linksOfRenewedCards(demo.cards)) await jpki.link(link.certificate, link.previous)
  const geps = memoryGeps(clock)
  const ports = {
    ...stores,
    unitOfWork: memoryUnitOfWork(state),
    draftFormats: zodDraftFormats,
    cardReader: virtualCardReader(memoryVirtualCardStore(demo.cards)),
    trustAnchors: {
      load: async () => ({
        anchors: demo.trustAnchors.map((a) => ({ certificate: a.certificate, kind: a.kind })),
        revocationLists: demo.trustAnchors.map((a) => a.crl),
      }),
    },
    failures: memoryFailureLog(),
    jpki: jpki.jpki,
    mandateProviders: mandateProviders.map((p) => p.port),
    geps: geps.geps,
    mailer: memoryMailer().mailer,
    sentMails: memorySentMailLog(),
    clock,
  } satisfies Ports
  return {
    state,
    demo,
    clock,
    jpki,
    geps,
    mandateProviders,
    ports,
    /** Every use case over these ports, as main.ts builds them for the web app and the workers. */
    useCases: (settings: { sessionLimits: SessionLimits } = { sessionLimits: DEFAULT_SESSION_LIMITS }) =>
      makeUseCases(ports, settings),
  }
}
