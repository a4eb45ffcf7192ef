import { describe, expect, it } from 'vitest'
import { gatheredCalls } from './gathered-calls.ts'

/** A statement that answers each call with its text doubled, and records each run's calls. */
const recording = () => {
  const runs: string[][] = []
  const run = async (calls: string[]) => {
    runs.push(calls)
    await new Promise((r) => setTimeout(r, 1))
    return calls.map((c) => c + c)
  }
  return { runs, run }
}

describe('gatheredCalls', () => {
  it('runs the calls of one turn together and answers each its own', async () => {
    const { runs, run } = recording()
    const call = gatheredCalls(run)
    const answers = await Promise.all(['a', 'b', 'c'].map(call))
    expect(answers).toEqual(['aa', 'bb', 'cc'])
    expect(runs).toEqual([['a', 'b', 'c']])
    // A call of a later turn is a statement of its own.
    expect(await call('d')).toBe('dd')
    expect(runs).toEqual([['a', 'b', 'c'], ['d']])
  })

  it('gathers calls made after awaits within the same turn', async () => {
    const { runs, run } = recording()
    const call = gatheredCalls(run)
    const later = async (c: string) => {
      await Promise.resolve()
      await Promise.resolve()
      return call(c)
    }
    expect(await Promise.all([call('a'), later('b')])).toEqual(['aa', 'bb'])
    expect(runs).toEqual([['a', 'b']])
  })

  it('never puts two calls with one key in one statement: the later runs after the earlier', async () => {
    const { runs, run } = recording()
    const call = gatheredCalls(run, { keyOf: (c) => c.slice(0, 1) })
    const answers = await Promise.all(['a1', 'b1', 'a2', 'a3', 'c1'].map(call))
    expect(answers).toEqual(['a1a1', 'b1b1', 'a2a2', 'a3a3', 'c1c1'])
    expect(runs).toEqual([['a1', 'b1', 'c1'], ['a2'], ['a3']])
  })

  it('runs at most `most` calls in one statement', async () => {
    const { runs, run } = recording()
    const call = gatheredCalls(run, { most: 2 })
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(call))
    expect(runs).toEqual([['a', 'b'], ['c', 'd'], ['e']])
  })

  it('fails each call of a statement that fails, and only those', async () => {
    const call = gatheredCalls(
      async (calls: string[]) => {
        if (calls.includes('bad')) throw new Error('the database went away')
        return calls
      },
      { most: 2 },
    )
    const outcomes = await Promise.allSettled(['ok', 'bad', 'fine'].map(call))
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
    expect((outcomes[0] as PromiseRejectedResult).reason).toEqual(new Error('the database went away'))
    // And the next call is not held up by the failure.
    expect(await call('next')).toBe('next')
  })
})
