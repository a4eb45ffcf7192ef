/**
 * A statement of fixed shape, built and compiled by Kysely once: each later call only puts its
 * arguments in the compiled statement's parameters. For the statements every page runs (the
 * session, the drafts, the user's overview), where building and compiling the query again on each
 * request cost a tenth of the page's CPU (docs/benchmarks.md).
 *
 * `build` is given stand-ins for the arguments. It must use each as one value only (a statement's
 * parameter), never to choose the statement's shape, nor as a list (`in`: a stand-in is one
 * value, where a list's length shapes the SQL): a stand-in that does not come out as exactly one
 * parameter is refused on the first call.
 */
import { type Compilable, type CompiledQuery, createQueryId } from 'kysely'

class StandIn {
  readonly index: number
  constructor(index: number) {
    this.index = index
  }
}

type Template<R> = { query: CompiledQuery<R>; slots: (StandIn | { value: unknown })[] }

export const compiledOnce = <A extends unknown[], R>(
  arity: A['length'],
  build: (...args: A) => Compilable<R>,
): ((...args: A) => CompiledQuery<R>) => {
  let template: Template<R> | undefined
  const compile = (): Template<R> => {
    const standIns = Array.from({ length: arity }, (_, i) => new StandIn(i))
    const query = build(...(standIns as A)).compile()
    const slots = query.parameters.map((p) => (p instanceof StandIn ? p : { value: p }))
    for (const standIn of standIns) {
      const uses = slots.filter((s) => s === standIn).length
      if (uses !== 1)
        throw new Error(
          `argument ${standIn.index} of a compiled-once statement is used ${uses} times: ${query.sql}`,
        )
    }
    return { query, slots }
  }
  return (...args: A) => {
    template ??= compile()
    return {
      ...template.query,
      queryId: createQueryId(), // each execution its own, as Kysely gives each compile
      parameters: template.slots.map((s) => (s instanceof StandIn ? args[s.index] : s.value)),
    }
  }
}
