/** One contract for the mailer port: the in-memory twin, and nodemailer over SMTP to a real SMTP server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MailSink, startMailSink } from '../../adapters/dev/mail-sink.ts'
import { memoryMailer } from '../../adapters/mail/mailer.memory.ts'
import { smtpMailer } from '../../adapters/mail/mailer.smtp.ts'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import type { Mail, Mailer } from '../../core/ports.ts'
import { testClock } from '../support/clock.ts'

const mail = (key: string): Mail => ({
  idempotencyKey: key,
  to: 'hanako@sample-shoji.example.jp',
  subject: USER_UPDATED_SUBJECT,
  text: '入札 花子 様\n\n利用者情報の更新が完了しました。',
})

type Subject = { mailer: Mailer; delivered(): { to: string; subject: string; text: string }[] }

const contract = (name: string, make: () => Promise<Subject>) =>
  describe(name, () => {
    let s: Subject
    beforeAll(async () => {
      s = await make()
    })
    it('delivers the subject and the Japanese text exactly', async () => {
      const result = await s.mailer.send(mail('m-1'))
      expect(result.ok).toBe(true)
      const got = s.delivered().at(-1)
      expect(got?.subject).toBe('[重要]利用者更新完了通知')
      expect(got?.text.trim()).toBe(mail('m-1').text)
      expect(got?.to).toBe('hanako@sample-shoji.example.jp')
    })
  })

contract('in-memory mailer', async () => {
  const m = memoryMailer()
  return { mailer: m.mailer, delivered: () => m.sent }
})

describe('SMTP', () => {
  let sink: MailSink
  /** The development mail sink's clock, far from the machine's: the mailbox shows its time. */
  const sinkClock = testClock(new Date('2031-06-15T03:00:00Z'))
  beforeAll(async () => {
    sink = await startMailSink(0, sinkClock)
  })
  afterAll(async () => sink.close())

  contract('nodemailer to a real SMTP server', async () => ({
    mailer: smtpMailer({ url: sink.url, from: 'portal@example.jp' }),
    delivered: () => sink.mails.map((m) => ({ to: m.to.join(','), subject: m.subject, text: m.text })),
  }))

  it('gives a resent mail the same Message-ID, so that it is recognisably the same mail', async () => {
    const mailer = smtpMailer({ url: sink.url, from: 'portal@example.jp' })
    await mailer.send(mail('same-key'))
    await mailer.send(mail('same-key'))
    const ids = sink.mails.slice(-2).map((m) => m.messageId)
    expect(ids[0]).toBe(ids[1])
    expect(ids[0]).toMatch(/@example\.jp>$/)
    expect(sink.mails.at(-1)?.receivedAt).toEqual(sinkClock.now())
  })

  it('reports a server that cannot be reached as a transient failure', async () => {
    const mailer = smtpMailer({ url: 'smtp://127.0.0.1:9', from: 'portal@example.jp', timeoutMs: 1000 })
    expect(await mailer.send(mail('m-2'))).toMatchObject({ ok: false, error: { kind: 'transient' } })
  })
})
