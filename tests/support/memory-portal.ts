/** The core's ports over in-memory adapters and the demo data, for use-case tests. */
import {
  linksOfRenewedCards,
  memoryVirtualCardStore,
  virtualCardReader,
} from '../../adapters/card-reader/virtual-card-reader.ts'
import { buildDemoData, type DemoData, loadDemoIntoMemory } from '../../adapters/demo/demo-data.ts'
import { DEMO_MANDATE_PROVIDERS, demoMandates } from '../../adapters/demo/demo-mandates.ts'
import { memoryJpki } from '../../adapters/jpki/jpki.memory.ts'
import { memoryMandateProvider } from '../../adapters/mandates/mandate-provider.memory.ts'
import { memoryFailureLog } from '../../adapters/stores/failure-log.memory.ts'
import { emptyMemoryState, memoryStores, memoryUnitOfWork } from '../../adapters/stores/memory.ts'

let cached: Promise<DemoData> | undefined
/** The demo data, made once per test file (making keys takes a moment); each portal gets a copy. */
export const demoData = (): Promise<DemoData> => {
  cached ??= buildDemoData(new Date())
  return cached
}

export const memoryPortal = async (now = new Date()) => {
  const demo = structuredClone(await demoData())
  const state = emptyMemoryState()
  loadDemoIntoMemory(state, demo)
  const clock = { now: () => now }
  const stores = memoryStores(state)
  const jpki = memoryJpki()
  const mandates = demoMandates(now)
  const mandateProviders = DEMO_MANDATE_PROVIDERS.map((p) =>
    memoryMandateProvider({ ...p, mandates: mandates[p.id] }),
  )
  for (const link of linksOfRenewedCards(demo.cards)) await jpki.link(link.certificate, link.previous)
  return {
    state,
    demo,
    clock,
    jpki,
    mandateProviders,
    ports: {
      ...stores,
      unitOfWork: memoryUnitOfWork(state),
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
      clock,
    },
  }
}
