/**
 * What an operator does with jobs that gave up: list the dead-lettered ones (why each failed), and
 * re-drive one or all back to the queue they failed on once the cause is fixed. A GEPS job
 * re-driven delivers its change as it is then, under the same idempotency key: GEPS applies it
 * once however often it is sent.
 */
import type { PgBoss } from 'pg-boss'
import { QUEUES, type QueueName } from './queues.ts'

export type DeadLetter = {
  /** The dead-letter queue it is in, and the queue it failed on. */
  deadLetterQueue: string
  queue: QueueName
  id: string
  deadLetteredAt: Date
  /** What it was about, without personal data: the change's id, or the mail's subject. */
  about: string
  /** The last failure, as the worker reported it. */
  reason: string
}

/** Each dead-letter queue, and the queue it serves. */
export const DEAD_LETTER_OF = Object.fromEntries(
  Object.entries(QUEUES).map(([queue, q]) => [q.deadLetter, queue as QueueName]),
) as Record<string, QueueName>

export const isDeadLetterQueue = (name: string): boolean => name in DEAD_LETTER_OF

const aboutOf = (queue: QueueName, data: unknown): string => {
  const d = (data ?? {}) as Record<string, unknown>
  return queue === 'geps-sync' ? `change ${String(d.changeId)}` : `mail「${String(d.subject)}」`
}

const reasonOf = (output: unknown): string => {
  const o = (output ?? {}) as Record<string, unknown>
  return typeof o.message === 'string' ? o.message : JSON.stringify(output ?? null)
}

/** Every dead-lettered job, oldest first within each queue. */
export const listDeadLetters = async (boss: PgBoss): Promise<DeadLetter[]> => {
  const all: DeadLetter[] = []
  for (const [deadLetterQueue, queue] of Object.entries(DEAD_LETTER_OF)) {
    for (const job of await boss.findJobs(deadLetterQueue, { limit: 100_000 })) {
      all.push({
        deadLetterQueue,
        queue,
        id: job.id,
        deadLetteredAt: new Date(job.createdOn),
        about: aboutOf(queue, job.data),
        reason: reasonOf(job.sourceOutput ?? job.output),
      })
    }
  }
  return all
}

/** Sends the dead-lettered jobs of one dead-letter queue (all, or those `ids`) back to their queue; how many moved. */
export const redriveDeadLetters = async (
  boss: PgBoss,
  deadLetterQueue: string,
  ids?: string[],
): Promise<number> => {
  const destination = DEAD_LETTER_OF[deadLetterQueue]
  if (!destination) throw new Error(`${deadLetterQueue} is not a dead-letter queue`)
  let moved = 0
  for (;;) {
    const n = await boss.redrive(deadLetterQueue, { destination, ...(ids && { ids }) })
    moved += n
    if (n === 0 || ids) return moved
  }
}
