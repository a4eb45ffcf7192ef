/**
 * A slow SMTP relay for the mail fault tests, in front of a mail sink. `replyAfterDataMs` holds the
 * server's reply to the end of each mail's DATA (RFC 5321 lets a server take 10 minutes there)
 * while the sink has the mail already: a client that gives up sooner and sends again delivers it
 * twice, as with a real relay. `acceptAfterMs` instead holds the end of the data before the sink
 * gets it, so the mail is accepted and answered at once after the wait: a relay that takes its
 * time to take a mail.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'

export const startSlowSmtpRelay = async (
  sinkPort: number,
  delays: { replyAfterDataMs?: number; acceptAfterMs?: number },
) => {
  const relay = {
    replyAfterDataMs: delays.replyAfterDataMs ?? 0,
    acceptAfterMs: delays.acceptAfterMs ?? 0,
    mailsHeld: 0,
  }
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(sinkPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    let inData = false
    let tail = ''
    /** Replies from the sink wait until this, one after another. */
    let holdUntil = 0
    let sending = Promise.resolve()
    /** What the client sends goes on to the sink one after another, the end of a mail's data late. */
    let forwarding = Promise.resolve()
    client.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1')
      let wait = 0
      if (!inData && /(^|\r\n)DATA\r\n$/i.test(text)) inData = true
      else if (inData && text.endsWith('\r\n.\r\n')) {
        inData = false
        wait = relay.acceptAfterMs
        holdUntil = Date.now() + wait + relay.replyAfterDataMs
        relay.mailsHeld++
      }
      tail = text.slice(-8)
      forwarding = forwarding.then(async () => {
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        if (!upstream.destroyed) upstream.write(chunk)
      })
    })
    upstream.on('data', (chunk: Buffer) => {
      const wait = holdUntil - Date.now()
      sending = sending.then(async () => {
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        if (!client.destroyed) client.write(chunk)
      })
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    relay,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}
