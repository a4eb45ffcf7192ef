/**
 * The [更新] transaction alone (issue 20, item 1): the completing use case (completeUserUpdate) on
 * postgres.js, called by `callers` concurrent callers, each completion on a draft prepared
 * beforehand (one user and session each: a completion moves its user's version, so a second draft
 * of the same user would be refused as changed by someone else). Against `pgbench -N` on the same
 * database, in interleaved pairs.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { DatabaseHandle } from '../../adapters/db/database.ts'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { newBoss } from '../../adapters/job-queue/boss.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { sessionKey } from '../../adapters/stores/session-key.ts'
import { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import { randomToken } from '../../core/lib/ids.ts'
import type { Clock } from '../../core/ports.ts'
import { USER_UPDATE_FLOW } from '../../core/use-cases/user-update/user-update.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { workerUseCases } from '../support/worker-use-cases.ts'

const run = promisify(execFile)

type Prepared = { sessionId: string; userId: string; draftId: string }

export const benchTransaction = async (args: {
  handle: DatabaseHandle
  url: string
  clock: Clock
  pairs: number
  seconds: number
  callers: number
  /** How many drafts to prepare for each pair: more than a pair can complete. */
  draftsPerPair: number
  say: (line: string) => void
}): Promise<number[]> => {
  const { handle, clock, say } = args
  const db = handle.db
  const boss = newBoss(handle, { max: 4, maintenance: false })
  boss.on('error', () => {})
  await boss.start()
  try {
    const ports = kyselyPorts(db, pgBossJobQueue(boss, ALL_QUEUES), clock)
    const { userUpdate } = workerUseCases(ports, {
      geps: memoryGeps(clock).geps,
      mailer: memoryMailer().mailer,
    })
    const hanako = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', DEMO_USER_IDS.hanako)
      .executeTakeFirstOrThrow()

    // Users and sessions in bulk, then each draft through the use case that makes it ([確認]).
    const prepare = async (count: number): Promise<Prepared[]> => {
      const sessions: { sessionId: string; userId: string }[] = []
      for (let start = 0; start < count; start += 1000) {
        const batch = Array.from({ length: Math.min(1000, count - start) }, () => ({
          userId: crypto.randomUUID(),
          sessionId: randomToken(32),
        }))
        const now = clock.now()
        await db
          .insertInto('users')
          .values(
            batch.map((b, i) => ({
              ...hanako,
              id: b.userId,
              name: `ベンチ 更新${start + i}`,
              email: `update${start + i}@sample-shoji.example.jp`,
              version: 1,
            })),
          )
          .execute()
        await db
          .insertInto('sessions')
          .values(
            batch.map((b) => ({
              id: sessionKey(b.sessionId),
              csrf_token: randomToken(16),
              user_id: b.userId,
              created_at: now,
              last_seen_at: now,
            })),
          )
          .execute()
        sessions.push(...batch)
      }
      const prepared: Prepared[] = []
      let next = 0
      await Promise.all(
        Array.from({ length: args.callers }, async () => {
          while (next < sessions.length) {
            const s = sessions[next++]
            if (!s) break
            const email = `prepared-${s.userId.slice(0, 8)}@sample-shoji.example.jp`
            const done = await userUpdate.prepare({
              ...s,
              input: {
                user: {
                  title: '係長',
                  postalCode: hanako.postal_code,
                  address: hanako.address,
                  phone: hanako.phone,
                  fax: hanako.fax ?? '',
                  email,
                  emailConfirmation: email,
                },
              },
            })
            if (!done.ok) throw new Error(`[確認] refused: ${JSON.stringify(done.error)}`)
            const draft = await ports.drafts.find(s.sessionId, USER_UPDATE_FLOW)
            if (!draft) throw new Error('no draft after [確認]')
            prepared.push({ ...s, draftId: draft.id })
          }
        }),
      )
      return prepared
    }

    const completions = async (drafts: Prepared[]): Promise<{ perSecond: number; cpuMs: number }> => {
      const cpu = process.cpuUsage()
      let next = 0
      let done = 0
      const until = Date.now() + args.seconds * 1000
      const started = Date.now()
      await Promise.all(
        Array.from({ length: args.callers }, async () => {
          while (Date.now() < until) {
            const draft = drafts[next++]
            if (!draft) throw new Error(`all ${drafts.length} prepared drafts were completed: prepare more`)
            const completed = await userUpdate.complete(draft)
            if (!completed.ok) throw new Error(`[更新] refused: ${JSON.stringify(completed.error)}`)
            done++
          }
        }),
      )
      const used = process.cpuUsage(cpu)
      return {
        perSecond: done / ((Date.now() - started) / 1000),
        cpuMs: (used.user + used.system) / 1000 / done,
      }
    }

    const ratios: number[] = []
    for (let pair = 0; pair < args.pairs; pair++) {
      const drafts = await prepare(args.draftsPerPair)
      const { stdout } = await run('pgbench', [
        '-N',
        '-c',
        String(args.callers),
        '-j',
        '2',
        '-T',
        String(args.seconds),
        args.url,
      ])
      const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1])
      const { perSecond, cpuMs } = await completions(drafts)
      ratios.push(perSecond / tps)
      say(
        `[更新] transaction pair ${pair + 1}: ${Math.round(perSecond).toLocaleString('en-US')} completions/s (${cpuMs.toFixed(2)} ms of the caller's CPU each) vs pgbench -N ${Math.round(tps).toLocaleString('en-US')} tps: ${(perSecond / tps).toFixed(2)}×`,
      )
    }
    return ratios
  } finally {
    await boss.stop({ graceful: false, timeout: 1000 })
  }
}
