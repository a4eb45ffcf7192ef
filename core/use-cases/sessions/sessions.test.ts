import { describe, expect, it } from 'vitest'
import { memoryPortal } from '../../../tests/support/memory-portal.ts'
import { startSession } from '../sign-in/sign-in.ts'
import { endExpiredSessions, resumeSession, sessionIsCurrent } from './sessions.ts'

const limits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 }
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 27, 0, minutes))

describe('session lifetime', () => {
  it('ends after the idle limit without use, and at the absolute limit whatever the use', () => {
    const session = { id: 's', csrfToken: 't', createdAt: at(0), lastSeenAt: at(0) }
    expect(sessionIsCurrent(session, at(29), limits)).toBe(true)
    expect(sessionIsCurrent(session, at(30), limits)).toBe(false)
    const busy = { ...session, lastSeenAt: at(12 * 60 - 1) }
    expect(sessionIsCurrent(busy, at(12 * 60 - 1), limits)).toBe(true)
    expect(sessionIsCurrent(busy, at(12 * 60), limits)).toBe(false)
  })

  it('keeps a used session alive, writing its last use at most once a minute, and ends an idle one', async () => {
    const { ports, clock } = await memoryPortal(at(0))
    const { id } = await startSession(ports)()
    const resume = resumeSession(ports, limits)
    clock.set(at(0.5))
    expect((await resume(id))?.session.lastSeenAt).toEqual(at(0))
    clock.set(at(20))
    expect((await resume(id))?.session.lastSeenAt).toEqual(at(20))
    clock.set(at(45))
    expect(await resume(id)).toBeDefined()
    clock.set(at(76))
    expect(await resume(id)).toBeUndefined()
    expect(await ports.sessions.find(id)).toBeUndefined()
  })

  it('deletes every expired session on the scheduled clean-up', async () => {
    const { ports, clock } = await memoryPortal(at(0))
    const old = await startSession(ports)()
    clock.set(at(40))
    const recent = await startSession(ports)()
    expect(await endExpiredSessions(ports, limits)()).toBe(1)
    expect(await ports.sessions.find(old.id)).toBeUndefined()
    expect(await ports.sessions.find(recent.id)).toBeDefined()
  })
})
