import { describe, expect, it } from 'vitest'
import { GEPS_REQUEST_TIMEOUT_MS } from '../adapters/geps/geps.http.ts'
import { SMTP_TIMEOUTS_MS } from '../adapters/mail/mailer.smtp.ts'
import { OUTAGE_SURVIVED_HOURS, QUEUES, shortestRetryBudgetSeconds } from './queues.ts'

describe('the retry rules of the queues', () => {
  it('keeps trying each delivery for at least 48 hours, however the backoff is drawn', () => {
    expect(OUTAGE_SURVIVED_HOURS).toBeGreaterThanOrEqual(48)
    for (const [name, q] of Object.entries(QUEUES))
      expect(shortestRetryBudgetSeconds(q) / 3600, name).toBeGreaterThanOrEqual(OUTAGE_SURVIVED_HOURS)
  })

  it('adds up the shortest delays pg-boss may draw, capped', () => {
    // 15, 30, 60, 120, 240, 480, then 600 each.
    expect(shortestRetryBudgetSeconds({ retryLimit: 8, retryDelay: 15, retryDelayMax: 600 })).toBe(
      15 + 30 + 60 + 120 + 240 + 480 + 600 + 600,
    )
  })

  it('waits longer before a change’s next try than a request to GEPS may take', () => {
    expect(QUEUES['geps-sync'].retryDelay * 1000).toBeGreaterThan(GEPS_REQUEST_TIMEOUT_MS)
  })

  it('leases a mail job for longer than the longest SMTP exchange the mailer waits out', () => {
    // Connection, greeting, then the replies to EHLO, MAIL, RCPT, DATA and the end of the data.
    const longest = SMTP_TIMEOUTS_MS.connection + SMTP_TIMEOUTS_MS.greeting + 5 * SMTP_TIMEOUTS_MS.reply
    expect(QUEUES.mail.expireInSeconds * 1000).toBeGreaterThan(longest)
    // RFC 5321 §4.5.3.2: 5 minutes for the greeting, 10 for the reply to the end of the data.
    expect(SMTP_TIMEOUTS_MS.greeting).toBeGreaterThanOrEqual(5 * 60_000)
    expect(SMTP_TIMEOUTS_MS.reply).toBeGreaterThanOrEqual(10 * 60_000)
  })
})
