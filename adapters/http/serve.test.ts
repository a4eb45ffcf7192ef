import { describe, expect, it } from 'vitest'
import { isTrustedProxy } from './serve.ts'

describe('isTrustedProxy', () => {
  it('believes any peer, none, or only the listed proxies (an IPv4 one also IPv6-mapped)', () => {
    expect(isTrustedProxy(true, '192.0.2.1')).toBe(true)
    expect(isTrustedProxy(false, '10.0.0.5')).toBe(false)
    expect(isTrustedProxy(['10.0.0.5'], '10.0.0.5')).toBe(true)
    expect(isTrustedProxy(['10.0.0.5'], '::ffff:10.0.0.5')).toBe(true)
    expect(isTrustedProxy(['10.0.0.5'], '10.0.0.6')).toBe(false)
    expect(isTrustedProxy(['10.0.0.5'], undefined)).toBe(false)
  })
})
