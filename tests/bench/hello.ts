/** The ceiling of the page figure: Hono's hello-world on the same runtime, on a loopback port it prints. */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.text('Hello, world'))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`Portal: http://127.0.0.1:${info.port}/ \nReady in 0 s`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
