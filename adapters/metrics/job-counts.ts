/** The jobs of the portal's queues by state, for the metrics: one grouped count on pg-boss's table. */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.ts'

/**
 * Per queue, its jobs created (waiting), retry (waiting out a delay), active and failed; and the
 * jobs in its dead-letter queue as its `dead`. Completed jobs are not counted.
 */
export const countJobs = async (
  db: Kysely<Database>,
  deadLetterOf: Record<string, string>,
): Promise<{ queue: string; state: string; count: number }[]> => {
  const { rows } = await sql<{ name: string; state: string; n: string }>`
    select name, state::text as state, count(*) as n from pgboss.job
    where state in ('created', 'retry', 'active', 'failed') group by name, state`.execute(db)
  const counts = new Map<string, { queue: string; state: string; count: number }>()
  for (const r of rows) {
    const served = deadLetterOf[r.name]
    const key = served ? { queue: served, state: 'dead' } : { queue: r.name, state: r.state }
    const id = `${key.queue}/${key.state}`
    counts.set(id, { ...key, count: (counts.get(id)?.count ?? 0) + Number(r.n) })
  }
  return [...counts.values()]
}
