import type { Clock } from '../../core/ports.ts'

/** A clock for tests: it stands at an instant and moves only when told to. */
export type TestClock = Clock & {
  set(at: Date): void
  advance(ms: number): void
}

export const testClock = (start: Date): TestClock => {
  let now = start.getTime()
  return {
    now: () => new Date(now),
    set: (at) => {
      now = at.getTime()
    },
    advance: (ms) => {
      now += ms
    },
  }
}
