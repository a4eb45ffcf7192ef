/**
 * `npm run at -- <instant> <command> [args...]`: runs a command, and every process it starts, with
 * the clock at another instant, running on from there. For the app (`npm run at --
 * 2031-06-15T12:00:00+09:00 npm start`) and for the tests (`... npx vitest run core tests/integration`).
 *
 * libfaketime moves the clock of the whole process tree (Date, and PGlite's database in process;
 * not a PostgreSQL server started elsewhere): `faketime -f +<seconds>s`, with the monotonic clock
 * left alone so that timers keep their pace. The clock is checked inside before the command runs:
 * a run that only seems to be at another date is refused.
 */
import { spawn, spawnSync } from 'node:child_process'
import { constants as osConstants } from 'node:os'

const USAGE = 'usage: npm run at -- <instant, e.g. 2027-03-31T23:59:30+09:00> <command> [args...]'

const [instantText, command, ...args] = process.argv.slice(2)
if (!instantText || !command) {
  console.error(USAGE)
  process.exit(2)
}
// A time without its offset means a different instant on every machine: refused.
if (!/(Z|[+-]\d\d:\d\d)$/.test(instantText) || Number.isNaN(Date.parse(instantText))) {
  console.error(`"${instantText}" is not an instant with its offset (Z or +09:00).\n${USAGE}`)
  process.exit(2)
}
const instant = new Date(instantText)

if (spawnSync('faketime', ['--version']).error) {
  console.error('libfaketime is not installed: `apt-get install faketime` (Debian, Ubuntu).')
  process.exit(2)
}

const offsetSeconds = Math.round((instant.getTime() - Date.now()) / 1000)
const shifted = (argv: string[]) =>
  [
    ['-f', `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}s`, ...argv],
    {
      env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    },
  ] as const

// What a process started under the wrapper reads: within a minute of the instant, or nothing runs.
const [checkArgs, checkOptions] = shifted([process.execPath, '-e', 'console.log(Date.now())'])
const inside = Number(spawnSync('faketime', checkArgs, { ...checkOptions, encoding: 'utf8' }).stdout)
if (!(Math.abs(inside - instant.getTime()) < 60_000)) {
  console.error(
    `libfaketime did not move the clock: a process under it read ${new Date(inside).toISOString()}.`,
  )
  process.exit(2)
}
console.log(`The clock is at ${instant.toISOString()} (${instantText}) for: ${[command, ...args].join(' ')}`)

const [runArgs, runOptions] = shifted([command, ...args])
const child = spawn('faketime', runArgs, { ...runOptions, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
child.on('error', (e) => {
  console.error(`could not run faketime: ${e.message}`)
  process.exit(2)
})
// As a shell reports it: the child's code, or 128 + the number of the signal that ended it.
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? osConstants.signals[signal] : 0)))
