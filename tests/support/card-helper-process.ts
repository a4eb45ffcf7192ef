/**
 * The card helper as a user runs it (`npm run card-helper`), in a process of its own, over
 * SoftHSM2 tokens made of demo cards (tests/support/softhsm.ts), for a portal at `portalUrl`.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Portal } from '../../main.ts'
import { cardRow } from './demo-card-files.ts'
import { type SoftCard, softTokens } from './softhsm.ts'

/**
 * A port free on 127.0.0.1 now, for a server that must be named before it starts: below the
 * ephemeral range (32768 and up on Linux), where the servers that listen on port 0 land.
 */
export const freePort = async (): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new Error('no free port between 20000 and 32000')
}

/** A demo card as a token: its label, its PIN there, its CKA_ID, whether its certificate is private. */
export type DemoToken = {
  cardId: string
  label: string
  pin: string
  id?: string
  certificateIsPrivate?: boolean
}

export const demoSoftCards = (portal: Portal, tokens: DemoToken[]): Promise<SoftCard[]> =>
  Promise.all(
    tokens.map(async (t) => ({
      label: t.label,
      pin: t.pin,
      id: t.id ?? '45',
      certificateIsPrivate: t.certificateIsPrivate,
      ...(await cardRow(portal, t.cardId)),
    })),
  )

export type HelperProcess = { url: string; output: () => string; stop(): Promise<void> }

export const startHelperProcess = async (f: {
  cards: SoftCard[]
  portalUrl: string
  port: number
  tries?: number
}): Promise<HelperProcess> => {
  const soft = softTokens(f.cards, { tries: f.tries })
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, '../../card-helper.ts'),
      '--origin',
      f.portalUrl,
      '--module',
      soft.modulePath,
      '--port',
      String(f.port),
    ],
    { env: { ...process.env, ...soft.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    soft.close()
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the card helper did not start:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Card helper on')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the card helper exited with ${code}:\n${output}`))
    })
  }).catch(async (e) => {
    await stop()
    throw e
  })
  return { url: `http://127.0.0.1:${f.port}`, output: () => output, stop }
}
