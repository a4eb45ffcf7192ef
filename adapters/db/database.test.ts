import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from './database.ts'

describe('isDatabaseUnavailable', () => {
  it('knows a database that is away from a fault of the request', () => {
    for (const code of ['ECONNREFUSED', 'CONNECTION_CLOSED', '57P01', '57P03', '08006', '53300'])
      expect(isDatabaseUnavailable(Object.assign(new Error(code), { code })), code).toBe(true)
    // Wrapped, as a library may hand it on.
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
    expect(isDatabaseUnavailable(new Error('query failed', { cause: refused }))).toBe(true)
    for (const code of ['23505', '40001', '22P02', undefined])
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), String(code)).toBe(false)
    expect(isDatabaseUnavailable(undefined)).toBe(false)
  })
})
