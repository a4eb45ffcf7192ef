/**
 * The database keeps a session under the SHA-256 of its token, never the token itself, so that a
 * copy of the database opens no one's session.
 */
export const sessionKey = async (sessionId: string): Promise<string> =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sessionId)))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
