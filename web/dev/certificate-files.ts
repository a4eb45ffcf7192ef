/**
 * Development only: the demo data's certificate files (.p12), so that sign-in with a file can be
 * tried. Each is written on request from the demo card, under the card's documented password.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../session.ts'

export type DemoCertificateFile = (cardId: string) => Promise<Uint8Array | undefined>

export const devFileRoutes = (demoCertificateFile: DemoCertificateFile) => {
  const app = new Hono<AppEnv>()
  app.get('/dev/certificate-files/:name{[a-z0-9-]+\\.p12}', async (c) => {
    const cardId = c.req.param('name').replace(/\.p12$/, '')
    const file = await demoCertificateFile(cardId)
    if (!file) return c.notFound()
    c.header('Content-Type', 'application/x-pkcs12')
    c.header('Content-Disposition', `attachment; filename="${cardId}.p12"`)
    c.header('Cache-Control', 'no-store')
    return c.body(new Uint8Array(file))
  })
  return app
}
