import { describe, expect, it } from 'vitest'
import { err, ok } from '../../core/lib/result.ts'
import type { Geps, GepsUserDeletion } from '../../core/ports.ts'
import { withOutageGate } from './geps-outage-gate.ts'

const deletion = (key: string): GepsUserDeletion => ({
  idempotencyKey: key,
  portalReceiptNumber: `20261204-${key}`,
  corporateNumber: '7123456789012',
  userId: key,
})

/** A GEPS that is up or down as the test says, counting the requests that reach it. */
const switchableGeps = () => {
  const state = { up: false, requests: 0 }
  const answer = async () => {
    state.requests++
    return state.up
      ? ok({ receiptNumber: `GEPS-${state.requests}`, receivedAt: '' })
      : err({ kind: 'transient' as const, message: 'GEPS answered 503' })
  }
  const geps: Geps = { syncUserChange: answer, deleteUser: answer }
  return { state, geps }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the GEPS outage gate', () => {
  it('holds deliveries back while GEPS is down, lets one probe through each interval, and brings all forward when it answers', async () => {
    const { state, geps } = switchableGeps()
    const calls = { probes: 0, returns: 0 }
    const gate = withOutageGate(geps, {
      probeIntervalMs: 100,
      onProbeDue: async () => calls.probes++,
      onReturn: async () => calls.returns++,
    })
    try {
      for (let i = 0; i < 3; i++) await gate.deleteUser(deletion(`a${i}`))
      expect(state.requests).toBe(3)
      expect(gate.downSince()).toBeInstanceOf(Date)
      // A backlog of 100 while down: none of it reaches GEPS.
      for (let i = 0; i < 100; i++) {
        const held = await gate.deleteUser(deletion(`b${i}`))
        expect(held).toMatchObject({
          ok: false,
          error: { kind: 'transient', message: /not sent/, heldBack: true },
        })
      }
      expect(state.requests).toBe(3)
      // The interval passes: one job is brought forward, and one delivery goes, the next is held.
      await pause(150)
      expect(calls.probes).toBe(1)
      await gate.deleteUser(deletion('probe-1'))
      await gate.deleteUser(deletion('held'))
      expect(state.requests).toBe(4)
      // GEPS is back: the next probe succeeds, and every waiting delivery is brought forward.
      state.up = true
      await pause(100)
      expect(await gate.deleteUser(deletion('probe-2'))).toMatchObject({ ok: true })
      expect(calls.returns).toBe(1)
      expect(gate.downSince()).toBeUndefined()
      expect(await gate.deleteUser(deletion('after'))).toMatchObject({ ok: true })
      expect(state.requests).toBe(6)
    } finally {
      gate.stop()
    }
  })

  it('is not closed by transient failures with a success between, and a refusal counts as an answer', async () => {
    let answer: 'ok' | 'transient' | 'permanent' = 'transient'
    let requests = 0
    const reply = async () => {
      requests++
      return answer === 'ok'
        ? ok({ receiptNumber: 'GEPS-1', receivedAt: '' })
        : err({ kind: answer, message: answer })
    }
    const gate = withOutageGate(
      { syncUserChange: reply, deleteUser: reply },
      { probeIntervalMs: 60_000, onProbeDue: async () => {}, onReturn: async () => {} },
    )
    try {
      for (const a of [
        'transient',
        'transient',
        'ok',
        'transient',
        'transient',
        'permanent',
        'transient',
      ] as const) {
        answer = a
        await gate.deleteUser(deletion(a))
      }
      expect(gate.downSince()).toBeUndefined()
      expect(requests).toBe(7)
    } finally {
      gate.stop()
    }
  })
})
