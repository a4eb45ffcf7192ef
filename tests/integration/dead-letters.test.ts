/**
 * A change GEPS refuses (400) goes to the dead-letter queue at once and shows 連携失敗; the
 * operator command lists it with the reason, and once the cause is fixed re-drives it: GEPS gets
 * it once and the change shows 連携完了. Its user is mailed the 連携失敗 once (not again when a
 * re-drive fails again), and once more when a re-drive goes through. On PostgreSQL the command
 * runs as the operator types it.
 */
import type { PgBoss } from 'pg-boss'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { SYNC_FAILED_SUBJECT, SYNC_RECOVERED_SUBJECT } from '../../core/domain/mails.ts'
import { listDeadLetters, redriveDeadLetters } from '../../jobs/dead-letters.ts'
import { runOps } from '../../jobs/ops.ts'
import type { Portal } from '../../main.ts'
import { startBoss } from '../support/boss.ts'
import { pathOf, textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { signedInClient } from '../support/portal-client.ts'
import { waitFor } from '../support/wait.ts'

let portal: Portal & { close(): Promise<void> }
let boss: PgBoss
beforeAll(async () => {
  portal = await startTestPortal()
  boss = await startBoss(portal.database)
})
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 1000 })
  await portal?.close()
})

const onPostgres = () => portal.database.target.backend === 'postgres'

/** The operator command's printed lines, run on the test portal's database. */
const ops = async (...args: string[]) => {
  const target = portal.database.target
  if (target.backend !== 'postgres') throw new Error('only on PostgreSQL')
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line))
  try {
    expect(await runOps(args, { DATABASE_URL: target.url })).toBe(0)
  } finally {
    log.mockRestore()
  }
  return lines.join('\n')
}

it('refuses to guess: an unknown command or queue prints the usage', async () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {})
  try {
    expect(await runOps(['redrive', 'geps-sync'], {})).toBe(2)
    expect(await runOps([], {})).toBe(2)
    expect(error.mock.calls.flat().join('\n')).toContain('npm run ops -- dead-letters')
  } finally {
    error.mockRestore()
  }
})

it('lists a refused change with the reason and re-drives it once the cause is fixed', async () => {
  const geps = portal.gepsSimulator
  if (!geps) throw new Error('the test portal runs the GEPS simulator')
  geps.faults.rejectNext = 1
  const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
  const page = (await hanako.get('/user/edit')).text
  await hanako.post('/user/edit', { ...textFieldsOf(page), title: '部長', action: 'confirm' })
  await hanako.get('/user/confirm')
  const done = await hanako.post('/user/confirm', {})
  const changeId = pathOf(done.location).split('/').at(-1) ?? ''
  const stateShown = async (label: string) => {
    for (let i = 0; i < 200; i++) {
      if ((await hanako.get(pathOf(done.location))).text.includes(label)) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`the completion screen never showed ${label}`)
  }
  await stateShown('連携失敗')

  // The change shows 連携失敗 as the worker gives up; pg-boss moves the job a moment later.
  let letters = await listDeadLetters(boss)
  for (let i = 0; i < 100 && letters.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50))
    letters = await listDeadLetters(boss)
  }
  expect(letters).toEqual([
    expect.objectContaining({
      deadLetterQueue: 'geps-sync-dead',
      queue: 'geps-sync',
      about: `change ${changeId}`,
    }),
  ])
  expect(letters[0]?.reason).toContain('400')
  if (onPostgres()) {
    const listed = await ops('dead-letters')
    expect(listed).toContain(`geps-sync-dead\t${letters[0]?.id}`)
    expect(listed).toContain(`change ${changeId}`)
  }

  // 花子 is told, once, with the 受付番号 and what to do; she changed no business field, so the
  // representative is not.
  const sink = portal.mailSink
  if (!sink) throw new Error('the test portal runs a mail sink')
  // The 受付番号 a person reads out: the completion screen's, in the mail too; never the UUID.
  const receipt = /受付番号: (\d{8}-\d{6,})/.exec((await hanako.get(pathOf(done.location))).text)?.[1]
  expect(receipt).toBeDefined()
  const failed = await sink.waitFor((m) => m.subject === SYNC_FAILED_SUBJECT)
  expect(failed.to).toEqual(['hanako@sample-shoji.example.jp'])
  expect(failed.text).toContain(`受付番号: ${receipt}`)
  expect(failed.text).not.toContain(changeId)
  expect(failed.text).toContain('ヘルプデスクにご連絡ください')
  expect(failed.text).toContain('同じ手続きをもう一度行う必要はありません')

  // Re-driven while the cause is still there: it fails again, and no second notice goes out.
  geps.faults.rejectNext = 1
  const redrive = async () => {
    if (onPostgres()) expect(await ops('redrive', 'geps-sync-dead')).toContain('Re-drove 1 job(s)')
    else expect(await redriveDeadLetters(boss, 'geps-sync-dead')).toBe(1)
  }
  await redrive()
  await waitFor('the second refusal', async () => (await listDeadLetters(boss)).length === 1, 10_000)
  await stateShown('連携失敗')

  // The cause is fixed (the simulator takes it now); the operator re-drives.
  await redrive()
  await stateShown('連携完了')
  const atGeps = [...geps.received.values()].filter((r) => r.idempotencyKey === changeId)
  expect(atGeps).toHaveLength(1)
  expect(atGeps[0]?.requests).toBe(1)
  expect(await listDeadLetters(boss)).toEqual([])
  const recovered = await sink.waitFor((m) => m.subject === SYNC_RECOVERED_SUBJECT)
  expect(recovered.to).toEqual(['hanako@sample-shoji.example.jp'])
  expect(recovered.text).toContain(`受付番号: ${receipt}`)
  await new Promise((r) => setTimeout(r, 500))
  expect(sink.mails.filter((m) => m.subject === SYNC_FAILED_SUBJECT)).toHaveLength(1)
  expect(sink.mails.filter((m) => m.subject === SYNC_RECOVERED_SUBJECT)).toHaveLength(1)
})
