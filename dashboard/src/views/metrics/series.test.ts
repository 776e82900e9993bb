import { describe, expect, it } from 'vitest'
import { averageRate, formatCount, formatMs, formatRate, rangeQuery, toColumns, type UsagePoint, type UsageSeries } from './series'

const zero: UsagePoint = {
  requests: 0,
  errors: 0,
  clientErrors: 0,
  serverErrors: 0,
  p50Ms: null,
  p99Ms: null,
  functionCalls: 0,
  functionErrors: 0,
}

describe('toColumns', () => {
  it('gives every minute of the range, zeros where the server left minutes out', () => {
    const series: UsageSeries = {
      from: '2026-12-07T10:00:30Z',
      to: '2026-12-07T10:03:10Z',
      stepSeconds: 60,
      points: [
        { ...zero, minute: '2026-12-07T10:01:00Z', requests: 120, errors: 3, clientErrors: 2, serverErrors: 1, p50Ms: 1.5, p99Ms: 9 },
        { ...zero, minute: '2026-12-07T10:03:00Z', functionCalls: 4, functionErrors: 1 },
      ],
      totals: zero,
    }
    const cols = toColumns(series)
    const t0 = Date.parse('2026-12-07T10:00:00Z') / 1000
    expect(cols.time).toEqual([t0, t0 + 60, t0 + 120, t0 + 180])
    expect(cols.requestsPerSecond).toEqual([0, 2, 0, 0])
    expect(cols.p50).toEqual([null, 1.5, null, null])
    expect(cols.p99).toEqual([null, 9, null, null])
    expect(cols.clientErrors).toEqual([0, 2, 0, 0])
    expect(cols.serverErrors).toEqual([0, 1, 0, 0])
    expect(cols.functionCalls).toEqual([0, 0, 0, 4])
    expect(cols.functionErrors).toEqual([0, 0, 0, 1])
  })
})

describe('rangeQuery', () => {
  it('ends now and starts the range before', () => {
    const now = new Date('2026-12-07T10:00:00Z')
    expect(rangeQuery('6 h', now)).toBe('?from=2026-12-07T04%3A00%3A00.000Z&to=2026-12-07T10%3A00%3A00.000Z')
    expect(rangeQuery('7 d', now)).toContain('from=2026-11-30T10')
  })
})

describe('formatting', () => {
  it('writes counts and latencies for people', () => {
    expect(formatCount(1234567)).toBe('1,234,567')
    expect(formatMs(null)).toBe('–')
    expect(formatMs(0.4567)).toBe('0.46 ms')
    expect(formatMs(250.4)).toBe('250 ms')
    expect(formatMs(2500)).toBe('2.50 s')
    expect(formatRate(0)).toBe('0/s')
    expect(formatRate(9 / 3600)).toBe('0.0025/s')
    expect(formatRate(12.345)).toBe('12.35/s')
  })

  it('averages the rate over the range', () => {
    const series: UsageSeries = { from: '2026-12-07T10:00:00Z', to: '2026-12-07T11:00:00Z', stepSeconds: 60, points: [], totals: { ...zero, requests: 7200 } }
    expect(averageRate(series)).toBe(2)
  })
})
