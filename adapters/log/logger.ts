/**
 * The portal's log: JSON lines (pino), one object per event, for an operator's log pipeline; on a
 * terminal in development, the same events made readable (pino-pretty, a development package).
 *
 * What a line may carry: ids (request, user, change, job), routes, statuses, durations, counts and
 * the portal's own messages. Never a name, an address, a mail address, a PIN, a password, a
 * certificate file or a session token: nothing a user typed or a card held is passed to it
 * (tests/integration/no-secrets.test.ts scans the lines of a whole run).
 */
import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

/** What the portal logs with: a message, and the fields that go with it. */
export type Log = (message: string, fields?: Record<string, unknown>) => void

export const createLogger = async (options: {
  /** Where the lines go: standard output unless given (a test's memory stream). */
  destination?: DestinationStream
  /** Readable lines instead of JSON: development on a terminal. */
  pretty?: boolean
}): Promise<Logger> => {
  if (options.pretty && !options.destination) {
    try {
      const { default: pretty } = await import('pino-pretty')
      return pino(
        { base: undefined },
        pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }),
      )
    } catch {
      // Not installed (a production install without development packages): JSON it is.
    }
  }
  return pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, options.destination)
}

/** A Log that writes `logger`'s info lines. */
export const logTo =
  (logger: Logger): Log =>
  (message, fields) =>
    logger.info(fields ?? {}, message)
