/**
 * Serves a fetch handler on the runtime at hand: Deno.serve under Deno, @hono/node-server under
 * Node. Listens on the given host only (127.0.0.1 by default).
 */
import { Server as NetServer } from 'node:net'
import { serve as serveOnNode } from '@hono/node-server'

export type Served = {
  port: number
  url: string
  /**
   * Stops taking connections and lets the requests in flight finish, for up to `drainMs` (0, the
   * default: every connection is closed at once); keep-alive connections are closed as they fall
   * idle, what is left at the deadline.
   */
  close(drainMs?: number): Promise<void>
}

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>

type DenoLike = {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> }
}

const deno = (globalThis as { Deno?: DenoLike }).Deno

export const serveHttp = (
  fetch: FetchHandler,
  options: { port: number; hostname?: string },
): Promise<Served> => {
  const hostname = options.hostname ?? '127.0.0.1'
  if (deno) {
    const server = deno.serve({ port: options.port, hostname, onListen: () => {} }, (request, info) =>
      fetch(request, info),
    )
    const port = server.addr.port
    // Deno's shutdown lets the requests in flight finish.
    return Promise.resolve({ port, url: `http://${hostname}:${port}`, close: () => server.shutdown() })
  }
  return new Promise((resolve, reject) => {
    const server = serveOnNode({ fetch, port: options.port, hostname }, (info) => {
      resolve({
        port: info.port,
        url: `http://${hostname}:${info.port}`,
        close: (drainMs = 0) =>
          new Promise<void>((done) => {
            const connections = server as unknown as {
              closeAllConnections(): void
              closeIdleConnections(): void
            }
            if (drainMs === 0) {
              server.close(() => done())
              connections.closeAllConnections()
              return
            }
            // Stops accepting, but not as http.Server.close does: that also drops each connection
            // without a request parsed yet, one whose request is still on its way included. Idle
            // connections are closed from a moment later, as they become idle, until the deadline.
            const idle = setInterval(() => connections.closeIdleConnections(), 250)
            const deadline = setTimeout(() => connections.closeAllConnections(), drainMs)
            NetServer.prototype.close.call(server, () => {
              clearInterval(idle)
              clearTimeout(deadline)
              done()
            })
          }),
      })
    })
    server.once('error', reject)
  })
}

/** The client's address from either runtime's connection info. */
/**
 * Whether `peer` is a proxy whose X-Forwarded-For the portal believes (TRUST_PROXY): any peer
 * (true), none (false), or one of the listed addresses (an IPv4 one also as IPv6-mapped).
 */
export const isTrustedProxy = (trusted: boolean | readonly string[], peer: string | undefined): boolean =>
  typeof trusted === 'boolean'
    ? trusted
    : peer !== undefined && trusted.includes(peer.startsWith('::ffff:') ? peer.slice(7) : peer)

export const remoteAddressOf = (env: unknown): string | undefined => {
  const e = env as
    | { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } }
    | undefined
  return e?.incoming?.socket?.remoteAddress ?? e?.remoteAddr?.hostname
}
