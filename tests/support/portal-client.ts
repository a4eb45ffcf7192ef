/** A form client on a test portal's app, and one signed in with a demo card. */
import { expect } from 'vitest'
import type { Portal } from '../../main.ts'
import { formClient } from './form-client.ts'

export const portalClient = (portal: Portal) =>
  formClient((path, init) => Promise.resolve(portal.app.request(path, init)))

export const signedInClient = async (portal: Portal, cardId: string, pin: string) => {
  const c = portalClient(portal)
  await c.get('/sign-in')
  expect((await c.post('/sign-in', { cardId, pin })).status).toBe(303)
  return c
}
