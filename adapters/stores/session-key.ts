import { createHash } from 'node:crypto'

/**
 * The database keeps a session under the SHA-256 of its token, never the token itself, so that a
 * copy of the database opens no one's session. Every request hashes its token, so the hash is
 * node:crypto's, done at once (Deno has it too): WebCrypto's digest goes through the thread pool and
 * was the largest single cost of a page under load.
 */
export const sessionKey = (sessionId: string): string => createHash('sha256').update(sessionId).digest('hex')
