/**
 * The in-memory twin of every store and of the job queue: one state object, so that its unit of
 * work can run on a copy and keep it only when the work succeeds, as a transaction would.
 */
import {
  type Business,
  type BusinessFields,
  type Certificate,
  NO_USER_FIELDS,
  USER_FIELDS,
  type User,
  type UserFields,
} from '../../core/domain/account.ts'
import type { Mandate } from '../../core/domain/mandates.ts'
import type { Notice } from '../../core/domain/notices.ts'
import type { Qualification } from '../../core/domain/qualifications.ts'
import type {
  AuditEntry,
  AuditLogReader,
  ChangeCursor,
  Draft,
  Expiring,
  Job,
  Session,
  Transactional,
  UnitOfWork,
  UserChange,
} from '../../core/ports.ts'
import { storableJson } from './storable-json.ts'
import { rollsBack } from './unit-of-work.ts'

export type MemoryState = {
  businesses: Map<string, Business>
  users: Map<string, User>
  certificates: Map<string, Certificate>
  qualifications: Map<string, Qualification & { businessId: string }>
  /** By the agent's user id. */
  mandates: Map<string, Mandate>
  notices: Map<string, Notice>
  /** The expiry reminders sent, by kind, subject and threshold. */
  reminders: Map<string, { userId: string; at: Date }>
  sessions: Map<string, Session & { challenge?: { challenge: string; expiresAt: Date } }>
  drafts: Map<string, Draft>
  changes: Map<string, UserChange>
  /** The last number of the 受付番号 sequence given. */
  receiptSequence: number
  audit: AuditEntry[]
  jobs: Job[]
}

export const emptyMemoryState = (): MemoryState => ({
  businesses: new Map(),
  users: new Map(),
  certificates: new Map(),
  qualifications: new Map(),
  mandates: new Map(),
  notices: new Map(),
  reminders: new Map(),
  sessions: new Map(),
  drafts: new Map(),
  changes: new Map(),
  audit: [],
  receiptSequence: 0,
  jobs: [],
})

const copy = <T>(value: T): T => structuredClone(value)

/** Newest first by (createdAt, id), after `before` when given, as the Kysely store pages. */
const newestChanges = (
  state: MemoryState,
  mine: (c: UserChange) => boolean,
  limit: number,
  before?: ChangeCursor,
) => {
  const newerFirst = (a: ChangeCursor, b: ChangeCursor) =>
    b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  return copy([...state.changes.values()].filter(mine))
    .filter((c) => before === undefined || newerFirst(before, c) < 0)
    .sort(newerFirst)
    .slice(0, limit)
}

export const memoryStores = (state: MemoryState) => {
  const certificatesOf = (userId: string) =>
    [...state.certificates.values()]
      .filter((c) => c.userId === userId)
      .sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())
  const qualificationsOf = (businessId: string) =>
    [...state.qualifications.values()]
      .filter((q) => q.businessId === businessId)
      .sort((a, b) => a.firstYear - b.firstYear || a.kind.localeCompare(b.kind))
      .map(({ businessId: _, ...q }) => q)
  /** Ends the sessions that match, with their drafts; returns how many. */
  const endSessionsWhere = (ends: (id: string, s: Session) => boolean): number => {
    let ended = 0
    for (const [id, s] of state.sessions) {
      if (!ends(id, s)) continue
      state.sessions.delete(id)
      for (const [k, d] of state.drafts) if (d.sessionId === id) state.drafts.delete(k)
      ended++
    }
    return ended
  }
  const findSession = (id: string) => {
    const s = state.sessions.get(id)
    if (!s) return undefined
    const { challenge: _, ...session } = copy(s)
    return session
  }
  return {
    notices: {
      listForUser: async (userId: string) =>
        copy([...state.notices.values()].filter((n) => n.userId === userId)).sort(
          (a, b) => b.publishedAt.getTime() - a.publishedAt.getTime() || a.id.localeCompare(b.id),
        ),
      markRead: async (userId: string, noticeId: string, at: Date) => {
        const notice = state.notices.get(noticeId)
        if (notice && notice.userId === userId && !notice.readAt)
          state.notices.set(noticeId, { ...notice, readAt: at })
      },
      add: async (notices: Notice[]) => {
        for (const n of notices) state.notices.set(n.id, copy(n))
      },
    },
    reminders: {
      listExpiring: async (from: Date, until: Date) => {
        const within = (at: Date) => at > from && at <= until
        const expiring: Expiring[] = [
          ...[...state.certificates.values()]
            .filter((c) => within(c.notAfter))
            .map((c) => ({
              kind: 'certificate' as const,
              userId: c.userId,
              expiresAt: c.notAfter,
              certificate: c,
            })),
          ...[...state.mandates]
            .filter(([, m]) => within(m.validTo))
            .map(([userId, m]) => ({ kind: 'mandate' as const, userId, expiresAt: m.validTo, mandate: m })),
        ]
        return copy(expiring).sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
      },
      claim: async (r: { kind: string; subjectId: string; userId: string; daysBefore: number; at: Date }) => {
        const key = `${r.kind}:${r.subjectId}:${r.daysBefore}`
        if (state.reminders.has(key)) return false
        state.reminders.set(key, { userId: r.userId, at: r.at })
        return true
      },
    } satisfies Transactional['reminders'],
    mandates: {
      findForUser: async (userId: string) => copy(state.mandates.get(userId)),
      replace: async (userId: string, mandate: Mandate) => {
        state.mandates.set(userId, copy(mandate))
      },
    },
    accounts: {
      findUser: async (id: string) => copy(state.users.get(id)),
      findUserOverview: async (id: string) => {
        const user = state.users.get(id)
        const business = user && state.businesses.get(user.businessId)
        if (!user || !business) return undefined
        return copy({
          user,
          business,
          certificates: certificatesOf(id),
          qualifications: qualificationsOf(business.id),
        })
      },
      findBusiness: async (id: string) => copy(state.businesses.get(id)),
      listCertificates: async (userId: string) => copy(certificatesOf(userId)),
      findCertificateByFingerprint: async (fp: string) =>
        copy([...state.certificates.values()].find((c) => c.fingerprint === fp)),
      updateUser: async (userId: string, baseVersion: number, fields: UserFields) => {
        const user = state.users.get(userId)
        if (!user || user.version !== baseVersion) return false
        state.users.set(userId, { ...user, ...fields, version: user.version + 1 })
        return true
      },
      changeCertificates: async (userId: string, changes: { added: Certificate[]; removed: string[] }) => {
        for (const id of changes.removed) {
          if (state.certificates.get(id)?.userId === userId) state.certificates.delete(id)
        }
        for (const c of changes.added) {
          // The database's unique key refuses a certificate registered twice; so does its twin.
          if ([...state.certificates.values()].some((held) => held.fingerprint === c.fingerprint))
            return false
          state.certificates.set(c.id, { ...copy(c), userId })
        }
        return true
      },
      listQualifications: async (businessId: string) => copy(qualificationsOf(businessId)),
      changeQualifications: async (
        businessId: string,
        changes: { added: Qualification[]; removed: string[] },
      ) => {
        for (const id of changes.removed) {
          if (state.qualifications.get(id)?.businessId === businessId) state.qualifications.delete(id)
        }
        for (const q of changes.added) {
          const clash = [...state.qualifications.values()].some(
            (held) =>
              held.businessId === businessId && held.kind === q.kind && held.firstYear === q.firstYear,
          )
          // The database's unique key refuses the same kind twice in one cycle; so does its twin.
          if (clash) throw new Error('qualifications_one_kind_per_period')
          state.qualifications.set(q.id, { ...copy(q), businessId })
        }
      },
      updateBusiness: async (businessId: string, baseVersion: number, fields: BusinessFields) => {
        const business = state.businesses.get(businessId)
        if (!business || business.version !== baseVersion) return false
        state.businesses.set(businessId, { ...business, ...fields, version: business.version + 1 })
        return true
      },
      eraseUser: async (userId: string) => {
        state.mandates.delete(userId)
        for (const [k, c] of state.certificates) if (c.userId === userId) state.certificates.delete(k)
        for (const [k, n] of state.notices) if (n.userId === userId) state.notices.delete(k)
        for (const [k, r] of state.reminders) if (r.userId === userId) state.reminders.delete(k)
        const name = state.users.get(userId)?.name
        for (const c of state.changes.values()) {
          if (c.userId !== userId || c.erasedFields) continue
          c.erasedFields = USER_FIELDS.filter((f) => c.before[f] !== c.after[f])
          c.madeByName ??= name
          c.before = { ...NO_USER_FIELDS }
          c.after = { ...NO_USER_FIELDS }
          if (c.sync.state !== 'done') c.sync.state = 'superseded'
        }
        state.users.delete(userId)
        for (const [id, s] of state.sessions) {
          if (s.userId !== userId) continue
          state.sessions.delete(id)
          for (const [k, d] of state.drafts) if (d.sessionId === id) state.drafts.delete(k)
        }
        for (const [k, d] of state.drafts) if (d.userId === userId) state.drafts.delete(k)
      },
      findRepresentative: async (businessId: string) =>
        copy(
          [...state.users.values()].find((u) => u.businessId === businessId && u.role === 'representative'),
        ),
      // The memory unit of work runs one at a time: holding the row is implied.
      findUserForUpdate: async (id: string) => copy(state.users.get(id)),
    } satisfies Transactional['accounts'],
    sessions: {
      create: async (s: Session) => {
        state.sessions.set(s.id, copy(s))
      },
      find: async (id: string) => findSession(id),
      findWithUser: async (id: string) => {
        const session = findSession(id)
        // A session whose certificate is no longer registered opens nothing (see the Kysely store).
        const signedWith = session?.signedInWith
        if (signedWith && ![...state.certificates.values()].some((c) => c.fingerprint === signedWith))
          return undefined
        return (
          session && { session, user: session.userId ? copy(state.users.get(session.userId)) : undefined }
        )
      },
      setChallenge: async (id: string, challenge: string, expiresAt: Date) => {
        const s = state.sessions.get(id)
        if (s) s.challenge = { challenge, expiresAt }
      },
      takeChallenge: async (id: string) => {
        const s = state.sessions.get(id)
        const taken = s?.challenge
        if (s) s.challenge = undefined
        return taken
      },
      signIn: async (oldId: string, s: Session) => {
        if (!state.sessions.delete(oldId)) return
        state.sessions.set(s.id, copy(s))
        // A sign-in starts clean: nothing staged or confirmed under the old session goes to the new user.
        for (const [k, d] of state.drafts) if (d.sessionId === oldId) state.drafts.delete(k)
      },
      rotate: async (oldId: string, renewed: { id: string; csrfToken: string }) => {
        const s = state.sessions.get(oldId)
        if (!s) return
        state.sessions.delete(oldId)
        state.sessions.set(renewed.id, { ...s, ...renewed, challenge: undefined })
        for (const d of state.drafts.values()) if (d.sessionId === oldId) d.sessionId = renewed.id
      },
      end: async (id: string) => {
        state.sessions.delete(id)
        for (const [k, d] of state.drafts) if (d.sessionId === id) state.drafts.delete(k)
      },
      touch: async (id: string, at: Date) => {
        const s = state.sessions.get(id)
        if (s) s.lastSeenAt = at
      },
      endSignedInWith: async (fingerprints: string[], keep: string, keptWith: string) => {
        const kept = state.sessions.get(keep)
        if (kept?.signedInWith && fingerprints.includes(kept.signedInWith)) kept.signedInWith = keptWith
        return endSessionsWhere(
          (id, s) => id !== keep && s.signedInWith !== undefined && fingerprints.includes(s.signedInWith),
        )
      },
      endExpired: async ({ lastSeenBefore, createdBefore }: { lastSeenBefore: Date; createdBefore: Date }) =>
        endSessionsWhere((_, s) => s.lastSeenAt < lastSeenBefore || s.createdAt < createdBefore),
    },
    drafts: {
      save: async (d: Omit<Draft, 'completedChangeId'>) => {
        if (!state.sessions.has(d.sessionId)) return // only while the session lasts
        for (const [k, old] of state.drafts)
          if (old.sessionId === d.sessionId && old.flow === d.flow) state.drafts.delete(k)
        state.drafts.set(d.id, copy({ ...d, payload: storableJson(d.payload) }))
      },
      find: async (sessionId: string, flow: string) =>
        copy([...state.drafts.values()].find((d) => d.sessionId === sessionId && d.flow === flow)),
      findForCompletion: async (sessionId: string, flow: string) =>
        copy([...state.drafts.values()].find((d) => d.sessionId === sessionId && d.flow === flow)),
      discard: async (sessionId: string, flow: string) => {
        for (const [k, d] of state.drafts)
          if (d.sessionId === sessionId && d.flow === flow) state.drafts.delete(k)
      },
      markCompleted: async (id: string, changeId: string) => {
        const d = state.drafts.get(id)
        if (d) d.completedChangeId = changeId
      },
    } satisfies Transactional['drafts'],
    changes: {
      record: async (c: UserChange) => {
        state.changes.set(c.id, copy(c))
      },
      find: async (id: string) => copy(state.changes.get(id)),
      listForBusiness: async (businessId: string, limit: number, before?: ChangeCursor) =>
        newestChanges(state, (c) => c.businessId === businessId, limit, before),
      listForUser: async (userId: string, limit: number) =>
        newestChanges(state, (c) => c.userId === userId, limit),
      recordSync: async (
        id: string,
        sync: { state: UserChange['sync']['state']; receipt?: string; at: Date; error?: string },
      ) => {
        const c = state.changes.get(id)
        if (!c || c.sync.state === 'done' || c.sync.state === 'superseded') return undefined
        sync = storableJson(sync)
        c.sync = {
          ...c.sync,
          state: sync.state,
          receipt: sync.receipt ?? c.sync.receipt,
          attempts: c.sync.attempts + 1,
          updatedAt: sync.at,
          lastError: sync.error,
        }
        return copy(c.sync)
      },
      nextReceiptSequence: async () => {
        state.receiptSequence += 1
        return state.receiptSequence
      },
      findByReceiptNumber: async (receiptNumber: string) =>
        copy([...state.changes.values()].find((c) => c.receiptNumber === receiptNumber)),
      markFailureNotified: async (id: string, at: Date) => {
        const c = state.changes.get(id)
        if (!c || c.sync.failureNotifiedAt) return false
        c.sync.failureNotifiedAt = at
        return true
      },
    } satisfies Transactional['changes'],
    audit: {
      append: async (e: AuditEntry) => {
        state.audit.push(copy({ ...e, detail: e.detail && storableJson(e.detail) }))
      },
    },
    jobs: {
      enqueue: async (job: Job) => {
        state.jobs.push(copy(job))
      },
      forgetJobsOf: async (userId: string) => {
        const kept = state.jobs.filter((job) => job.data.userId !== userId)
        state.jobs.splice(0, state.jobs.length, ...kept)
      },
    },
  }
}

/** The audit log's reader over the memory state: an entry's number is its place in the log. */
export const memoryAuditLogReader = (state: MemoryState): AuditLogReader => ({
  page: async (range, afterId, limit) => {
    const all = copy(state.audit)
      .map((e, i) => ({ ...e, detail: e.detail ?? {}, id: String(i + 1) }))
      .sort((a, b) => a.at.getTime() - b.at.getTime() || Number(a.id) - Number(b.id))
    const start = afterId === undefined ? 0 : all.findIndex((e) => e.id === afterId) + 1
    const ofChange = (e: { detail: Record<string, unknown> }) =>
      (range.receiptNumber === undefined && range.changeId === undefined) ||
      (range.receiptNumber !== undefined && e.detail.receiptNumber === range.receiptNumber) ||
      (range.changeId !== undefined && e.detail.changeId === range.changeId)
    return all
      .slice(start)
      .filter((e) => (!range.since || e.at >= range.since) && (!range.until || e.at < range.until))
      .filter(ofChange)
      .slice(0, limit)
  },
})

/** Runs the work on a copy of the state, one at a time, and keeps the copy only if the work succeeded. */
export const memoryUnitOfWork = (state: MemoryState): UnitOfWork => {
  let queue: Promise<unknown> = Promise.resolve()
  return {
    run: <T>(work: (tx: Transactional) => Promise<T>): Promise<T> => {
      const next = queue.then(async () => {
        const draft = copy(state)
        const result = await work(memoryStores(draft))
        if (!rollsBack(result)) Object.assign(state, draft)
        return result
      })
      queue = next.catch(() => {})
      return next
    },
  }
}
