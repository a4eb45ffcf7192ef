/**
 * A faulty front for the GEPS simulator, for the delivery fault tests: it answers each POST as the
 * test says (the simulator's own answer, a status, no answer, or the simulator's answer late), and
 * notes when each request opened and when its connection closed, so that a test can tell whether
 * two requests for one change were ever open at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type GepsAnswer = 'pass' | number | 'hang' | { lateMs: number }

export type FrontRequest = { key: string; path: string; openedAt: number; closedAt?: number; answer: string }

export const serveFaultyGeps = async (simulator: (request: Request) => Response | Promise<Response>) => {
  const front = { answer: 'pass' as GepsAnswer, requests: [] as FrontRequest[] }
  const pass = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string') headers.set(name, value)
    const answer = await simulator(
      new Request(`http://geps${req.url}`, {
        method: req.method,
        headers,
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
      }),
    )
    if (res.destroyed) return
    res.writeHead(answer.status, Object.fromEntries(answer.headers))
    res.end(Buffer.from(await answer.arrayBuffer()))
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      if (req.method !== 'POST') return void pass(req, res, body)
      const answer = front.answer
      const noted: FrontRequest = {
        key: String(req.headers['idempotency-key']),
        path: req.url ?? '',
        openedAt: Date.now(),
        answer: typeof answer === 'object' ? `late ${answer.lateMs} ms` : String(answer),
      }
      front.requests.push(noted)
      res.once('close', () => {
        noted.closedAt = Date.now()
      })
      if (answer === 'pass') return void pass(req, res, body)
      if (answer === 'hang') return
      if (typeof answer === 'number') {
        res.writeHead(answer, { 'content-type': 'application/json' })
        return void res.end('{"error":"from the faulty front"}')
      }
      setTimeout(() => void pass(req, res, body), answer.lateMs)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    front,
    /** Requests under one key that were open at the same time, as pairs. */
    overlapping: () => {
      const found: [FrontRequest, FrontRequest][] = []
      const byKey = Map.groupBy(front.requests, (r) => r.key)
      for (const requests of byKey.values())
        for (const [i, a] of requests.entries())
          for (const b of requests.slice(i + 1))
            if (b.openedAt < (a.closedAt ?? Number.POSITIVE_INFINITY)) found.push([a, b])
      return found
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
