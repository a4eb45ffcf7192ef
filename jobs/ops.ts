/**
 * The operator command, on the database the settings name (DATABASE_URL, or the embedded PGlite
 * folder while the portal is stopped):
 *
 *   npm run ops -- dead-letters                          lists the jobs that gave up, and why
 *   npm run ops -- redrive <dead-letter queue> [id ...]  sends those (or all) back to their queue
 *
 * The workers of a running portal pick re-driven jobs up.
 */
import { DataFolderInUseError, openDatabase } from '../adapters/db/database.ts'
import { newBoss } from '../adapters/job-queue/boss.ts'
import { configFromEnv } from '../main.ts'
import { isDeadLetterQueue, listDeadLetters, redriveDeadLetters } from './dead-letters.ts'

const USAGE = `usage:
  npm run ops -- dead-letters
  npm run ops -- redrive <geps-sync-dead | mail-dead> [job id ...]`

export const runOps = async (args: string[], env: Record<string, string | undefined>): Promise<number> => {
  const [command, queue, ...ids] = args
  if (command !== 'dead-letters' && !(command === 'redrive' && queue && isDeadLetterQueue(queue))) {
    console.error(USAGE)
    return 2
  }
  const database = await openDatabase(configFromEnv(env).database).catch((e: Error) => {
    if (e instanceof DataFolderInUseError)
      console.error(
        'The portal is running on this data folder: stop it first (PGlite has one process at a time).',
      )
    else console.error(`Could not open the database: ${e.message}`)
    return undefined
  })
  if (!database) return 1
  const boss = newBoss(database, { max: 2, maintenance: false })
  boss.on('error', (e) => console.error(`pg-boss: ${(e as Error).message}`))
  try {
    await boss.start()
    if (command === 'dead-letters') {
      const letters = await listDeadLetters(boss)
      if (letters.length === 0) console.log('No dead-lettered jobs.')
      for (const l of letters) {
        console.log(
          `${l.deadLetterQueue}\t${l.id}\t${l.deadLetteredAt.toISOString()}\t${l.about}\t${l.reason}`,
        )
      }
    } else if (queue) {
      const moved = await redriveDeadLetters(boss, queue, ids.length > 0 ? ids : undefined)
      console.log(`Re-drove ${moved} job(s) from ${queue}.`)
    }
    return 0
  } finally {
    await boss.stop({ graceful: false, timeout: 1000 })
    await database.close()
  }
}

if (import.meta.main) process.exit(await runOps(process.argv.slice(2), process.env))
