import { describe, expect, it } from 'vitest'
import { expiresIn } from './data'

describe('expiresIn', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('says how long an invitation stays valid', () => {
    expect(expiresIn('2026-01-08T00:00:00Z', now)).toBe('in 7 days')
    expect(expiresIn('2026-01-07T23:59:00Z', now)).toBe('in 7 days')
    expect(expiresIn('2026-01-02T12:00:00Z', now)).toBe('in 2 days')
    expect(expiresIn('2026-01-02T11:00:00Z', now)).toBe('in 35 hours')
    expect(expiresIn('2026-01-01T05:30:00Z', now)).toBe('in 5 hours')
    expect(expiresIn('2026-01-01T01:00:00Z', now)).toBe('in 1 hour')
    expect(expiresIn('2026-01-01T00:00:20Z', now)).toBe('in 1 minute')
    expect(expiresIn('2025-12-31T00:00:00Z', now)).toBe('expired')
    expect(expiresIn('not a date', now)).toBe('expired')
  })
})
