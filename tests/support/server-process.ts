/** Runs the portal as its own process, as `npm start` does, and waits until it says where it listens. */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * An npm script of the form `[NAME=value …] exec node [options] entry` as its environment, node's
 * options and its entry, so that the tests and the bench start what `npm run <script>` starts (with
 * this process's Node, the pinned one).
 */
export const nodeCommandOfScript = (
  script: string,
): { env: Record<string, string>; options: string[]; entry: string } => {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
  const command = /^((?:\w+=\S*\s+)*)exec node (.*?)\s*(\S+\.[jt]s)$/.exec(scripts[script] ?? '')
  if (!command?.[3])
    throw new Error(`package.json's ${script} is not "[NAME=value …] exec node [options] entry"`)
  const words = (text = '') => text.split(/\s+/).filter(Boolean)
  const env = Object.fromEntries(
    words(command[1]).map((assignment) => [
      assignment.slice(0, assignment.indexOf('=')),
      assignment.slice(assignment.indexOf('=') + 1),
    ]),
  )
  return { env, options: words(command[2]), entry: command[3] }
}

/**
 * The settings of the embedded default on `pgliteDir`, every port free, as `npm start` runs it;
 * DATABASE_URL cleared, whatever backend the rest of the run is on.
 */
export const embeddedSettings = (pgliteDir: string): Record<string, string> => ({
  DATABASE_URL: '',
  DATA_DIR: pgliteDir,
  PORT: '0',
  MAIL_SINK_PORT: '0',
  GEPS_SIMULATOR_PORT: '0',
  JPKI_SIMULATOR_PORT: '0',
  GEPS_NOTICE_DELAY_MS: '50',
})

/**
 * `npm start` as its script has it (its environment, V8 flags and entry), on the embedded default
 * in `folder`: PGlite in folder/pglite, and Node's compile cache, if the script keeps one, in
 * folder/compile-cache (so a first start there is as cold as the first after `npm install`).
 */
export const npmStartIn = (folder: string) => {
  const start = nodeCommandOfScript('start')
  const compileCache = start.env.NODE_COMPILE_CACHE ? join(folder, 'compile-cache') : undefined
  return {
    args: [...start.options, start.entry],
    env: {
      ...embeddedSettings(join(folder, 'pglite')),
      ...start.env,
      ...(compileCache ? { NODE_COMPILE_CACHE: compileCache } : {}),
    },
    compileCache,
  }
}

export type ServerProcess = {
  url: string
  output: () => string
  child: ChildProcess
  stop(): Promise<number | null>
}

export const startServerProcess = (
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<ServerProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the server did not start within ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    let ready = false
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      // Once ready, only kept: scanning the whole output at each chunk of a busy server's log
      // took the bench's CPU from the processes it measures (quadratic in the log's length).
      if (ready) return
      // Development prints a banner; production logs a JSON line `ready` with its url.
      const banner = /Portal:\s+(http:\/\/\S+?)\/?\s/.exec(output)
      const readyLine = output.split('\n').find((line) => line.includes('"msg":"ready"'))
      const logged = readyLine ? /"url":"(http:\/\/[^"]+)"/.exec(readyLine) : null
      const found = banner && /Ready in/.test(output) ? banner : logged
      if (found?.[1]) {
        ready = true
        clearTimeout(timer)
        resolve({
          url: found[1],
          output: () => output,
          child,
          // SIGTERM, and SIGKILL if it has not ended 15 s later (its database may be away).
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM')
            const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
            return exited.finally(() => clearTimeout(killer))
          },
        })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited with ${code} before it was ready:\n${output}`))
    })
  })

/** Runs a command to its end and returns its exit code and output. */
export const runToEnd = (command: string, args: string[], env: Record<string, string>, timeoutMs = 60_000) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
