import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'core/**/*.test.ts',
      'adapters/**/*.test.ts',
      'web/**/*.test.ts',
      'jobs/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
    // As npm start: PGlite's WebAssembly by V8's baseline compiler only. The workers make many
    // clusters, and the optimising compiler's work took more time than it saved (docs/benchmarks.md).
    execArgv: ['--liftoff-only'],
    maxWorkers: 2,
  },
})
