import { sha256Hex } from '../../core/digest.ts'

/**
 * The database keeps a session under the SHA-256 of its token, never the token itself, so that a
 * copy of the database opens no one's session.
 */
export const sessionKey = (sessionId: string): Promise<string> => sha256Hex(sessionId)
