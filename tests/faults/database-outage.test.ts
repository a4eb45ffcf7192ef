/**
 * PostgreSQL away for 70 s while mails are on their way through a slow SMTP relay. A mail the relay
 * accepted while the database was away is recorded when it returns and sent once, however long it
 * was away; a page asked meanwhile gets its 503 within seconds; and the log says the database went
 * away and came back, with a count, instead of a line per failed query. The database is a private
 * server of this test, so that stopping it disturbs no other.
 */
import { expect, it } from 'vitest'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { hanakoOverHttp } from '../support/hanako-over-http.ts'
import { startPortalWorld, stepsAfterAll } from '../support/portal-processes.ts'
import { startPrivatePostgres } from '../support/private-postgres.ts'
import { startSlowSmtpRelay } from '../support/slow-smtp.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

it('sends each mail once across a 70 s outage, answers 503 fast, and logs the outage in two lines', async () => {
  const pg = await startPrivatePostgres()
  cleanUp(pg.stop)
  const world = await startPortalWorld(pg.url)
  cleanUp(world.stop)
  const smtp = await startSlowSmtpRelay(world.sink.port, { replyAfterDataMs: 3_000 })
  cleanUp(smtp.close)
  const portal = await world.start({ SMTP_URL: smtp.url })
  const hanako = hanakoOverHttp(portal.url)

  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push(await hanako.updateTitle(`部長${i}`))
  // The relay has a mail and holds its answer: the database goes away before the answer comes.
  await waitFor('the relay holds a mail', () => smtp.relay.mailsHeld >= 1, 20_000)
  await pg.down()
  const downAt = Date.now()

  // Pages meanwhile: each a 503, within seconds.
  const waits: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = Date.now()
    const answer = await hanako.client.get('/menu')
    waits.push(Date.now() - started)
    expect(answer.status).toBe(503)
    await sleep(2_000)
  }
  expect(Math.max(...waits), JSON.stringify(waits)).toBeLessThan(3_000)
  console.log(`database-outage: pages answered 503 in ${waits.join(', ')} ms`)
  // Not ready meanwhile (a proxy sends users elsewhere), and says why; alive all the same.
  const ready = await fetch(`${portal.url}/health/ready`)
  expect(ready.status).toBe(503)
  expect(await ready.json()).toMatchObject({ ready: false, checks: { database: 'unreachable' } })
  expect((await fetch(`${portal.url}/health/live`)).status).toBe(200)

  await sleep(downAt + 70_000 - Date.now())
  await pg.up()

  const updated = () => world.sink.mails.filter((m) => m.subject === USER_UPDATED_SUBJECT)
  await waitFor('every mail arrived', () => updated().length >= ids.length, 60_000)
  // A second copy would come within the retry delay of its job (15 to 30 s).
  await sleep(35_000)
  const messageIds = updated().map((m) => m.messageId)
  expect(messageIds).toHaveLength(ids.length)
  expect(new Set(messageIds).size).toBe(ids.length)

  const log = portal.output()
  const lines = log.split('\n')
  expect(lines.filter((l) => l.includes('the database is unreachable'))).toHaveLength(1)
  expect(lines.filter((l) => /the database answers again after \d+ s; \d+ errors/.test(l))).toHaveLength(1)
  // Nothing else about the lost connection: no line per failed query.
  const connectionErrors = lines.filter((l) =>
    /ECONNREFUSED|Connection terminated|CONNECTION_|connect ECONN|57P0/.test(l),
  )
  expect(connectionErrors.length, connectionErrors.slice(0, 5).join('\n')).toBeLessThanOrEqual(1)
}, 240_000)
