/**
 * The metrics an operator scrapes, on their own port: after a wrong PIN, an update (F1) and its
 * delivery, the request histogram, the GEPS and SMTP call timings, the sync lag, the sign-in
 * failures and the job counts have moved. The portal's own port serves none of it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Portal } from '../../main.ts'
import { textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient } from '../support/portal-client.ts'
import { waitFor } from '../support/wait.ts'

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  portal = await startTestPortal({ metricsPort: 0 })
})
afterAll(async () => portal?.close())

/** The value of the sample `name{labels}` (labels as written, in order), 0 when absent. */
const sample = (text: string, name: string, labels = ''): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `))
  return line ? Number(line.split(' ').at(-1)) : 0
}

it('counts requests, calls, the sync lag, sign-in failures and jobs, on a port of their own', async () => {
  const metricsUrl = portal.metricsUrl
  if (!metricsUrl) throw new Error('the test portal serves metrics')
  const scrape = async () => (await fetch(`${metricsUrl}/metrics`)).text()
  const before = await scrape()

  const c = portalClient(portal)
  await c.get('/sign-in')
  expect((await c.post('/sign-in', { cardId: 'hanako-file', pin: 'Zq7-wrong' })).status).toBe(422)
  expect((await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })).status).toBe(303)
  const page = (await c.get('/user/edit')).text
  await c.post('/user/edit', { ...textFieldsOf(page), title: '部長', action: 'confirm' })
  await c.get('/user/confirm')
  expect((await c.post('/user/confirm', {})).status).toBe(303)

  const confirm = 'method="POST",route="/user/confirm",status="303"'
  await waitFor(
    'the delivery and its mail are counted',
    async () => {
      const now = await scrape()
      return (
        sample(now, 'portal_sync_lag_seconds_count') > sample(before, 'portal_sync_lag_seconds_count') &&
        sample(now, 'portal_outgoing_call_duration_seconds_count', 'service="smtp",outcome="ok"') > 0
      )
    },
    20_000,
  )
  const after = await scrape()
  expect(sample(after, 'portal_http_request_duration_seconds_count', confirm)).toBe(1)
  expect(
    sample(after, 'portal_outgoing_call_duration_seconds_count', 'service="geps",outcome="ok"'),
  ).toBeGreaterThan(
    sample(before, 'portal_outgoing_call_duration_seconds_count', 'service="geps",outcome="ok"'),
  )
  expect(sample(after, 'portal_sign_in_failures_total', 'reason="card:wrong-pin"')).toBe(1)
  expect(after).toContain('# TYPE portal_jobs gauge') // counted by countJobs (waiting-jobs.test.ts)
  expect(after).toContain('portal_process_resident_memory_bytes')
  // Not on the portal's own port.
  expect((await fetch(`${portal.url}/metrics`)).status).toBe(404)
})
