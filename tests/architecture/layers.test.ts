/** The layer rules (tests/architecture/layer-rules.ts) hold over the project, and the checker catches each kind of break. */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importsOf, layerViolations, projectModules } from './layer-rules.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('the layer rules', () => {
  it('hold over core, adapters, web and jobs', () => {
    const modules = projectModules(ROOT)
    expect(modules.size).toBeGreaterThan(100)
    expect(layerViolations(modules)).toEqual([])
  })

  it.each([
    ['core/domain/a.ts', "import { x } from 'node:fs'", 'core imports no runtime module'],
    [
      'core/lib/a.ts',
      "import { openDatabase } from '../../adapters/db/database.ts'",
      'core imports nothing outside core',
    ],
    ['core/lib/a.ts', "import { zod } from 'zod'", 'core imports no package but'],
    ['core/use-cases/shared/a.ts', "import { z } from 'zod'", 'core imports no package but'],
    ['core/domain/a.ts', "import { z } from 'kysely'", 'core imports no package but'],
    ['core/lib/a.ts', "import type { User } from '../domain/account.ts'", 'core/lib imports only core/lib'],
    [
      'core/domain/a.ts',
      "import { newUser } from '../ports.ts'",
      'core/domain imports only the types of the ports',
    ],
    [
      'core/domain/a.ts',
      "import type { X } from '../use-cases/shared/card-proof.ts'",
      'core/domain imports only core/lib and core/domain',
    ],
    [
      'core/use-cases/user-deletion/a.ts',
      "import { x } from '../mandate-renewal/mandate-renewal.ts'",
      'a flow imports no other flow',
    ],
    [
      'core/use-cases/shared/a.ts',
      "export { x } from '../sign-in/sign-in.ts'",
      'a flow imports no other flow',
    ],
    ['web/menu.ts', "import type { Db } from '../adapters/db/database.ts'", 'web imports no adapter'],
    ['web/menu.ts', "const { x } = await import('../jobs/queues.ts')", 'web imports no job'],
    [
      'web/user-deletion.ts',
      "import {\n  certificateTable,\n} from './user-update/views.ts'",
      "a screen's module imports no other screen's",
    ],
    ['jobs/workers.ts', "import { render } from '../web/render.ts'", 'jobs import no web'],
    ['adapters/geps/geps.http.ts', "import { startPortal } from '../../main.ts'", 'adapters import no web'],
    [
      'adapters/stores/memory.ts',
      "import { demoMandates } from '../dev/demo-mandates.ts'",
      'only the composition root wires a development tool',
    ],
  ])('refuses %s with %s', (file, source, rule) => {
    const found = layerViolations(new Map([[file, source]]))
    expect(found).toHaveLength(1)
    expect(found[0]?.rule).toContain(rule)
  })

  it.each([
    ['core/domain/a.ts', "import type { Clock } from '../ports.ts'"],
    [
      'core/use-cases/user-deletion/a.ts',
      "import { readOwnMyNumberCard } from '../shared/my-number-card.ts'",
    ],
    ['core/lib/a.ts', "import * as asn1js from 'asn1js'"],
    ['web/user-deletion.ts', "import { certificateTable } from './certificate-view.ts'"],
    ['web/user-update/routes.ts', "import { inputForm } from './views.ts'"],
    ['adapters/dev/demo-data.ts', "import { demoMandates } from './demo-mandates.ts'"],
  ])('lets %s import %s', (file, source) => {
    expect(layerViolations(new Map([[file, source]]))).toEqual([])
  })

  it('reads type-only, re-exported and dynamic imports', () => {
    expect(
      importsOf(
        "import type { A } from './a.ts'\nexport { b } from './b.ts'\nconst c = await import('./c.ts')\nimport './d.ts'",
      ),
    ).toEqual([
      { specifier: './a.ts', typeOnly: true },
      { specifier: './b.ts', typeOnly: false },
      { specifier: './d.ts', typeOnly: false },
      { specifier: './c.ts', typeOnly: false },
    ])
  })
})
