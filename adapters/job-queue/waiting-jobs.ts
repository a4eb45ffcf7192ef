/**
 * What the workers ask of pg-boss's job table beyond its API: jobs waiting out a retry delay
 * brought forward (GEPS answers again, adapters/geps/geps-outage-gate.ts), and the changes whose
 * delivery job is gone (jobs/delivery-reconciliation.ts). Plain SQL on `pgboss.job`, the table
 * pg-boss keeps every queue's jobs in (a partition per queue), with pg-boss's own clock.
 */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.ts'

/**
 * Makes the jobs of `queue` that wait out a retry delay due now, the `limit` soonest (or all);
 * how many.
 */
export const bringWaitingJobsForward = async (
  db: Kysely<Database>,
  queue: string,
  limit?: number,
): Promise<number> => {
  const result = await sql`
    update pgboss.job j set start_after = pgboss.job_now()
    from (
      select id from pgboss.job
      where name = ${queue} and state = 'retry' and start_after > pgboss.job_now()
      order by start_after
      ${limit === undefined ? sql`` : sql`limit ${limit}`}
    ) waiting
    where j.name = ${queue} and j.id = waiting.id`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

/**
 * The changes still waiting for GEPS (waiting, retrying) that no job of `queue` will deliver: none
 * is created, retrying or active. With the last job's reason when one is left (a dead letter).
 * One statement, so one snapshot: a job that ends after it is not mistaken for one that is gone.
 */
export const changesWithoutDelivery = async (
  db: Kysely<Database>,
  queue: string,
  deadLetterQueue: string,
): Promise<{ changeId: string; reason: string }[]> => {
  const { rows } = await sql<{ changeId: string; reason: string | null }>`
    select c.id as "changeId",
      (select coalesce(j.output->>'message', j.output->'value'->>'message')
        from pgboss.job j
        where j.name in (${queue}, ${deadLetterQueue}) and j.data->>'changeId' = c.id::text
          and j.output is not null
        order by j.created_on desc limit 1) as reason
    from user_changes c
    where c.sync_state in ('waiting', 'retrying')
      and not exists (
        select 1 from pgboss.job j
        where j.name = ${queue} and j.state in ('created', 'retry', 'active')
          and j.data->>'changeId' = c.id::text)`.execute(db)
  return rows.map((r) => ({ changeId: r.changeId, reason: r.reason ?? 'its job is gone' }))
}
