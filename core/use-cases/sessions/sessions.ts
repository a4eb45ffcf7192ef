/**
 * How long a session lives: it ends after `idleMs` without a request, and `absoluteMs` after it
 * began (sign-in starts a new one), whatever its use. An ended session opens nothing.
 */
import type { User } from '../../domain/account.ts'
import { randomToken } from '../../lib/ids.ts'
import type { Clock, Session, SessionStore } from '../../ports.ts'

export type SessionLimits = { idleMs: number; absoluteMs: number }

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 30 * 60 * 1000,
  absoluteMs: 12 * 60 * 60 * 1000,
}

/** Last-seen times are written at most this often, so that reading a page costs no write. */
const TOUCH_EVERY_MS = 60 * 1000

export const sessionIsCurrent = (session: Session, now: Date, limits: SessionLimits): boolean =>
  now.getTime() - session.lastSeenAt.getTime() < limits.idleMs &&
  now.getTime() - session.createdAt.getTime() < limits.absoluteMs

type SessionPorts = { sessions: SessionStore; clock: Clock }

/**
 * The session of a request with its user (none before sign-in), if it is still current; an
 * expired one is ended on the spot.
 */
export const resumeSession =
  (ports: SessionPorts, limits: SessionLimits) =>
  async (sessionId: string): Promise<{ session: Session; user?: User } | undefined> => {
    const found = await ports.sessions.findWithUser(sessionId)
    if (!found) return undefined
    const { session, user } = found
    const now = ports.clock.now()
    if (!sessionIsCurrent(session, now, limits)) {
      await ports.sessions.end(sessionId)
      return undefined
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await ports.sessions.touch(sessionId, now)
      return { session: { ...session, lastSeenAt: now }, user }
    }
    return { session, user }
  }

/**
 * A card read in a flow (certificate add or removal, renewal, mandate, deletion) re-authenticates
 * the user: the session gets a new id and CSRF token, so that an id or token seen before the
 * read opens nothing after it. The user, the drafts and the session's age stay.
 */
export const rotateSessionId =
  (ports: Pick<SessionPorts, 'sessions'>) =>
  async (sessionId: string): Promise<{ id: string; csrfToken: string }> => {
    const renewed = { id: randomToken(32), csrfToken: randomToken(32) }
    await ports.sessions.rotate(sessionId, renewed)
    return renewed
  }

/** Deletes every expired session (a scheduled job); returns how many. */
export const endExpiredSessions =
  (ports: SessionPorts, limits: SessionLimits) => async (): Promise<number> => {
    const now = ports.clock.now().getTime()
    return ports.sessions.endExpired({
      lastSeenBefore: new Date(now - limits.idleMs),
      createdBefore: new Date(now - limits.absoluteMs),
    })
  }
