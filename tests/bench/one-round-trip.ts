/**
 * The ceiling of the page figure (issue 20): what a page that must check a session in a shared
 * store can do at best on this runtime. Hono on the same server adapter as the portal; per request
 * it hashes the session cookie as the portal does, reads one row by primary key through postgres.js
 * (prepared) from the portal's database, and renders a page of the portal page's size
 * (`PAGE_BYTES`) with hono/html. Prints its URL as the portal does, on loopback.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import postgres from 'postgres'
import { sessionKey } from '../../adapters/stores/session-key.ts'

const sql = postgres(process.env.DATABASE_URL ?? '', { max: 10, onnotice: () => {} })
const pageBytes = Number(process.env.PAGE_BYTES ?? 8_000)

const HEAD =
  '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>ceiling</title></head><body><main>'
/** Text that brings the page to the portal page's size (3 bytes a character). */
const PADDING = 'あ'.repeat(Math.max(0, Math.floor((pageBytes - HEAD.length - 200) / 3)))

const app = new Hono()
app.get('/', async (c) => {
  const token = /(?:^|;\s*)sid=([^;]+)/.exec(c.req.header('cookie') ?? '')?.[1] ?? ''
  const [session] = await sql<{ user_id: string; csrf_token: string; last_seen_at: Date }[]>`
    select user_id, csrf_token, last_seen_at from sessions where id = ${sessionKey(token)}`
  if (!session) return c.text('no session', 401)
  return c.html(html`${raw(HEAD)}<p>${session.user_id} ${session.last_seen_at.toISOString()}</p>
<input type="hidden" name="_csrf" value="${session.csrf_token}"><p>${raw(PADDING)}</p></main></body></html>`)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`Portal: http://127.0.0.1:${info.port}/ \nReady in 0 s`)
})
process.on('SIGTERM', () => server.close(() => sql.end({ timeout: 1 }).then(() => process.exit(0))))
