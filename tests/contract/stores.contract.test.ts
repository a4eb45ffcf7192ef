/**
 * One contract for the stores, the unit of work and the job queue, run over the in-memory twin,
 * PGlite and real PostgreSQL: each must behave the same.
 */
import { sql } from 'kysely'
import type { PgBoss } from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER_IDS, loadDemoData, loadDemoIntoMemory } from '../../adapters/dev/demo-data.ts'
import { pgBossJobQueue } from '../../adapters/job-queue/job-queue.pgboss.ts'
import { kyselyAuditLogReader } from '../../adapters/stores/audit-log.kysely.ts'
import {
  emptyMemoryState,
  memoryAuditLogReader,
  memoryStores,
  memoryUnitOfWork,
} from '../../adapters/stores/memory.ts'
import { kyselySessionStore } from '../../adapters/stores/session-store.kysely.ts'
import { kyselyStores, kyselyUnitOfWork } from '../../adapters/stores/unit-of-work.kysely.ts'
import { NO_USER_FIELDS } from '../../core/domain/account.ts'
import { currentCycle } from '../../core/domain/qualifications.ts'
import { err, ok } from '../../core/lib/result.ts'
import type { AuditEntry, AuditLogReader, Transactional, UnitOfWork, UserChange } from '../../core/ports.ts'
import { ALL_QUEUES } from '../../jobs/queues.ts'
import { countJobs, startBoss } from '../support/boss.ts'
import {
  openTestDatabase,
  postgresServer,
  skipWithoutPostgres,
  type TestDatabase,
} from '../support/database.ts'
import { demoData } from '../support/memory-portal.ts'

type Subject = Omit<Transactional, 'jobs'> & {
  sessions: ReturnType<typeof kyselySessionStore>
  unitOfWork: UnitOfWork
  jobCount(queue: 'geps-sync' | 'mail'): Promise<number>
  /** The audit log's reader (the operator's export). */
  auditReader: AuditLogReader
  close(): Promise<void>
}

/** When every subject's demo data is made: its qualification is of the cycle current then. */
const demoMadeAt = new Date()

const memorySubject = async (): Promise<Subject> => {
  const state = emptyMemoryState()
  loadDemoIntoMemory(state, structuredClone(await demoData(demoMadeAt)))
  return {
    ...memoryStores(state),
    unitOfWork: memoryUnitOfWork(state),
    jobCount: async (queue) => state.jobs.filter((j) => j.queue === queue).length,
    auditReader: memoryAuditLogReader(state),
    close: async () => {},
  }
}

const kyselySubject = async (
  backend: 'pglite' | 'postgres',
  server?: string,
): Promise<Subject & { test: TestDatabase }> => {
  const test = await openTestDatabase(backend, server)
  await loadDemoData(test.handle.db, demoMadeAt)
  const boss: PgBoss = await startBoss(test.handle)
  return {
    // Over the pool, as the portal's own (kyselyPorts): reads and records made at once are gathered.
    ...kyselyStores(test.handle.db, 'gathered'),
    sessions: kyselySessionStore(test.handle.db),
    unitOfWork: kyselyUnitOfWork(test.handle.db, pgBossJobQueue(boss, ALL_QUEUES)),
    jobCount: (queue) => countJobs(test.handle, queue),
    auditReader: kyselyAuditLogReader(test.handle.db),
    close: async () => {
      await boss.stop({ graceful: false, timeout: 1000 })
      await test.drop()
    },
    test,
  }
}

const change = (id: string): UserChange => {
  const contact = {
    nameKana: 'ニュウサツ ハナコ',
    department: '営業部',
    title: '',
    postalCode: '100-0001',
    address: 'a',
    phone: '03-1111-2222',
    fax: '',
    email: 'a@example.jp',
  }
  return {
    id,
    receiptNumber: `20261127-${id}`,
    userId: DEMO_USER_IDS.hanako,
    businessId: '00000000-0000-4000-8000-000000000001',
    kind: 'user-contact-updated',
    before: contact,
    after: { ...contact, title: '部長' },
    createdAt: new Date('2026-11-27T10:00:00Z'),
    sync: { state: 'waiting', attempts: 0, updatedAt: new Date('2026-11-27T10:00:00Z') },
  }
}

const session = (id: string, userId?: string) => ({
  id,
  csrfToken: `csrf-${id}`,
  userId,
  createdAt: new Date('2026-11-27T10:00:00Z'),
  lastSeenAt: new Date('2026-11-27T10:00:00Z'),
})

const contract = (name: string, make: () => Promise<Subject | undefined>) =>
  describe(name, () => {
    let s: Subject
    let available = true
    beforeAll(async () => {
      const made = await make()
      if (!made) available = false
      else s = made
    })
    afterAll(async () => s?.close())
    const test = (title: string, body: () => Promise<void>) =>
      it(title, async (ctx) => {
        if (!available) return skipWithoutPostgres(ctx)
        await body()
      })

    test('finds users, businesses and certificates', async () => {
      const user = await s.accounts.findUser(DEMO_USER_IDS.hanako)
      expect(user).toMatchObject({
        name: '入札 花子',
        role: 'agent',
        cardKind: 'file',
        department: '営業部',
        version: 1,
      })
      expect(await s.accounts.findBusiness(user?.businessId ?? '')).toMatchObject({
        corporateNumber: '7123456789012',
      })
      const [cert] = await s.accounts.listCertificates(DEMO_USER_IDS.hanako)
      expect(cert?.subject).toContain('入札 花子')
      expect(cert?.notAfter).toBeInstanceOf(Date)
      expect((await s.accounts.findCertificateByFingerprint(cert?.fingerprint ?? ''))?.userId).toBe(
        DEMO_USER_IDS.hanako,
      )
      expect(await s.accounts.findUser('00000000-0000-4000-8000-00000000ffff')).toBeUndefined()
    })

    test('reads a user’s overview in one: the user, business, certificates and qualifications', async () => {
      const overview = await s.accounts.findUserOverview(DEMO_USER_IDS.taro)
      const taro = await s.accounts.findUser(DEMO_USER_IDS.taro)
      expect(overview?.user).toEqual(taro)
      expect(overview?.business).toEqual(await s.accounts.findBusiness(taro?.businessId ?? ''))
      expect(overview?.certificates).toEqual(await s.accounts.listCertificates(DEMO_USER_IDS.taro))
      expect(overview?.certificates[0]?.notAfter).toBeInstanceOf(Date)
      const qualifications = await s.accounts.listQualifications(taro?.businessId ?? '')
      expect(qualifications.length).toBeGreaterThan(0)
      expect(overview?.qualifications).toEqual(qualifications)
      expect(await s.accounts.findUserOverview('00000000-0000-4000-8000-00000000ffff')).toBeUndefined()
    })

    test('lists a user’s notices newest first, and marks only their own read, once', async () => {
      const notices = await s.notices.listForUser(DEMO_USER_IDS.hanako)
      expect(notices.map((n) => n.kind)).toEqual(['recommendation', 'notice', 'notice'])
      expect(notices.every((n) => n.userId === DEMO_USER_IDS.hanako)).toBe(true)
      const unread = notices.find((n) => n.kind === 'notice' && !n.readAt)
      if (!unread) throw new Error('the demo has an unread notice')
      await s.notices.markRead(DEMO_USER_IDS.taro, unread.id, new Date('2026-11-27T10:00:00Z'))
      expect(
        (await s.notices.listForUser(DEMO_USER_IDS.hanako)).find((n) => n.id === unread.id)?.readAt,
      ).toBeUndefined()
      await s.notices.markRead(DEMO_USER_IDS.hanako, unread.id, new Date('2026-11-27T10:00:00Z'))
      await s.notices.markRead(DEMO_USER_IDS.hanako, unread.id, new Date('2026-11-28T10:00:00Z'))
      expect(
        (await s.notices.listForUser(DEMO_USER_IDS.hanako)).find((n) => n.id === unread.id)?.readAt,
      ).toEqual(new Date('2026-11-27T10:00:00Z'))
    })

    test('keeps each agent’s mandate, replacing it whole, and none for anyone else', async () => {
      const expired = await s.mandates.findForUser(DEMO_USER_IDS.jiro)
      expect(expired).toMatchObject({ referenceNumber: 'POA-2025-0042', delegate: { name: '委任 次郎' } })
      expect(expired?.validTo).toBeInstanceOf(Date)
      expect(await s.mandates.findForUser(DEMO_USER_IDS.hanako)).toBeUndefined()
      const renewed = {
        ...(expired as NonNullable<typeof expired>),
        authorities: ['政府電子調達手続', '入札・契約に関する手続'],
        validFrom: new Date('2026-11-26T00:00:00Z'),
        validTo: new Date('2027-11-26T00:00:00Z'),
        referenceNumber: 'POA-2026-0001',
      }
      await s.unitOfWork.run(async (tx) => tx.mandates.replace(DEMO_USER_IDS.jiro, renewed))
      expect(await s.mandates.findForUser(DEMO_USER_IDS.jiro)).toEqual(renewed)
    })

    test('updates a user’s fields only at the expected version', async () => {
      const contact = {
        nameKana: 'コウシン サブロウ',
        department: '総務部 庶務課',
        title: '部長',
        postalCode: '100-0001',
        address: 'x',
        phone: '03-1111-2222',
        fax: '',
        email: 'n@example.jp',
      }
      expect(await s.accounts.updateUser(DEMO_USER_IDS.saburo, 1, contact)).toBe(true)
      expect(await s.accounts.updateUser(DEMO_USER_IDS.saburo, 1, { ...contact, title: '課長' })).toBe(false)
      expect(await s.accounts.findUser(DEMO_USER_IDS.saburo)).toMatchObject({
        department: '総務部 庶務課',
        title: '部長',
        email: 'n@example.jp',
        version: 2,
      })
    })

    test('updates a business’s fields only at the expected version', async () => {
      const business = await s.accounts.findBusiness('00000000-0000-4000-8000-000000000001')
      if (!business) throw new Error('no demo business')
      const { id: _, corporateNumber: __, version, ...fields } = business
      const renamed = {
        ...fields,
        name: '株式会社サンプル商事ホールディングス',
        address: '東京都港区芝公園1-1',
      }
      expect(await s.accounts.updateBusiness(business.id, version, renamed)).toBe(true)
      expect(await s.accounts.updateBusiness(business.id, version, { ...renamed, name: '別名' })).toBe(false)
      expect(await s.accounts.findBusiness(business.id)).toMatchObject({
        name: '株式会社サンプル商事ホールディングス',
        address: '東京都港区芝公園1-1',
        corporateNumber: '7123456789012',
        version: version + 1,
      })
    })

    test('registers and removes the business’s qualifications, one kind per cycle', async () => {
      const businessId = '00000000-0000-4000-8000-000000000001'
      expect(
        (await s.accounts.listQualifications(businessId)).map((q) => `${q.kind} ${q.firstYear}`),
      ).toEqual([`役務の提供等 ${currentCycle(demoMadeAt)}`])
      const sales = {
        id: crypto.randomUUID(),
        supplierCode: '0000012345',
        kind: '物品の販売' as const,
        grade: 'B' as const,
        regions: ['関東・甲信越' as const, '近畿' as const],
        firstYear: 10,
      }
      await s.unitOfWork.run(async (tx) => {
        await tx.accounts.changeQualifications(businessId, { added: [sales], removed: [] })
      })
      expect(await s.accounts.listQualifications(businessId)).toContainEqual(sales)
      await expect(
        s.unitOfWork.run(async (tx) => {
          await tx.accounts.changeQualifications(businessId, {
            added: [{ ...sales, id: crypto.randomUUID(), grade: 'C' }],
            removed: [],
          })
        }),
      ).rejects.toThrow()
      // Another business cannot remove it.
      await s.accounts.changeQualifications('00000000-0000-4000-8000-00000000ffff', {
        added: [],
        removed: [sales.id],
      })
      expect(await s.accounts.listQualifications(businessId)).toContainEqual(sales)
      await s.accounts.changeQualifications(businessId, { added: [], removed: [sales.id] })
      expect(await s.accounts.listQualifications(businessId)).not.toContainEqual(sales)
    })

    test('lists a business’s changes, newest first, up to a limit', async () => {
      const older = { ...change(crypto.randomUUID()), createdAt: new Date('2026-11-27T08:00:00Z') }
      const newer = { ...change(crypto.randomUUID()), createdAt: new Date('2026-11-27T09:00:00Z') }
      await s.changes.record(older)
      await s.changes.record(newer)
      const listed = await s.changes.listForBusiness('00000000-0000-4000-8000-000000000001', 100)
      expect(listed.findIndex((c) => c.id === newer.id)).toBeLessThan(
        listed.findIndex((c) => c.id === older.id),
      )
      expect(await s.changes.listForBusiness('00000000-0000-4000-8000-000000000001', 1)).toHaveLength(1)
      expect(await s.changes.listForBusiness('00000000-0000-4000-8000-00000000ffff', 100)).toEqual([])
      // The same, by the user who made them (change() is 入札 花子's).
      const hers = await s.changes.listForUser(DEMO_USER_IDS.hanako, 100)
      expect(hers.findIndex((c) => c.id === newer.id)).toBeLessThan(hers.findIndex((c) => c.id === older.id))
      expect(hers.every((c) => c.userId === DEMO_USER_IDS.hanako)).toBe(true)
      expect(await s.changes.listForUser(DEMO_USER_IDS.hanako, 1)).toHaveLength(1)
      expect(await s.changes.listForUser(DEMO_USER_IDS.taro, 100)).toEqual([])
    })

    test('pages a business’s changes by keyset: newest first, each page after the last one’s (time, id)', async () => {
      const businessId = '00000000-0000-4000-8000-000000000001'
      const at = new Date('2001-02-03T04:05:06.789Z')
      // Three at the same instant and one before: the id decides among equals.
      const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()].sort().reverse()
      for (const id of ids) await s.changes.record({ ...change(id), createdAt: at })
      const oldest = { ...change(crypto.randomUUID()), createdAt: new Date(at.getTime() - 1) }
      await s.changes.record(oldest)
      // Start from just after the newest of them (changes of other tests are newer still).
      const cursorAbove = { createdAt: at, id: 'ffffffff-ffff-4fff-bfff-ffffffffffff' }
      const first = await s.changes.listForBusiness(businessId, 2, cursorAbove)
      expect(first.map((c) => c.id)).toEqual(ids.slice(0, 2))
      const last = first.at(-1)
      if (!last) throw new Error('no page')
      const second = await s.changes.listForBusiness(businessId, 2, {
        createdAt: last.createdAt,
        id: last.id,
      })
      expect(second.map((c) => c.id)).toEqual([ids[2], oldest.id])
    })

    test('records the business’s half of a change', async () => {
      const id = crypto.randomUUID()
      const business = await s.accounts.findBusiness('00000000-0000-4000-8000-000000000001')
      if (!business) throw new Error('no demo business')
      const { id: _, corporateNumber: __, version: ___, ...fields } = business
      const withBusiness = {
        ...change(id),
        business: { before: fields, after: { ...fields, phone: '03-9999-0000' } },
      }
      await s.changes.record(withBusiness)
      expect(await s.changes.find(id)).toEqual(withBusiness)
    })

    test('keeps sessions, gives a challenge once, and rotates the id at sign-in', async () => {
      await s.sessions.create(session('anon-1'))
      expect(await s.sessions.find('anon-1')).toEqual(session('anon-1'))
      expect(await s.sessions.findWithUser('anon-1')).toEqual({ session: session('anon-1'), user: undefined })
      expect(await s.sessions.findWithUser('nobody')).toBeUndefined()
      await s.sessions.setChallenge('anon-1', 'nonce-1', new Date('2026-11-27T10:05:00Z'))
      expect(await s.sessions.takeChallenge('anon-1')).toEqual({
        challenge: 'nonce-1',
        expiresAt: new Date('2026-11-27T10:05:00Z'),
      })
      expect(await s.sessions.takeChallenge('anon-1')).toBeUndefined()
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'anon-1',
        flow: 'f',
        payload: { a: 1 },
        baseVersion: 1,
      })
      await s.sessions.signIn('anon-1', session('signed-1', DEMO_USER_IDS.hanako))
      expect(await s.sessions.find('anon-1')).toBeUndefined()
      expect((await s.sessions.find('signed-1'))?.userId).toBe(DEMO_USER_IDS.hanako)
      expect(await s.sessions.findWithUser('signed-1')).toEqual({
        session: session('signed-1', DEMO_USER_IDS.hanako),
        user: await s.accounts.findUser(DEMO_USER_IDS.hanako),
      })
      // What the session held before the sign-in does not follow the user who signs in.
      expect(await s.drafts.find('signed-1', 'f')).toBeUndefined()
      expect(await s.drafts.find('anon-1', 'f')).toBeUndefined()
      await s.sessions.end('signed-1')
      expect(await s.sessions.find('signed-1')).toBeUndefined()
      expect(await s.drafts.find('signed-1', 'f')).toBeUndefined()
    })

    test('gives a challenge to one of two takers racing for it, never to both', async () => {
      await s.sessions.create(session('raced'))
      const expiresAt = new Date('2026-11-27T10:05:00Z')
      for (let round = 0; round < 20; round++) {
        await s.sessions.setChallenge('raced', `nonce-${round}`, expiresAt)
        const taken = await Promise.all([1, 2, 3].map(() => s.sessions.takeChallenge('raced')))
        expect(taken.filter(Boolean), `round ${round}`).toEqual([{ challenge: `nonce-${round}`, expiresAt }])
      }
    })

    test('rotates a session’s id and token at a card read, keeping its user, times and drafts', async () => {
      const before = session('reading', DEMO_USER_IDS.hanako)
      await s.sessions.create(before)
      await s.sessions.setChallenge('reading', 'nonce-r', new Date('2026-11-27T10:05:00Z'))
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'reading',
        flow: 'f',
        payload: { a: 1 },
        baseVersion: 1,
      })
      await s.sessions.rotate('reading', { id: 'reading-2', csrfToken: 'token-2' })
      expect(await s.sessions.find('reading')).toBeUndefined()
      expect(await s.sessions.find('reading-2')).toEqual({ ...before, id: 'reading-2', csrfToken: 'token-2' })
      expect(await s.sessions.takeChallenge('reading-2')).toBeUndefined()
      expect((await s.drafts.find('reading-2', 'f'))?.payload).toEqual({ a: 1 })
      expect(await s.drafts.find('reading', 'f')).toBeUndefined()
      // An id that no longer exists rotates nothing.
      await s.sessions.rotate('reading', { id: 'reading-3', csrfToken: 'token-3' })
      expect(await s.sessions.find('reading-3')).toBeUndefined()
    })

    test('records a session’s last use, and ends expired sessions with their drafts', async () => {
      const t = (minutes: number) => new Date(Date.UTC(2026, 10, 27, 9, minutes))
      await s.sessions.create({ ...session('idle'), createdAt: t(0), lastSeenAt: t(0) })
      await s.sessions.create({ ...session('busy'), createdAt: t(0), lastSeenAt: t(0) })
      await s.sessions.create({ ...session('old'), createdAt: t(-600), lastSeenAt: t(55) })
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'idle',
        flow: 'f',
        payload: {},
        baseVersion: 1,
      })
      await s.sessions.touch('busy', t(50))
      expect((await s.sessions.find('busy'))?.lastSeenAt).toEqual(t(50))
      const ended = await s.sessions.endExpired({ lastSeenBefore: t(30), createdBefore: t(-300) })
      expect(ended).toBeGreaterThanOrEqual(2)
      expect(await s.sessions.find('idle')).toBeUndefined()
      expect(await s.sessions.find('old')).toBeUndefined()
      expect(await s.sessions.find('busy')).toBeDefined()
      expect(await s.drafts.find('idle', 'f')).toBeUndefined()
    })

    test('ends the sessions a certificate signed in, but the one that removed it, with their drafts', async () => {
      const user = DEMO_USER_IDS.taro
      await s.sessions.create({ ...session('by-a-1', user), signedInWith: 'fp-a' })
      await s.sessions.create({ ...session('by-a-2', user), signedInWith: 'fp-a' })
      await s.sessions.create({ ...session('by-a-remover', user), signedInWith: 'fp-a' })
      await s.sessions.create({ ...session('by-b', user), signedInWith: 'fp-b' })
      await s.sessions.create({ ...session('by-c', user), signedInWith: 'fp-c' })
      await s.sessions.create(session('anonymous'))
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'by-a-1',
        flow: 'f',
        payload: {},
        baseVersion: 1,
      })
      expect((await s.sessions.find('by-a-1'))?.signedInWith).toBe('fp-a')
      expect(await s.sessions.endSignedInWith(['fp-a', 'fp-c'], 'by-a-remover', 'fp-b')).toBe(3)
      for (const ended of ['by-a-1', 'by-a-2', 'by-c'])
        expect(await s.sessions.find(ended), ended).toBeUndefined()
      for (const kept of ['by-a-remover', 'by-b', 'anonymous'])
        expect(await s.sessions.find(kept), kept).toBeDefined()
      expect(await s.drafts.find('by-a-1', 'f')).toBeUndefined()
      // The remover stays, bound to a certificate still registered.
      expect((await s.sessions.find('by-a-remover'))?.signedInWith).toBe('fp-b')
      expect(await s.sessions.endSignedInWith([], 'by-a-remover', 'fp-b')).toBe(0)
      // A sign-in records its certificate on the new id.
      await s.sessions.signIn('anonymous', { ...session('signed-in', user), signedInWith: 'fp-d' })
      expect((await s.sessions.find('signed-in'))?.signedInWith).toBe('fp-d')
    })

    test('opens no session whose certificate is no longer registered', async () => {
      const [registered] = await s.accounts.listCertificates(DEMO_USER_IDS.hanako)
      if (!registered) throw new Error('the demo gives 入札 花子 a certificate')
      await s.sessions.create({
        ...session('by-registered', DEMO_USER_IDS.hanako),
        signedInWith: registered.fingerprint,
      })
      await s.sessions.create({
        ...session('by-removed', DEMO_USER_IDS.hanako),
        signedInWith: 'f'.repeat(64),
      })
      await s.sessions.create(session('before-0018', DEMO_USER_IDS.hanako))
      expect((await s.sessions.findWithUser('by-registered'))?.user?.id).toBe(DEMO_USER_IDS.hanako)
      expect(await s.sessions.findWithUser('by-removed')).toBeUndefined()
      expect(await s.sessions.findWithUser('before-0018')).toBeDefined()
    })

    test('keeps one draft per session and flow, and marks it completed', async () => {
      await s.sessions.create(session('drafting'))
      const first = crypto.randomUUID()
      await s.drafts.save({
        id: first,
        sessionId: 'drafting',
        flow: 'user-update',
        payload: { n: 1 },
        baseVersion: 1,
      })
      const second = crypto.randomUUID()
      await s.drafts.save({
        id: second,
        sessionId: 'drafting',
        flow: 'user-update',
        payload: { n: 2 },
        baseVersion: 3,
      })
      expect(await s.drafts.find('drafting', 'user-update')).toEqual({
        id: second,
        sessionId: 'drafting',
        flow: 'user-update',
        payload: { n: 2 },
        baseVersion: 3,
        completedChangeId: undefined,
      })
      const changeId = crypto.randomUUID()
      await s.unitOfWork.run(async (tx) => {
        expect((await tx.drafts.findForCompletion('drafting', 'user-update'))?.id).toBe(second)
        await tx.drafts.markCompleted(second, changeId)
      })
      expect((await s.drafts.find('drafting', 'user-update'))?.completedChangeId).toBe(changeId)
      expect(await s.drafts.find('someone-else', 'user-update')).toBeUndefined()
    })

    test('records changes and each sync outcome', async () => {
      const id = crypto.randomUUID()
      await s.changes.record(change(id))
      expect(await s.changes.find(id)).toEqual(change(id))
      await s.changes.recordSync(id, {
        state: 'retrying',
        at: new Date('2026-11-27T10:01:00Z'),
        error: 'GEPS answered 503',
      })
      // It answers the sync as it now stands, a 連携失敗 notice of another worker's included.
      await s.changes.markFailureNotified(id, new Date('2026-11-27T10:01:30Z'))
      const recorded = await s.changes.recordSync(id, {
        state: 'done',
        receipt: 'GEPS-1',
        at: new Date('2026-11-27T10:02:00Z'),
      })
      expect(recorded).toEqual((await s.changes.find(id))?.sync)
      expect(recorded?.failureNotifiedAt).toEqual(new Date('2026-11-27T10:01:30Z'))
      expect((await s.changes.find(id))?.sync).toMatchObject({
        state: 'done',
        receipt: 'GEPS-1',
        attempts: 2,
        updatedAt: new Date('2026-11-27T10:02:00Z'),
        lastError: undefined,
      })
      // A delivery that lost the race reports late: 連携完了 stands.
      expect(
        await s.changes.recordSync(id, { state: 'failed', at: new Date(), error: 'late' }),
      ).toBeUndefined()
      expect((await s.changes.find(id))?.sync).toMatchObject({ state: 'done', attempts: 2 })
    })

    test('answers reads made at once each with its own, and none for an unknown id or a text that is no id', async () => {
      // A batch of deliveries reads its changes, users and mandates at once (the pool's stores
      // gather them into one statement each): each read still answers as it would alone.
      const [a, b] = [crypto.randomUUID(), crypto.randomUUID()]
      await s.changes.record(change(a))
      await s.changes.record({ ...change(b), userId: DEMO_USER_IDS.jiro })
      const unknown = crypto.randomUUID()
      const [changes, overviews, mandates] = await Promise.all([
        Promise.all([a, b, unknown, 'not-an-id', a].map((id) => s.changes.find(id))),
        Promise.all(
          [DEMO_USER_IDS.taro, DEMO_USER_IDS.hanako, unknown, "x'; drop table users; --"].map((id) =>
            s.accounts.findUserOverview(id),
          ),
        ),
        Promise.all(
          [DEMO_USER_IDS.jiro, DEMO_USER_IDS.hanako, 'not-an-id'].map((id) => s.mandates.findForUser(id)),
        ),
      ])
      expect(changes).toEqual([
        change(a),
        { ...change(b), userId: DEMO_USER_IDS.jiro },
        undefined,
        undefined,
        change(a),
      ])
      expect(overviews.map((o) => o?.user.id)).toEqual([
        DEMO_USER_IDS.taro,
        DEMO_USER_IDS.hanako,
        undefined,
        undefined,
      ])
      expect(overviews[1]).toEqual(await s.accounts.findUserOverview(DEMO_USER_IDS.hanako))
      expect(mandates.map((m) => m?.delegate.name)).toEqual(['委任 次郎', undefined, undefined])
    })

    test('records sync outcomes made at once each as it would alone, two of one change in the order made', async () => {
      const [a, b, c, d] = [
        crypto.randomUUID(),
        crypto.randomUUID(),
        crypto.randomUUID(),
        crypto.randomUUID(),
      ]
      for (const id of [a, b, c, d]) await s.changes.record(change(id))
      const at = new Date('2026-11-27T10:03:00Z')
      const answers = await Promise.all([
        s.changes.recordSync(a, { state: 'retrying', at, error: 'GEPS answered 503' }),
        s.changes.recordSync(b, { state: 'done', receipt: 'GEPS-B', at }),
        s.changes.recordSync(a, { state: 'done', receipt: 'GEPS-A', at }),
        // Late, after 連携完了: records nothing.
        s.changes.recordSync(a, { state: 'failed', at, error: 'late' }),
        s.changes.recordSync(crypto.randomUUID(), { state: 'done', receipt: 'GEPS-X', at }),
        s.changes.recordSync('not-an-id', { state: 'done', receipt: 'GEPS-Y', at }),
        // A NUL from GEPS, which PostgreSQL cannot store, is kept as U+FFFD: it fails no record.
        s.changes.recordSync(c, { state: 'done', receipt: 'GEPS-\u0000-C', at }),
        s.changes.recordSync(d, { state: 'retrying', at, error: 'GEPS unreachable: \u0000' }),
      ])
      expect(
        answers.map((sync) => sync && [sync.state, sync.attempts, sync.receipt, sync.lastError]),
      ).toEqual([
        ['retrying', 1, undefined, 'GEPS answered 503'],
        ['done', 1, 'GEPS-B', undefined],
        ['done', 2, 'GEPS-A', undefined],
        undefined,
        undefined,
        undefined,
        ['done', 1, 'GEPS-\uFFFD-C', undefined],
        ['retrying', 1, undefined, 'GEPS unreachable: \uFFFD'],
      ])
      expect((await s.changes.find(a))?.sync).toEqual(answers[2])
      expect((await s.changes.find(b))?.sync).toEqual({
        state: 'done',
        receipt: 'GEPS-B',
        attempts: 1,
        updatedAt: at,
      })
    })

    test('gives each 受付番号 number once, and finds a change by its 受付番号', async () => {
      const [a, b] = [await s.changes.nextReceiptSequence(), await s.changes.nextReceiptSequence()]
      expect(b).toBeGreaterThan(a)
      const id = crypto.randomUUID()
      await s.changes.record({ ...change(id), receiptNumber: '20261127-777777' })
      expect((await s.changes.findByReceiptNumber('20261127-777777'))?.id).toBe(id)
      expect(await s.changes.findByReceiptNumber('20261127-000000')).toBeUndefined()
    })

    test('marks a change’s 連携失敗 notice once', async () => {
      const id = crypto.randomUUID()
      await s.changes.record(change(id))
      const at = new Date('2026-11-27T10:05:00Z')
      expect(await s.changes.markFailureNotified(id, at)).toBe(true)
      expect(await s.changes.markFailureNotified(id, new Date())).toBe(false)
      expect((await s.changes.find(id))?.sync.failureNotifiedAt).toEqual(at)
    })

    test('finds the business’s representative', async () => {
      const business = (await s.accounts.findUser(DEMO_USER_IDS.hanako))?.businessId ?? ''
      expect((await s.accounts.findRepresentative(business))?.id).toBe(DEMO_USER_IDS.taro)
      expect(await s.accounts.findRepresentative(crypto.randomUUID())).toBeUndefined()
    })

    test('commits a change with its jobs, and rolls both back on a throw or a failed result', async () => {
      const mails = await s.jobCount('mail')
      const committed = crypto.randomUUID()
      await s.unitOfWork.run(async (tx) => {
        await tx.changes.record(change(committed))
        await tx.jobs.enqueue({
          queue: 'geps-sync',
          data: { changeId: committed, userId: DEMO_USER_IDS.hanako },
        })
        await tx.jobs.enqueue({
          queue: 'mail',
          data: {
            userId: DEMO_USER_IDS.hanako,
            idempotencyKey: `k-${committed}`,
            to: 'a@example.jp',
            subject: 's',
            text: 't',
          },
        })
        return ok(undefined)
      })
      expect(await s.changes.find(committed)).toBeDefined()
      expect(await s.jobCount('mail')).toBe(mails + 1)

      const thrown = crypto.randomUUID()
      await expect(
        s.unitOfWork.run(async (tx) => {
          await tx.changes.record(change(thrown))
          await tx.jobs.enqueue({
            queue: 'mail',
            data: {
              userId: DEMO_USER_IDS.hanako,
              idempotencyKey: `k-${thrown}`,
              to: 'a@example.jp',
              subject: 's',
              text: 't',
            },
          })
          throw new Error('the transaction fails after the change is written')
        }),
      ).rejects.toThrow('the transaction fails')
      expect(await s.changes.find(thrown)).toBeUndefined()

      const refused = crypto.randomUUID()
      const result = await s.unitOfWork.run(async (tx) => {
        await tx.changes.record(change(refused))
        await tx.jobs.enqueue({
          queue: 'mail',
          data: {
            userId: DEMO_USER_IDS.hanako,
            idempotencyKey: `k-${refused}`,
            to: 'a@example.jp',
            subject: 's',
            text: 't',
          },
        })
        return err({ kind: 'rule-broken' })
      })
      expect(result).toEqual({ ok: false, error: { kind: 'rule-broken' } })
      expect(await s.changes.find(refused)).toBeUndefined()
      expect(await s.jobCount('mail')).toBe(mails + 1)
    })

    test('erases a user with everything held about them and forgets their jobs, leaving everyone else’s', async () => {
      const { jiro, hanako } = DEMO_USER_IDS
      await s.sessions.create(session('erase-jiro', jiro))
      await s.sessions.create(session('erase-hanako', hanako))
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'erase-jiro',
        flow: 'f',
        payload: {},
        baseVersion: 0,
      })
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'erase-hanako',
        flow: 'f',
        payload: {},
        baseVersion: 0,
      })
      const his = crypto.randomUUID()
      const hisDone = crypto.randomUUID()
      const hers = crypto.randomUUID()
      const mail = (userId: string) => ({
        userId,
        idempotencyKey: `k-${userId}-${his}`,
        to: 'a@example.jp',
        subject: 's',
        text: 't',
      })
      await s.unitOfWork.run(async (tx) => {
        await tx.changes.record({ ...change(his), userId: jiro })
        await tx.changes.record({ ...change(hisDone), userId: jiro })
        await tx.changes.recordSync(hisDone, { state: 'done', receipt: 'GEPS-9', at: new Date() })
        await tx.changes.record(change(hers))
        await tx.jobs.enqueue({ queue: 'geps-sync', data: { changeId: his, userId: jiro } })
        await tx.jobs.enqueue({ queue: 'mail', data: mail(jiro) })
        await tx.jobs.enqueue({ queue: 'mail', data: mail(hanako) })
        return ok(undefined)
      })
      expect(await s.accounts.listCertificates(jiro)).not.toHaveLength(0)
      expect(await s.notices.listForUser(jiro)).not.toHaveLength(0)
      expect(await s.mandates.findForUser(jiro)).toBeDefined()
      const [mails, syncs] = [await s.jobCount('mail'), await s.jobCount('geps-sync')]

      await s.unitOfWork.run(async (tx) => {
        await tx.accounts.eraseUser(jiro)
        await tx.jobs.forgetJobsOf(jiro)
        return ok(undefined)
      })
      expect(await s.accounts.findUser(jiro)).toBeUndefined()
      expect(await s.accounts.listCertificates(jiro)).toEqual([])
      expect(await s.notices.listForUser(jiro)).toEqual([])
      expect(await s.mandates.findForUser(jiro)).toBeUndefined()
      expect(await s.sessions.find('erase-jiro')).toBeUndefined()
      expect(await s.drafts.find('erase-jiro', 'f')).toBeUndefined()
      // His changes stay as the business's records: who, what kind, which fields; no values. One
      // GEPS had not taken is superseded by the deletion; one it took stays 連携完了.
      expect(await s.changes.find(his)).toMatchObject({
        userId: jiro,
        kind: 'user-contact-updated',
        madeByName: '委任 次郎',
        erasedFields: ['title'],
        before: NO_USER_FIELDS,
        after: NO_USER_FIELDS,
        sync: { state: 'superseded' },
      })
      expect((await s.changes.find(hisDone))?.sync).toMatchObject({ state: 'done', receipt: 'GEPS-9' })
      expect(JSON.stringify(await s.changes.find(his))).not.toMatch(
        /営業部|03-1111-2222|a@example\.jp|ニュウサツ/,
      )
      expect([await s.jobCount('mail'), await s.jobCount('geps-sync')]).toEqual([mails - 1, syncs - 1])
      // Everyone else's stays.
      expect(await s.accounts.findUser(hanako)).toBeDefined()
      expect(await s.notices.listForUser(hanako)).not.toHaveLength(0)
      expect(await s.sessions.find('erase-hanako')).toBeDefined()
      expect(await s.drafts.find('erase-hanako', 'f')).toBeDefined()
      expect(await s.changes.find(hers)).toBeDefined()
    })

    test('lists what expires in a window, soonest first, and claims each reminder once', async () => {
      const now = new Date()
      const expiring = await s.reminders.listExpiring(now, new Date(now.getTime() + 60 * 86_400_000))
      // 入札 花子's certificate expires in 25 days (demo data); 委任 次郎's mandate has expired.
      expect(expiring.map((e) => [e.kind, e.userId])).toEqual([['certificate', DEMO_USER_IDS.hanako]])
      const later = await s.reminders.listExpiring(now, new Date(now.getTime() + 800 * 86_400_000))
      expect(later.map((e) => e.expiresAt.getTime())).toEqual(
        [...later.map((e) => e.expiresAt.getTime())].sort((a, b) => a - b),
      )
      expect(later.some((e) => e.kind === 'certificate' && e.userId === DEMO_USER_IDS.taro)).toBe(true)

      // Two workers claim the same reminder at once: one gets it.
      const reminder = {
        kind: 'certificate' as const,
        subjectId: `fp-${crypto.randomUUID()}`,
        userId: DEMO_USER_IDS.hanako,
        daysBefore: 30,
        at: now,
      }
      const claims = await Promise.all(
        [1, 2].map(() => s.unitOfWork.run((tx) => tx.reminders.claim(reminder))),
      )
      expect(claims.sort()).toEqual([false, true])
      expect(await s.unitOfWork.run((tx) => tx.reminders.claim({ ...reminder, daysBefore: 7 }))).toBe(true)
    })

    test('appends audit entries, their detail as data', async () => {
      const entry: AuditEntry = {
        at: new Date('2026-11-27T10:03:00Z'),
        action: 'sign-in',
        outcome: 'failure',
        userId: DEMO_USER_IDS.taro,
        businessId: '00000000-0000-4000-8000-000000000001',
        clientAddress: '127.0.0.1',
        detail: { reason: 'card-wrong-pin', fields: ['title', 'email'] },
      }
      await s.audit.append(entry)
      // Bounded on both sides: entries made at the real time, whatever day that is, stay out.
      const [read] = await s.auditReader.page(
        { since: entry.at, until: new Date(entry.at.getTime() + 1) },
        undefined,
        10,
      )
      expect(read).toEqual({ ...entry, id: expect.any(String) })
    })

    test('keeps no draft for a session that has ended or got a new id', async () => {
      await s.sessions.create(session('short'))
      await s.sessions.rotate('short', { id: 'short-2', csrfToken: 'token-2' })
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'short',
        flow: 'f',
        payload: {},
        baseVersion: 1,
      })
      expect(await s.drafts.find('short', 'f')).toBeUndefined()
      await s.sessions.end('short-2')
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'short-2',
        flow: 'f',
        payload: {},
        baseVersion: 1,
      })
      expect(await s.drafts.find('short-2', 'f')).toBeUndefined()
    })

    test('keeps a NUL in a draft or an audit detail as U+FFFD, which PostgreSQL can store', async () => {
      await s.sessions.create(session('nul'))
      const typed = { user: { title: 'a\u0000b', list: ['\u0000'] }, at: '2026-11-27T10:00:00.000Z' }
      await s.drafts.save({
        id: crypto.randomUUID(),
        sessionId: 'nul',
        flow: 'f',
        payload: typed,
        baseVersion: 1,
      })
      expect((await s.drafts.find('nul', 'f'))?.payload).toEqual({
        user: { title: 'a\uFFFDb', list: ['\uFFFD'] },
        at: '2026-11-27T10:00:00.000Z',
      })
      const at = new Date('2020-01-01T00:00:00Z')
      await s.audit.append({ at, action: 'nul', outcome: 'failure', detail: { message: 'x\u0000' } })
      const [read] = await s.auditReader.page({ since: at, until: new Date(at.getTime() + 1) }, undefined, 10)
      expect(read?.detail).toEqual({ message: 'x\uFFFD' })
    })

    test('reads the audit log a page at a time, oldest first, within a range', async () => {
      const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute))
      for (const minute of [1, 2, 3])
        await s.audit.append({ at: at(minute), action: `paged-${minute}`, outcome: 'success' })
      // Bounded on both sides: entries made at the real time, whatever day that is, stay out.
      const range = { since: at(1), until: at(4) }
      const first = await s.auditReader.page(range, undefined, 2)
      expect(first.map((e) => e.action)).toEqual(['paged-1', 'paged-2'])
      const rest = await s.auditReader.page(range, first.at(-1)?.id, 2)
      expect(rest.map((e) => e.action)).toEqual(['paged-3'])
      expect(
        (await s.auditReader.page({ since: at(1), until: at(3) }, undefined, 10)).map((e) => e.action),
      ).toEqual(['paged-1', 'paged-2'])
      expect(rest[0]?.detail).toEqual({})
    })

    test('reads the audit log by time even where entries were written out of order, and one change’s entries alone', async () => {
      const at = (minute: number) => new Date(Date.UTC(2031, 0, 1, 0, minute))
      // Written 2, 1, 3: read 1, 2, 3.
      await s.audit.append({
        at: at(2),
        action: 'late-2',
        outcome: 'success',
        detail: { receiptNumber: 'R-1' },
      })
      await s.audit.append({ at: at(1), action: 'late-1', outcome: 'success', detail: { changeId: 'C-1' } })
      await s.audit.append({
        at: at(3),
        action: 'late-3',
        outcome: 'success',
        detail: { receiptNumber: 'R-2' },
      })
      const range = { since: at(0), until: at(9) }
      const first = await s.auditReader.page(range, undefined, 2)
      expect(first.map((e) => e.action)).toEqual(['late-1', 'late-2'])
      expect((await s.auditReader.page(range, first.at(-1)?.id, 2)).map((e) => e.action)).toEqual(['late-3'])
      // The helpdesk's look-up: by 受付番号, or by id (entries before 受付番号 existed).
      expect(
        (await s.auditReader.page({ ...range, receiptNumber: 'R-1', changeId: 'C-1' }, undefined, 10)).map(
          (e) => e.action,
        ),
      ).toEqual(['late-1', 'late-2'])
      expect(
        (await s.auditReader.page({ receiptNumber: 'R-2' }, undefined, 10)).map((e) => e.action),
      ).toEqual(['late-3'])
    })
  })

contract('in-memory stores', memorySubject)
contract('Kysely stores on PGlite', () => kyselySubject('pglite'))
contract('Kysely stores on PostgreSQL', async () => {
  const server = await postgresServer()
  return server ? kyselySubject('postgres', server) : undefined
})

describe('transactions on PostgreSQL hold their own connection', () => {
  let test: TestDatabase | undefined
  beforeAll(async () => {
    const server = await postgresServer()
    if (server) test = await openTestDatabase('postgres', server)
  })
  afterAll(async () => test?.drop())

  it('a query from outside never runs inside another request’s open transaction', async (ctx) => {
    if (!test) return skipWithoutPostgres(ctx)
    const db = test.handle.db
    const seenFromOutside: number[] = []
    // Four at a time, below the pool's five connections, so that the outside reads can get one.
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          db
            .transaction()
            .execute(async (trx) => {
              await trx
                .insertInto('audit_log')
                .values({
                  at: new Date(),
                  action: `uncommitted-${i}`,
                  outcome: 'success',
                  user_id: null,
                  business_id: null,
                  client_address: null,
                  detail: {},
                })
                .execute()
              const { rows } = await sql<{
                n: number
              }>`select count(*)::int as n from audit_log where action like 'uncommitted-%'`.execute(db)
              seenFromOutside.push(rows[0]?.n ?? -1)
              throw new Error('roll back')
            })
            .catch(() => {}),
        ),
      )
    }
    expect(seenFromOutside).toEqual(Array(20).fill(0))
  })
})
