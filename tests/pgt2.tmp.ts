import { hanakoOverHttp } from './support/hanako-over-http.ts'
import { startPortalWorld } from './support/portal-processes.ts'
import { startPrivatePostgres } from './support/private-postgres.ts'

const pg = await startPrivatePostgres()
const world = await startPortalWorld(pg.url)
const portal = await world.start()
const h = hanakoOverHttp(portal.url)
await h.updateTitle('x')
await pg.down()
for (let i = 0; i < 8; i++) {
  const t = Date.now()
  const a = await h.client.get('/menu')
  console.log(i, a.status, Date.now() - t)
  await new Promise((r) => setTimeout(r, 1000))
}
console.log(portal.output().split('\n').slice(-30).join('\n'))
await pg.up()
await world.stop()
await pg.stop()
process.exit(0)
