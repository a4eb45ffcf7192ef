/**
 * Whether the postgres.js this process loads carries the mends of patches/postgres+3.4.9.patch
 * (patches/README.md says what they are). `npm install` applies them; an install that skipped its
 * scripts (`npm ci --ignore-scripts`) runs the unmended driver, which a PostgreSQL restart crashes
 * or leaves hanging, so the portal refuses it before it connects.
 */
import { readFileSync } from 'node:fs'

export const POSTGRES_JS_MEND_MARK = '/* mended by chotatsu-account: porsager/postgres#1208 */'

/** The files of the build `entry` belongs to that the patch mends. */
const MENDED_FILES = ['connection.js', 'index.js', 'queue.js']

export class UnmendedDriverError extends Error {}

/** Throws UnmendedDriverError unless each mended file of the build at `entry` carries the mark. */
export const assertPostgresJsMended = (entry: string = import.meta.resolve('postgres')): void => {
  const unmended = MENDED_FILES.filter((name) => {
    try {
      return !readFileSync(new URL(name, entry), 'utf8').includes(POSTGRES_JS_MEND_MARK)
    } catch {
      return true
    }
  })
  if (unmended.length > 0)
    throw new UnmendedDriverError(
      `postgres.js at ${new URL('.', entry).pathname} lacks the mends of patches/postgres+3.4.9.patch ` +
        `(${unmended.join(', ')}): it would crash or hang when PostgreSQL restarts, and slow down ` +
        'for as long as its pool stays busy. ' +
        'Run `npm install` (or `npx patch-package --error-on-fail`) without --ignore-scripts.',
    )
}
