import { describe, expect, it, vi } from 'vitest'
import { memoryMailer } from '../../../adapters/mail/mailer.memory.ts'
import { memorySentMailLog } from '../../../adapters/stores/sent-mail-log.memory.ts'
import type { Mail, SentMailLog } from '../../ports.ts'
import { sendMailOnce } from './mail-delivery.ts'

const mail = (key: string): Mail => ({ idempotencyKey: key, to: 'a@example.jp', subject: 's', text: 't' })
const clock = { now: () => new Date('2026-11-28T10:00:00Z') }
const noPause = async () => {}

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
      recordRetry: { pauseMs: 5, forMs: 10_000 },
      pause: async (ms) => {
        pauses.push(ms)
      },
    })
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent' })
    expect(pauses).toEqual([5, 5, 5])
    expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent-before' })
    expect(m.sent).toHaveLength(1)
  })

  it('fails the job once its patience is spent', async () => {
    const m = memoryMailer()
    const send = sendMailOnce({
      mailer: m.mailer,
      sentMails: {
        wasSent: async () => false,
        record: async () => {
          throw new Error('connection refused')
        },
      },
      clock,
      recordRetry: { pauseMs: 1, forMs: 0 },
      pause: noPause,
    })
    await expect(send(mail('k1'))).rejects.toThrow('connection refused')
  })

  it('keeps its patience when the wall clock jumps a day ahead meanwhile (an NTP step)', async () => {
    const m = memoryMailer()
    const log = memorySentMailLog()
    let away = 2
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const send = sendMailOnce({
        mailer: m.mailer,
        sentMails: {
          wasSent: log.wasSent,
          record: async (...args) => {
            if (away-- > 0) throw new Error('connection refused')
            await log.record(...args)
          },
        },
        clock,
        recordRetry: { pauseMs: 5, forMs: 10_000 },
        pause: async () => {
          vi.setSystemTime(Date.now() + 24 * 3_600_000)
        },
      })
      expect(await send(mail('k1'))).toEqual({ ok: true, value: 'sent' })
    } finally {
      vi.useRealTimers()
    }
  })
})
