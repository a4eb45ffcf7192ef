/** The development mailbox: every mail the development SMTP sink received, newest first. */
import { Hono } from 'hono'
import { formatDateTimeJa } from '../../core/lib/format.ts'
import { html, render } from '../render.ts'
import type { AppEnv } from '../session.ts'

export type DevMail = {
  messageId: string
  from: string
  to: string[]
  subject: string
  text: string
  receivedAt: Date
}

export const devMailboxRoutes = (mailbox: { mails: DevMail[] }) => {
  const app = new Hono<AppEnv>()
  app.get('/dev/mailbox', (c) =>
    render(c, {
      title: '開発用メールボックス',
      body: html`<p>開発用SMTPサーバが受信したメール（${mailbox.mails.length}通、新しい順）。<a href="/dev/mailbox">再読み込み</a></p>
${[...mailbox.mails].reverse().map(
  (m) => html`<article class="mail">
  <h2>${m.subject}</h2>
  <dl><dt>宛先</dt><dd>${m.to.join(', ')}</dd><dt>差出人</dt><dd>${m.from}</dd><dt>受信日時</dt><dd>${formatDateTimeJa(m.receivedAt)}</dd></dl>
  <pre>${m.text}</pre>
</article>`,
)}`,
    }),
  )
  return app
}
