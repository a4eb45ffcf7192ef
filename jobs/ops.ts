/**
 * The operator command, on the database the settings name (DATABASE_URL, or the embedded PGlite
 * folder while the portal is stopped):
 *
 *   npm run ops -- check-config                          what a start would say of the settings
 *   npm run ops -- migrate                               the migrations alone, before a deploy
 *   npm run ops -- dead-letters                          lists the jobs that gave up, and why
 *   npm run ops -- redrive <dead-letter queue> [id ...]  sends those (or all) back to their queue
 *   npm run ops -- audit [--since <time>] [--until <time>] [--receipt <受付番号>]
 *                                                        the audit log as JSON lines (UTC)
 *   npm run ops -- trust list                           the trust anchors and intermediate authorities
 *   npm run ops -- trust add <name> <anchor|intermediate> <private|jpki> <certificate file>
 *   npm run ops -- trust crl <name> <CRL file>             keeps an authority's CRL beside it
 *   npm run ops -- trust remove <name>
 *
 * The workers of a running portal pick re-driven jobs up.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import {
  type DatabaseHandle,
  DataFolderInUseError,
  migrateToLatest,
  openDatabase,
  pendingMigrations,
} from '../adapters/db/database.ts'
import { newBoss } from '../adapters/job-queue/boss.ts'
import { kyselyAuditLogReader } from '../adapters/stores/audit-log.kysely.ts'
import { kyselyChangeStore } from '../adapters/stores/change-store.kysely.ts'
import {
  addTrust,
  certificateFromFile,
  crlFromFile,
  listTrust,
  removeTrust,
  setTrustCrl,
} from '../adapters/stores/trust-store.kysely.ts'
import { RECEIPT_NUMBER_PATTERN } from '../core/domain/receipt-numbers.ts'
import { configFromEnv, settingsProblems } from '../main.ts'
import { type AuditRange, exportAuditLog } from './audit-export.ts'
import { isDeadLetterQueue, listDeadLetters, redriveDeadLetters } from './dead-letters.ts'

const USAGE = `usage:
  npm run ops -- check-config
  npm run ops -- migrate
  npm run ops -- dead-letters
  npm run ops -- redrive <geps-sync-dead | mail-dead> [job id ...]
  npm run ops -- audit [--since <time>] [--until <time>] [--receipt <受付番号>]
                       (times in ISO 8601, e.g. 2026-11-01T00:00:00Z; 受付番号 as 20261203-000123)
  npm run ops -- trust list
  npm run ops -- trust add <name> <anchor | intermediate> <private | jpki> <certificate file, PEM or DER>
  npm run ops -- trust crl <name> <CRL file, PEM or DER>
  npm run ops -- trust remove <name>`

const TrustAdd = z.tuple([
  z.literal('add'),
  z.string().regex(/^[\w.-]{1,64}$/),
  z.enum(['anchor', 'intermediate']),
  z.enum(['private', 'jpki']),
  z.string().min(1),
])
const TrustCommand = z.union([
  z.tuple([z.literal('list')]),
  TrustAdd,
  z.tuple([z.literal('remove'), z.string().min(1)]),
  z.tuple([z.literal('crl'), z.string().min(1), z.string().min(1)]),
])

const readFileOrSay = (file: string): Uint8Array | undefined => {
  try {
    return new Uint8Array(readFileSync(file))
  } catch (e) {
    console.error(`Cannot read ${file}: ${(e as Error).message}`)
    return undefined
  }
}

/** `trust list | add | crl | remove`, on an open database; the exit code. */
const runTrust = async (database: DatabaseHandle, command: z.infer<typeof TrustCommand>): Promise<number> => {
  if (command[0] === 'list') {
    const entries = await listTrust(database.unbounded)
    if (entries.length === 0) console.log('No trust anchors: no card is accepted.')
    for (const e of entries)
      console.log(
        `${e.name}\t${e.role}\t${e.kind}\t${e.subject}\tuntil ${e.notAfter.toISOString()}\t${e.fingerprint}`,
      )
    return 0
  }
  if (command[0] === 'remove') {
    if (await removeTrust(database.unbounded, command[1])) {
      console.log(`Removed ${command[1]}.`)
      return 0
    }
    console.error(`No trust entry named ${command[1]}.`)
    return 1
  }
  if (command[0] === 'crl') {
    const [, name, file] = command
    const bytes = readFileOrSay(file)
    if (!bytes) return 1
    const kept = await setTrustCrl(database.unbounded, name, crlFromFile(bytes), new Date())
    if (!kept.ok) {
      console.error(`Not kept: ${kept.error}.`)
      return 1
    }
    console.log(`Kept the CRL of ${name}, current until ${kept.value.nextUpdate?.toISOString()}.`)
    return 0
  }
  const [, name, role, kind, file] = command
  const bytes = readFileOrSay(file)
  if (!bytes) return 1
  const added = await addTrust(
    database.unbounded,
    { name, role, kind, certificate: certificateFromFile(bytes) },
    new Date(),
  )
  if (!added.ok) {
    console.error(`Not added: ${added.error}.`)
    return 1
  }
  console.log(
    `Added ${name} (${role}, ${kind}): ${added.value.subject}, until ${added.value.notAfter.toISOString()}.`,
  )
  return 0
}

const Time = z.iso.datetime({ offset: true }).transform((t) => new Date(t))

/** `--since <time>`, `--until <time>` and `--receipt <受付番号>`, in any order; undefined when anything else is there. */
const auditRangeOf = (args: string[]): AuditRange | undefined => {
  const range: AuditRange = {}
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1] ?? ''
    if (args[i] === '--receipt' && !range.receiptNumber && RECEIPT_NUMBER_PATTERN.test(value)) {
      range.receiptNumber = value
      continue
    }
    const time = Time.safeParse(value)
    if (!time.success) return undefined
    if (args[i] === '--since' && !range.since) range.since = time.data
    else if (args[i] === '--until' && !range.until) range.until = time.data
    else return undefined
  }
  return range
}

export const runOps = async (args: string[], env: Record<string, string | undefined>): Promise<number> => {
  const [command, queue, ...ids] = args
  if (command === 'check-config') return checkConfig(env)
  if (command === 'migrate') return migrate(env)
  const auditRange = command === 'audit' ? auditRangeOf(args.slice(1)) : undefined
  const trust = command === 'trust' ? TrustCommand.safeParse(args.slice(1)) : undefined
  const understood =
    command === 'dead-letters' ||
    (command === 'redrive' && queue && isDeadLetterQueue(queue)) ||
    auditRange !== undefined ||
    trust?.success
  if (!understood) {
    console.error(USAGE)
    return 2
  }
  const database = await open(env)
  if (!database) return 1
  if (trust?.success) {
    try {
      return await runTrust(database, trust.data)
    } finally {
      await database.close()
    }
  }
  if (auditRange) {
    try {
      // By 受付番号: the change's id too, for entries written before changes had one.
      const change = auditRange.receiptNumber
        ? await kyselyChangeStore(database.unbounded).findByReceiptNumber(auditRange.receiptNumber)
        : undefined
      await exportAuditLog(
        kyselyAuditLogReader(database.unbounded),
        { ...auditRange, ...(change && { changeId: change.id }) },
        (line) => console.log(line),
      )
      return 0
    } finally {
      await database.close()
    }
  }
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

/**
 * Brings the database to this code's schema, as its own step before a deploy (a start does it too):
 * the old processes keep running meanwhile, so each migration leaves a schema both can use.
 */
const migrate = async (env: Record<string, string | undefined>): Promise<number> => {
  const database = await open(env)
  if (!database) return 1
  try {
    const pending = await pendingMigrations(database.unbounded)
    await migrateToLatest(database.unbounded)
    console.log(pending.length === 0 ? 'The database is up to date.' : `Ran ${pending.join(', ')}.`)
    return 0
  } finally {
    await database.close()
  }
}

/** Says what `npm start` would say of the settings, without starting: 0 when it can start. */
const checkConfig = (env: Record<string, string | undefined>): number => {
  const problems = settingsProblems(env)
  if (problems.length > 0) {
    console.error(`The settings need fixing:\n${problems.map((p) => `- ${p}`).join('\n')}`)
    return 1
  }
  const config = configFromEnv(env)
  console.log(
    `The settings are complete for ${config.development ? 'a development instance (simulators for every neighbour left unset)' : 'production'}.`,
  )
  return 0
}

const open = (env: Record<string, string | undefined>): Promise<DatabaseHandle | undefined> =>
  openDatabase(configFromEnv(env).database).catch((e: Error) => {
    if (e instanceof DataFolderInUseError)
      console.error(
        'The portal is running on this data folder: stop it first (PGlite has one process at a time).',
      )
    else console.error(`Could not open the database: ${e.message}`)
    return undefined
  })

if (import.meta.main) process.exit(await runOps(process.argv.slice(2), process.env))
