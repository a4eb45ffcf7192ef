/**
 * postgres.js's queue as patches/postgres+3.4.9.patch mends it (patches/README.md). The pool keeps
 * its connections in such queues and moves one at every statement; while every connection has
 * work, the queue of busy ones never empties. Unmended, it kept every slot it had used and searched
 * them all when it moved a connection: the worker's drain of 100,000 changes spent a fifth of its
 * CPU there, and a busy pool slowed down for as long as it stayed busy.
 */
import { describe, expect, it } from 'vitest'

type Queue<T> = { length: number; push: (x: T) => T; shift: () => T; remove: (x: T) => T | null }
const installed = new URL('queue.js', import.meta.resolve('postgres'))
const { default: Queue } = (await import(installed.href)) as { default: <T>(initial?: T[]) => Queue<T> }

/**
 * An array that counts the items its searches look at, and remembers the last one made: the queue
 * copies the array it is given and slices it, and both make arrays of the same kind.
 */
class CountingArray extends Array<string> {
  static looked = 0
  static latest: CountingArray | undefined
  // Slices make theirs with a length (new CountingArray(n)), which the spread passes on.
  constructor(...args: string[]) {
    super(...args)
    CountingArray.latest = this
  }
  override indexOf(x: string, from = 0): number {
    CountingArray.looked += Math.max(0, this.length - from)
    return super.indexOf(x, from)
  }
}

/** A queue of two that never empties, moved through `cycles` times as a busy pool moves its connections. */
const busyQueue = (cycles: number) => {
  const queue = Queue<string>(CountingArray.from(['a', 'b']))
  for (let i = 0; i < cycles; i++) {
    const x = queue.shift()
    queue.remove(x) // the pool's move(): the connection is looked for where it was
    queue.push(x)
  }
  return queue
}

describe("postgres.js's queue (mended)", () => {
  it('keeps its order and its length through shifts, pushes and removals', () => {
    const queue = busyQueue(5001)
    expect(queue.length).toBe(2)
    queue.push('c')
    expect(queue.remove('a')).toBe('a')
    expect(queue.remove('missing')).toBeNull()
    expect([queue.shift(), queue.shift()]).toEqual(['b', 'c'])
    expect(queue.length).toBe(0)
  })

  it('looks only at what is still queued when it moves an item, however long it has been busy', () => {
    CountingArray.looked = 0
    busyQueue(100_000)
    // Unmended: every removal searched all the slots used so far, about 5,000,000,000 in all.
    expect(CountingArray.looked).toBeLessThanOrEqual(2 * 100_000)
  })

  it('drops the slots it has used while it stays busy', () => {
    busyQueue(100_000)
    // Unmended: the array it was given, grown to 100,002 slots, all but two of them used.
    expect(CountingArray.latest?.length).toBeLessThanOrEqual(2 * 1024 + 2)
  })
})
