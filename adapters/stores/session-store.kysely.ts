import type { Kysely, Selectable } from 'kysely'
import { jsonObjectFrom } from 'kysely/helpers/postgres'
import type { Session, SessionStore } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { toUser } from './account-store.kysely.ts'
import { compiledOnce } from './compiled-once.ts'
import { sessionKey } from './session-key.ts'

/** The stored row keeps a hash of the session's id; the caller knows the id itself. */
const toSession = (sessionId: string, r: Selectable<Database['sessions']>): Session => ({
  id: sessionId,
  csrfToken: r.csrf_token,
  userId: r.user_id ?? undefined,
  signedInWith: r.signed_in_with ?? undefined,
  createdAt: new Date(r.created_at),
  lastSeenAt: new Date(r.last_seen_at),
})

/** A session as its row holds it: the id as its key (session-key.ts), never the id itself. */
const sessionRow = (s: Session) => ({
  id: sessionKey(s.id),
  csrf_token: s.csrfToken,
  user_id: s.userId ?? null,
  signed_in_with: s.signedInWith ?? null,
  created_at: s.createdAt,
  last_seen_at: s.lastSeenAt,
})

export const kyselySessionStore = (db: Kysely<Database>): SessionStore => {
  // Every request runs it: built once (compiled-once.ts).
  const sessionWithUser = compiledOnce(1, (key: string) =>
    db
      .selectFrom('sessions')
      .selectAll('sessions')
      .select((eb) =>
        jsonObjectFrom(
          eb.selectFrom('users').selectAll('users').whereRef('users.id', '=', 'sessions.user_id'),
        ).as('user'),
      )
      .where('sessions.id', '=', key)
      // A session whose certificate is no longer registered opens nothing, even one written by a
      // sign-in that raced the certificate's removal (F1) or replacement (F2) past its clean-up.
      .where((eb) =>
        eb.or([
          eb('sessions.signed_in_with', 'is', null),
          eb.exists(
            eb
              .selectFrom('certificates')
              .select('certificates.id')
              .whereRef('certificates.fingerprint', '=', 'sessions.signed_in_with'),
          ),
        ]),
      ),
  )
  return {
    create: async (s) => {
      await db.insertInto('sessions').values(sessionRow(s)).execute()
    },
    findWithUser: async (sessionId) => {
      const r = (await db.executeQuery(sessionWithUser(sessionKey(sessionId)))).rows[0]
      return r && { session: toSession(sessionId, r), user: r.user ? toUser(r.user) : undefined }
    },
    find: async (sessionId) => {
      const r = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', sessionKey(sessionId))
        .executeTakeFirst()
      return r && toSession(sessionId, r)
    },
    setChallenge: async (sessionId, challenge, expiresAt) => {
      await db
        .updateTable('sessions')
        .set({ challenge, challenge_expires_at: expiresAt })
        .where('id', '=', sessionKey(sessionId))
        .execute()
    },
    takeChallenge: async (sessionId) => {
      // One statement locks the row, reads and clears it. A second taker waits for the lock, then
      // finds no challenge: FOR UPDATE reads the row again once it is free (a self-join without it
      // read the old one, and on PostgreSQL both takers had the challenge).
      const r = await db
        .with('taken', (q) =>
          q
            .selectFrom('sessions')
            .select(['id', 'challenge', 'challenge_expires_at'])
            .where('id', '=', sessionKey(sessionId))
            .where('challenge', 'is not', null)
            .forUpdate(),
        )
        .updateTable('sessions')
        .from('taken')
        .set({ challenge: null, challenge_expires_at: null })
        .whereRef('sessions.id', '=', 'taken.id')
        .returning(['taken.challenge', 'taken.challenge_expires_at'])
        .executeTakeFirst()
      return r?.challenge && r.challenge_expires_at
        ? { challenge: r.challenge, expiresAt: new Date(r.challenge_expires_at) }
        : undefined
    },
    signIn: async (oldSessionId, s) => {
      // A sign-in starts clean: nothing staged or confirmed under the old session goes to the new user.
      await db.deleteFrom('drafts').where('session_id', '=', sessionKey(oldSessionId)).execute()
      await db
        .updateTable('sessions')
        .set({
          ...sessionRow(s),
          challenge: null,
          challenge_expires_at: null,
        })
        .where('id', '=', sessionKey(oldSessionId))
        .execute()
    },
    // The drafts follow: their session_id is a foreign key ON UPDATE CASCADE.
    rotate: async (oldSessionId, renewed) => {
      await db
        .updateTable('sessions')
        .set({
          id: sessionKey(renewed.id),
          csrf_token: renewed.csrfToken,
          challenge: null,
          challenge_expires_at: null,
        })
        .where('id', '=', sessionKey(oldSessionId))
        .execute()
    },
    end: async (sessionId) => {
      await db.deleteFrom('sessions').where('id', '=', sessionKey(sessionId)).execute()
    },
    endSignedInWith: async (fingerprints, keep, keptWith) => {
      if (fingerprints.length === 0) return 0
      await db
        .updateTable('sessions')
        .set({ signed_in_with: keptWith })
        .where('id', '=', sessionKey(keep))
        .where('signed_in_with', 'in', fingerprints)
        .execute()
      const result = await db
        .deleteFrom('sessions')
        .where('signed_in_with', 'in', fingerprints)
        .where('id', '<>', sessionKey(keep))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
    touch: async (sessionId, at) => {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: at })
        .where('id', '=', sessionKey(sessionId))
        .execute()
    },
    endExpired: async ({ lastSeenBefore, createdBefore }) => {
      const result = await db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('last_seen_at', '<', lastSeenBefore), eb('created_at', '<', createdBefore)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
