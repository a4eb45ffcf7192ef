/**
 * Scale (issue 20, items 1 and 6): the pages and the audit export with the database holding 1,000
 * and then 1,000,000 users, 10 changes and 10 audit entries each, ten users to a business. The
 * rows are generated in SQL, in batches, on a database of their own.
 *
 * At each size: the input screen (/user/edit), the menu (/menu) and 変更履歴 (/business/history)
 * of a representative, loaded as the page figure is; the audit export of one change by its
 * 受付番号 (the helpdesk's question) and of the newest 10,000 entries, timed in this process; the
 * statements of those pages and of the jobs, run through the portal's own stores here and
 * EXPLAINed; and PostgreSQL's count of sequential scans of each table while the pages were loaded
 * (the web process's own statements, whatever they are).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { type CompiledQuery, sql } from 'kysely'
import { type DatabaseHandle, openDatabase } from '../../adapters/db/database.ts'
import { memoryGeps } from '../../adapters/geps/geps.memory.ts'
import { changesWithoutDelivery } from '../../adapters/job-queue/waiting-jobs.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { kyselyAuditLogReader } from '../../adapters/stores/audit-log.kysely.ts'
import { sessionKey } from '../../adapters/stores/session-key.ts'
import { kyselyPorts } from '../../adapters/stores/unit-of-work.kysely.ts'
import { randomToken } from '../../core/lib/ids.ts'
import type { Clock } from '../../core/ports.ts'
import { exportAuditLog } from '../../jobs/audit-export.ts'
import { workerUseCases } from '../support/worker-use-cases.ts'
import { median } from './median.ts'

type Load = (
  url: string,
  headers: Record<string, string>,
  seconds?: number,
) => Promise<{ rps: number; p50: number; p99: number }>

/** The tables whose sequential scans would mean a query reads a table that grows with the users. */
const GROWING = [
  'users',
  'businesses',
  'certificates',
  'user_changes',
  'audit_log',
  'sessions',
  'drafts',
  'notices',
]

const BATCH = 20_000
/** How many times each page is loaded and the newest entries exported at each size. */
const LOADS = 3

const run = promisify(execFile)

/** Users [from, to) with their businesses, certificates, changes and audit entries. */
const generate = async (db: DatabaseHandle['unbounded'], from: number, to: number) => {
  for (let lo = from; lo < to; lo += BATCH) {
    const hi = Math.min(to, lo + BATCH)
    await sql`insert into businesses (id, corporate_number, name, name_kana, representative_title,
        representative_name, representative_name_kana, postal_code, address, phone, fax, version)
      select md5('scale-b' || b)::uuid, '9' || lpad(b::text, 12, '0'), 'スケール商事' || b, 'スケールショウジ',
        '代表取締役', '規模 太郎', 'キボ タロウ', '100-0001', '東京都千代田区千代田1-1', '03-1234-5678', '', 1
      from generate_series(${lo}::int / 10, (${hi}::int - 1) / 10) b
      on conflict do nothing`.execute(db)
    await sql`insert into users (id, business_id, role, card_kind, name, name_kana, department, title,
        postal_code, address, phone, fax, email, version)
      select md5('scale-u' || u)::uuid, md5('scale-b' || (u / 10))::uuid,
        case when u % 10 = 0 then 'representative' else 'agent' end, 'ic-card', '規模 利用者' || u,
        'キボ リヨウシャ', '営業部', '係長', '100-0001', '東京都千代田区千代田1-1', '03-1234-5678', '',
        'scale' || u || '@sample-shoji.example.jp', 1
      from generate_series(${lo}::int, ${hi}::int - 1) u`.execute(db)
    await sql`insert into certificates (id, user_id, fingerprint, serial_number, subject, issuer, not_before, not_after)
      select md5('scale-c' || u)::uuid, md5('scale-u' || u)::uuid, encode(sha256(('scale-c' || u)::bytea), 'hex'),
        u::text, 'CN=規模 利用者' || u, 'CN=Scale CA', now() - interval '1 year', now() + interval '1 year'
      from generate_series(${lo}::int, ${hi}::int - 1) u`.execute(db)
    // Ten changes a user over the last year, delivered, and their audit entries.
    const changes = sql`select md5('scale-ch' || u || '-' || k)::uuid as id,
        'S' || lpad((u * 10 + k)::text, 10, '0') as receipt_number,
        md5('scale-u' || u)::uuid as user_id, md5('scale-b' || (u / 10))::uuid as business_id,
        jsonb_build_object('nameKana', 'キボ リヨウシャ', 'department', '営業部', 'title', '係長',
          'postalCode', '100-0001', 'address', '東京都千代田区千代田1-1', 'phone', '03-1234-5678',
          'fax', '', 'email', 'scale' || u || '@sample-shoji.example.jp') as fields,
        now() - ((u * 10 + k) % 525600) * interval '1 minute' - interval '1 hour' as at
      from generate_series(${lo}::int, ${hi}::int - 1) u, generate_series(0, 9) k`
    await sql`insert into user_changes (id, receipt_number, user_id, business_id, kind, before, after,
        created_at, sync_state, sync_receipt, sync_attempts, sync_updated_at)
      select id, receipt_number, user_id, business_id, 'user-contact-updated', fields,
        fields || '{"title": "課長"}', at, 'done', 'G-' || receipt_number, 1, at
      from (${changes}) c`.execute(db)
    // A notice each, and a session for one user in ten (signed in within the last half hour).
    await sql`insert into notices (id, user_id, kind, title, body, published_at, read_at)
      select md5('scale-n' || u)::uuid, md5('scale-u' || u)::uuid, 'notice', 'お知らせ' || u, '本文',
        now() - (u % 1000) * interval '1 hour', case when u % 2 = 0 then now() end
      from generate_series(${lo}::int, ${hi}::int - 1) u`.execute(db)
    await sql`insert into sessions (id, csrf_token, user_id, created_at, last_seen_at)
      select encode(sha256(('scale-s' || u)::bytea), 'hex'), md5('scale-t' || u), md5('scale-u' || u)::uuid,
        now() - (u % 30) * interval '1 minute', now() - (u % 30) * interval '1 minute'
      from generate_series(${lo}::int, ${hi}::int - 1) u where u % 10 = 5`.execute(db)
    await sql`insert into audit_log (at, action, outcome, user_id, business_id, client_address, detail)
      select at, 'user-contact-updated', 'success', user_id, business_id, '127.0.0.1',
        jsonb_build_object('changeId', id, 'receiptNumber', receipt_number, 'fields', jsonb_build_array('title'))
      from (${changes}) c`.execute(db)
  }
}

const seqScans = async (db: DatabaseHandle['unbounded']) => {
  const { rows } = await sql<{ relname: string; seq_scan: string; seq_tup_read: string }>`
    select relname, seq_scan::text, seq_tup_read::text from pg_stat_user_tables where schemaname = 'public'`.execute(
    db,
  )
  return new Map(rows.map((r) => [r.relname, { scans: Number(r.seq_scan), rows: Number(r.seq_tup_read) }]))
}

export const benchScale = async (args: {
  url: string
  /** Starts the portal's web process on `url` (migrations, demo data) and gives its address. */
  startWeb: (databaseUrl: string) => Promise<string>
  load: Load
  clock: Clock
  sizes: number[]
  say: (line: string) => void
}) => {
  const { say } = args
  const ran: CompiledQuery[] = []
  let capturing = false
  const webUrl = await args.startWeb(args.url)
  const handle = await openDatabase(
    { backend: 'postgres', url: args.url, poolSize: 4 },
    { onStatement: (e) => capturing && ran.push(e.query) },
  )
  const db = handle.unbounded
  try {
    const ports = kyselyPorts(
      handle.db,
      () => ({ enqueue: async () => {}, forgetJobsOf: async () => {} }),
      args.clock,
    )
    const useCases = workerUseCases(ports, {
      geps: memoryGeps(args.clock).geps,
      mailer: memoryMailer().mailer,
    })
    const p99s = new Map<string, number[]>()
    /** A figure at this size, beside those of the sizes before. */
    const remember = (what: string, value: number) => p99s.set(what, [...(p99s.get(what) ?? []), value])
    let users = 0
    for (const size of args.sizes) {
      const started = Date.now()
      await generate(db, users, size)
      users = size
      await sql`vacuum analyze`.execute(db)
      // The generation's gigabytes on disk before anything is timed: PostgreSQL's dirty buffers
      // (checkpoint) and the system's (sync). Timed while they were still being written, the pages'
      // p99 at 1,000,000 users measured the disk's write-back, not the size.
      await sql`checkpoint`.execute(db)
      await run('sync', [])
      say(
        `scale: ${size.toLocaleString('en-US')} users generated (with vacuum and analyze) in ${Math.round((Date.now() - started) / 1000)} s`,
      )

      // A representative of a business in the middle, with a session.
      const who = Math.floor(size / 20) * 10
      const userId = (await sql<{ id: string }>`select md5(${`scale-u${who}`})::uuid::text as id`.execute(db))
        .rows[0]?.id as string
      const token = randomToken(32)
      const now = args.clock.now()
      await db
        .insertInto('sessions')
        .values({
          id: sessionKey(token),
          csrf_token: randomToken(16),
          user_id: userId,
          created_at: now,
          last_seen_at: now,
        })
        .execute()
      const headers = { cookie: `sid=${token}` }

      const before = await seqScans(db)
      for (const path of ['/user/edit', '/menu', '/business/history']) {
        const answer = await fetch(new URL(path, webUrl), { headers })
        if (answer.status !== 200) throw new Error(`${path} answered ${answer.status} at ${size} users`)
        await answer.arrayBuffer()
        await args.load(new URL(path, webUrl).href, headers, 2) // warmed up first, as the page figure is
        // Three loads, and the median p99 counts: one 5-s load's p99 on this machine moves by 2× or more.
        const loads = []
        for (let i = 0; i < LOADS; i++) loads.push(await args.load(new URL(path, webUrl).href, headers))
        remember(`${path} p99 (median of ${LOADS} loads)`, median(loads.map((l) => l.p99)))
        say(
          `scale ${size.toLocaleString('en-US')} users: ${path} ${loads.map(({ rps, p50, p99 }) => `${Math.round(rps).toLocaleString('en-US')} req/s, p50 ${p50} ms, p99 ${p99} ms`).join('; ')}`,
        )
      }
      const after = await seqScans(db)
      const scanned = GROWING.flatMap((table) => {
        const b = before.get(table)
        const a = after.get(table)
        const rows = (a?.rows ?? 0) - (b?.rows ?? 0)
        return a && rows > 0
          ? [`${table} ${a.scans - (b?.scans ?? 0)} scans, ${rows.toLocaleString('en-US')} rows`]
          : []
      })
      say(
        `scale ${size.toLocaleString('en-US')} users: sequential scans of growing tables while the pages were loaded: ${scanned.join('; ') || 'none'}`,
      )

      // The audit export: one change by its 受付番号, and the newest 10,000 entries.
      const reader = kyselyAuditLogReader(handle.db)
      const times: number[] = []
      for (let i = 0; i < 200; i++) {
        const receipt = `S${String(Math.floor(Math.random() * size * 10)).padStart(10, '0')}`
        const t = performance.now()
        const n = await exportAuditLog(reader, { receiptNumber: receipt }, () => {})
        times.push(performance.now() - t)
        if (n !== 1) throw new Error(`the audit export found ${n} entries of ${receipt}`)
      }
      times.sort((a, b) => a - b)
      const since = (
        await sql<{ at: Date }>`select at from audit_log order by at desc offset 9999 limit 1`.execute(db)
      ).rows[0]?.at
      const exports: number[] = []
      let exported = 0
      for (let i = 0; i < LOADS; i++) {
        const t = performance.now()
        exported = await exportAuditLog(reader, { since }, () => {})
        exports.push(performance.now() - t)
      }
      const byReceipt = times[Math.floor(times.length * 0.99)] ?? Number.NaN
      remember('audit by 受付番号 p99', byReceipt)
      remember(`audit export of the newest 10,000 (median of ${LOADS} exports)`, median(exports))
      say(
        `scale ${size.toLocaleString('en-US')} users: audit export by 受付番号 p99 ${byReceipt.toFixed(1)} ms (200 lookups); newest ${exported.toLocaleString('en-US')} entries in ${exports.map((ms) => Math.round(ms)).join(', ')} ms`,
      )

      // Each statement of the pages and the jobs, as the stores send it, EXPLAINed.
      ran.length = 0
      capturing = true
      const resumed = await useCases.sessions.resume(token)
      if (!resumed?.user) throw new Error('the bench session did not resume')
      await useCases.userUpdate.inputScreen(token, userId)
      await useCases.menu.overview(resumed.user)
      await useCases.menu.recentChanges(userId)
      const history = await useCases.history.ofBusiness(userId)
      if (history.ok && history.value.next) await useCases.history.ofBusiness(userId, history.value.next)
      await changesWithoutDelivery(handle.db, 'geps-sync', 'geps-sync-dead')
      await useCases.sessions.endExpired()
      await useCases.sync.sendExpiryReminders()
      capturing = false
      // EXPLAIN without ANALYZE runs nothing: writes are EXPLAINed as safely as reads.
      const readers = ran.filter((q) => /^\s*(select|with|insert|update|delete)/i.test(q.sql))
      // The plan at this size, and whether an index could serve it at all: with sequential scans
      // disabled, a plan that still reads a table whole has no index to use.
      const seqScanned: string[] = []
      const unindexed: string[] = []
      const planOf = async (q: CompiledQuery, seqscan: boolean) =>
        handle.db.transaction().execute(async (trx) => {
          if (!seqscan) await sql`set local enable_seqscan = off`.execute(trx)
          const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>({ ...q, sql: `explain ${q.sql}` })
          return rows.map((r) => r['QUERY PLAN']).join('\n')
        })
      const growingScanned = (plan: string) =>
        [...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1] as string).filter((t) => GROWING.includes(t))
      const shown = (q: CompiledQuery) => `${q.sql.slice(0, 120).replace(/\s+/g, ' ')}…`
      for (const q of readers) {
        const scanned = growingScanned(await planOf(q, true))
        if (scanned.length > 0) seqScanned.push(`${scanned.join(', ')} in: ${shown(q)}`)
        const still = growingScanned(await planOf(q, false))
        if (still.length > 0) unindexed.push(`${still.join(', ')} in: ${shown(q)}`)
      }
      say(
        `scale ${size.toLocaleString('en-US')} users: ${readers.length} statements of the pages and jobs EXPLAINed; planned as sequential scans of growing tables: ${seqScanned.join(' | ') || 'none'}; with no index to serve them: ${unindexed.join(' | ') || 'none'}`,
      )
    }
    for (const [what, values] of p99s) {
      const first = values[0] ?? Number.NaN
      const last = values.at(-1) ?? Number.NaN
      say(
        `scale: ${what} at ${args.sizes.at(-1)?.toLocaleString('en-US')} users: ${(last / first).toFixed(2)}× that at ${args.sizes[0]?.toLocaleString('en-US')} (target ≤ 1.5×)`,
      )
    }
  } finally {
    await handle.close()
  }
}
