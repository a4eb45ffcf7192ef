/**
 * Calls made in the same turn of the event loop, run together as one statement. A batch of GEPS
 * deliveries asks for its 32 changes, users and mandates at once, and records its outcomes as
 * their answers come in: PostgreSQL then gets one statement for the 32 (or for those answered in
 * one turn) where it got 32, each a round of the protocol for both processes and, for a write, a
 * transaction and a flush of the log of its own (docs/benchmarks.md, "Gathered statements").
 *
 * Each caller gets its own answer, or the statement's error: a group that fails fails each of its
 * calls, as each would have failed alone, and nothing is retried here. Calls with the same key (a
 * write to the same row) never share a statement: the later runs after the earlier one, in the
 * order they were made, as they would have alone.
 */
import { setImmediate } from 'node:timers'
import { sql } from 'kysely'
import { isId } from '../../core/lib/ids.ts'

type Waiting<A, R> = { call: A; resolve: (answer: R) => void; reject: (error: unknown) => void }
type Group<A, R> = { waiting: Waiting<A, R>[]; keys: Set<string> }

export const gatheredCalls = <A, R>(
  /** Runs the calls as one statement and answers each, in the calls' order. */
  runTogether: (calls: A[]) => Promise<R[]>,
  options: {
    /** Calls with one key run in separate statements, in order (a row written twice). */
    keyOf?: (call: A) => string
    /** The most calls in one statement (its parameters' size). */
    most?: number
  } = {},
): ((call: A) => Promise<R>) => {
  const most = options.most ?? 500
  let groups: Group<A, R>[] = []

  const run = async ({ waiting }: Group<A, R>) => {
    try {
      const answers = await runTogether(waiting.map((w) => w.call))
      for (const [i, w] of waiting.entries()) w.resolve(answers[i] as R)
    } catch (e) {
      for (const w of waiting) w.reject(e)
    }
  }
  // One after the other: a later group holds calls that must follow an earlier one's.
  const runAll = async () => {
    const taken = groups
    groups = []
    for (const group of taken) await run(group)
  }

  return (call) =>
    new Promise<R>((resolve, reject) => {
      if (groups.length === 0) setImmediate(runAll)
      const key = options.keyOf?.(call)
      let group = groups.find((g) => g.waiting.length < most && (key === undefined || !g.keys.has(key)))
      if (!group) {
        group = { waiting: [], keys: new Set() }
        groups.push(group)
      }
      group.waiting.push({ call, resolve, reject })
      if (key !== undefined) group.keys.add(key)
    })
}

/** Whether a store gathers its calls (outside transactions) or runs each by itself (inside one). */
export type Gathering = 'gathered' | 'one by one'

/** `runTogether` as a function of one call: gathered with the others of its turn, or run alone. */
export const gatheredOrOne = <A, R>(
  gathering: Gathering,
  runTogether: (calls: A[]) => Promise<R[]>,
  options: { keyOf?: (call: A) => string } = {},
): ((call: A) => Promise<R>) =>
  gathering === 'gathered'
    ? gatheredCalls(runTogether, options)
    : async (call) => (await runTogether([call]))[0] as R

/**
 * Reads by id, for gatheredCalls: answers each id with its row, or undefined where there is none
 * or the text is no id at all (a job's data is not trusted to hold one: one malformed id must not
 * fail the statement for the others). An id read twice is read once.
 */
export const byId =
  <T>(readMany: (ids: string[]) => Promise<T[]>, idOf: (row: T) => string) =>
  async (ids: string[]): Promise<(T | undefined)[]> => {
    const wellFormed = [...new Set(ids.filter(isId).map((id) => id.toLowerCase()))]
    const rows = wellFormed.length === 0 ? [] : await readMany(wellFormed)
    const found = new Map(rows.map((row) => [idOf(row), row]))
    return ids.map((id) => found.get(id.toLowerCase()))
  }

/**
 * `column = any(…)` over the ids in one parameter, a JSON array of them (`JSON.stringify(ids)`):
 * one statement's shape for any number of ids, which compiledOnce can keep, read through the
 * column's index.
 */
export const anyOfIds = (idsAsJson: string) =>
  sql<string>`any(array(select jsonb_array_elements_text(${idsAsJson}::text::jsonb)::uuid))`
