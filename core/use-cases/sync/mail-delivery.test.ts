import { describe, expect, it } from 'vitest'
import { memoryMailer } from '../../../adapters/mail/mailer.memory.ts'
import { memorySentMailLog } from '../../../adapters/stores/sent-mail-log.memory.ts'
import type { Mail, SentMailLog } from '../../ports.ts'
import { sendMailOnce } from './mail-delivery.ts'

const mail = (key: string): Mail => ({ idempotencyKey: key, to: 'a@example.jp', subject: 's', text: 't' })
const clock = { now: () => new Date('2026-11-28T10:00:00Z') }

describe('sendMailOnce', () => {
  it('sends a mail, and sends nothing when its job is handed out again', async () => {
    const m = memoryMailer()
    const send = sendMailOnce({ mailer: m.mailer, sentMails: memorySentMailLog(), clock })
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent' })
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent-before' })
    expect(await send(mail('k2'))).toEqual({ ok: true, value: 'sent' })
    expect(m.sent.map((s) => s.idempotencyKey)).toEqual(['k1', 'k2'])
  })

  it('records nothing when the server did not accept the mail, so that the retry sends it', async () => {
    const m = memoryMailer()
    const send = sendMailOnce({ mailer: m.mailer, sentMails: memorySentMailLog(), clock })
    m.failNext('transient')
    expect(await send(mail('k1'))).toMatchObject({ ok: false, error: { kind: 'transient' } })
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent' })
    expect(m.sent).toHaveLength(1)
  })

  it('keeps trying the record while the database is away, instead of failing a job whose mail went', async () => {
    const m = memoryMailer()
    const log = memorySentMailLog()
    let away = 3
    const flaky: SentMailLog = {
      wasSent: log.wasSent,
      record: async (...args) => {
        if (away-- > 0) throw new Error('connection refused')
        await log.record(...args)
      },
    }
    const pauses: number[] = []
    const send = sendMailOnce({
      mailer: m.mailer,
      sentMails: flaky,
      clock,
      recordRetry: { pauseMs: 5, maxPauseMs: 5, otherErrorsForTries: 30 },
      pause: async (ms) => {
        pauses.push(ms)
      },
    })
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent' })
    expect(pauses).toEqual([5, 5, 5])
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent-before' })
    expect(m.sent).toHaveLength(1)
  })

  it('never gives the record up: a database away for hours still gets it when it returns', async () => {
    const m = memoryMailer()
    const log = memorySentMailLog()
    const pauses: number[] = []
    const awayFor = 3 * 3_600_000
    const send = sendMailOnce({
      mailer: m.mailer,
      sentMails: {
        wasSent: log.wasSent,
        record: async (...args) => {
          if (pauses.reduce((a, b) => a + b, 0) < awayFor) throw new Error('connection refused')
          await log.record(...args)
        },
      },
      isStoreUnavailable: (e) => (e as Error).message === 'connection refused',
      clock,
      pause: async (ms) => {
        pauses.push(ms)
      },
    })
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent' })
    // Backed off to two seconds between tries, not hammering the database as it comes back.
    expect(pauses.slice(0, 5)).toEqual([250, 500, 1000, 2000, 2000])
    expect(Math.max(...pauses)).toBe(2000)
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent-before' })
    expect(m.sent).toHaveLength(1)
  })

  it('fails the job after a while when the store fails for another reason than being away', async () => {
    const m = memoryMailer()
    let tries = 0
    const send = sendMailOnce({
      mailer: m.mailer,
      sentMails: {
        wasSent: async () => false,
        record: async () => {
          tries++
          throw new Error('permission denied for table sent_mails')
        },
      },
      isStoreUnavailable: () => false,
      clock,
      pause: async () => {},
    })
    await expect(send(mail('k1'))).rejects.toThrow('permission denied')
    expect(tries).toBe(30)
  })
})
