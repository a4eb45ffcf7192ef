/**
 * A unit of work commits when its work returns and rolls back when it throws or returns a failed
 * Result: a use case that finds a rule broken half-way leaves nothing behind.
 */
export const rollsBack = (result: unknown): boolean =>
  typeof result === 'object' && result !== null && 'ok' in result && result.ok === false
