/**
 * An SMTP relay that takes 20 s to answer the end of each mail's DATA (RFC 5321 lets it take 10
 * minutes): the portal waits for the answer instead of giving up and sending the mail again, so
 * each mail arrives once.
 */
import { expect, it } from 'vitest'
import { USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { hanakoOverHttp } from '../support/hanako-over-http.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { startSlowSmtpRelay } from '../support/slow-smtp.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

it('waits for a relay that answers the end of DATA after 20 s, and sends each mail once', async (ctx) => {
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const smtp = await startSlowSmtpRelay(world.sink.port, { replyAfterDataMs: 20_000 })
  cleanUp(smtp.close)
  const portal = await world.start({ SMTP_URL: smtp.url })

  const hanako = hanakoOverHttp(portal.url)
  for (let i = 0; i < 3; i++) await hanako.updateTitle(`部長${i}`)
  const updated = () => world.sink.mails.filter((m) => m.subject === USER_UPDATED_SUBJECT)
  await waitFor('every mail arrived', () => updated().length >= 3, 60_000)
  // Each answered 20 s after its data; one sent again would be sent within its retry delay after.
  await new Promise((r) => setTimeout(r, 45_000))
  expect(updated()).toHaveLength(3)
  expect(new Set(updated().map((m) => m.messageId)).size).toBe(3)
  // No mail went twice (the expiry reminders of the demo data pass this relay too).
  const all = world.sink.mails.map((m) => m.messageId)
  expect(new Set(all).size).toBe(all.length)
  expect(smtp.relay.mailsHeld).toBe(all.length)
}, 180_000)
