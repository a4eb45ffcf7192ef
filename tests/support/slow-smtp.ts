/**
 * A slow SMTP relay for the mail fault tests, in front of a mail sink: it holds the server's reply
 * to the end of each mail's DATA for `replyAfterDataMs` (RFC 5321 lets a server take 10 minutes
 * there), while the sink has the mail already. So a client that gives up sooner and sends again
 * delivers it twice, as a real relay would.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'

export const startSlowSmtpRelay = async (sinkPort: number, replyAfterDataMs: number) => {
  const relay = { replyAfterDataMs, mailsHeld: 0 }
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(sinkPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    let inData = false
    let tail = ''
    /** Replies from the sink wait until this, one after another. */
    let holdUntil = 0
    let sending = Promise.resolve()
    client.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1')
      if (!inData && /(^|\r\n)DATA\r\n$/i.test(text)) inData = true
      else if (inData && text.endsWith('\r\n.\r\n')) {
        inData = false
        holdUntil = Date.now() + relay.replyAfterDataMs
        relay.mailsHeld++
      }
      tail = text.slice(-8)
      upstream.write(chunk)
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
