/**
 * Mends postgres.js 3.4.x (run on `npm install`, as postinstall). A PostgreSQL restart did both of
 * these to the portal (tests/integration/postgres-restart.test.ts); both are open upstream
 * (porsager/postgres#1154, #1208):
 * - when a connection closes while a small write waits for its setImmediate, `nextWrite` writes to
 *   a null socket and the TypeError escapes every await, ending the process; and the teardown
 *   leaves the timer and the buffered bytes behind for the next socket. Mended: a write with no
 *   socket fails its queries with CONNECTION_CLOSED; a closed connection forgets what it buffered.
 * - a reserved connection (Kysely reserves one per query) that closed while reserved is put back
 *   among the open ones on release, so every later query on it fails. Mended: it stays closed,
 *   and the pool connects it again when it is next needed.
 * - a reservation that waited while the server was away is handed to a reconnecting connection
 *   and dropped from the waiting list; once connected, that connection never answers it, and the
 *   request hangs for ever. Mended: it keeps its place among those waiting until a connection
 *   opens for one of them, and leaves the list when it fails.
 * Idempotent; it stops, saying so, when a release has changed the code (then check whether
 * upstream fixed it, and drop this).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MARK = '/* mended by chotatsu-account: porsager/postgres#1208 */'

const CONNECTION_MENDS: [from: string, to: string][] = [
  [
    '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options, null))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  [
    "      error(Errors.connection('CONNECTION_DESTROYED', options))\n\n    clearImmediate(nextWriteTimer)\n",
    "      error(Errors.connection('CONNECTION_DESTROYED', options))\n\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n",
  ],
  [
    '    incomings = null\n    clearImmediate(nextWriteTimer)\n',
    '    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n',
  ],
]

const POOL_MENDS: [from: string, to: string][] = [
  [
    '    sql.release = () => {\n      c.reserved = null\n      onopen(c)\n    }',
    `    sql.release = () => {\n      ${MARK}\n      c.reserved = null\n      c.queue === closed || onopen(c)\n    }`,
  ],
  [
    '        const query = { reserve: resolve, reject }\n',
    '        const query = { reserve: resolve, reject: (e) => (queries.remove(query), reject(e)) }\n',
  ],
  [
    '    options.onclose && options.onclose(c.id)\n    queries.length && connect(c, queries.shift())\n',
    '    options.onclose && options.onclose(c.id)\n    if (queries.length) {\n      const next = queries.shift()\n      connect(c, next)\n      next.reserve && queries.push(next)\n    }\n',
  ],
]

const mendFile = (file: string, mends: [string, string][]): 'mended' | 'already mended' => {
  let text = readFileSync(file, 'utf8')
  if (text.includes(MARK)) return 'already mended'
  for (const [from, to] of mends) {
    if (text.split(from).length !== 2) throw new Error(`${file}: the code to mend has changed; see ${MARK}`)
    text = text.replace(from, to)
  }
  writeFileSync(file, text)
  return 'mended'
}

export const mendPostgresJs = (packageDir: string): string[] => {
  const report: string[] = []
  for (const build of ['src', 'cjs/src', 'cf/src']) {
    if (!existsSync(join(packageDir, build))) continue
    const connection = mendFile(join(packageDir, build, 'connection.js'), CONNECTION_MENDS)
    const pool = mendFile(join(packageDir, build, 'index.js'), POOL_MENDS)
    report.push(`${build}: ${connection === pool ? connection : `${connection}, ${pool}`}`)
  }
  return report
}

if (import.meta.main) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  console.log(`postgres.js: ${mendPostgresJs(join(root, 'node_modules', 'postgres')).join(', ')}`)
}
