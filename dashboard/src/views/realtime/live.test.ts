import { describe, expect, it } from 'vitest'
import { formatCount, formatRate, formatSince, HISTORY_MS, instancesOf, pushSample, recentRate, sampleOf, shortId, sparkColumns, type LiveState, type Sample } from './live'

const sample = (at: number, delivered: number, instance = 'a:1', eventsPerSecond = 0): Sample => ({ at, instance, delivered, eventsPerSecond })

describe('the history of samples', () => {
  it('keeps the last five minutes and ignores an answer seen again', () => {
    let h: Sample[] = []
    for (let t = 0; t <= 400_000; t += 2000) h = pushSample(h, sample(t, t))
    expect(h[0].at).toBe(400_000 - HISTORY_MS + 2000)
    expect(h[h.length - 1].at).toBe(400_000)
    expect(pushSample(h, sample(400_000, 1))).toBe(h)
    expect(pushSample(h, sample(1000, 1))).toBe(h)
  })

  it('sums the classes into one sample', () => {
    const state: LiveState = {
      instance: 'h:7',
      enabled: true,
      classNames: ['Message'],
      connections: 1,
      subscriptions: 2,
      eventsPerSecond: 1.5,
      dropped: 0,
      classes: [
        { className: 'A', subscriptions: 1, eventsPerSecond: 1, delivered: 10 },
        { className: 'B', subscriptions: 1, eventsPerSecond: 0.5, delivered: 5 },
      ],
      clients: [],
    }
    expect(sampleOf(state, 42)).toEqual({ at: 42, instance: 'h:7', eventsPerSecond: 1.5, delivered: 15 })
  })

  it('computes the rate between the last two samples, not across instances or restarts', () => {
    expect(recentRate([])).toBeNull()
    expect(recentRate([sample(0, 0)])).toBeNull()
    expect(recentRate([sample(0, 10), sample(2000, 30)])).toBe(10)
    expect(recentRate([sample(0, 10), sample(2000, 10)])).toBe(0)
    expect(recentRate([sample(0, 10), sample(2000, 30, 'b:2')])).toBeNull()
    expect(recentRate([sample(0, 10), sample(2000, 3)])).toBeNull()
    expect(instancesOf([sample(0, 0), sample(1, 0, 'b:2'), sample(2, 0)])).toEqual(['a:1', 'b:2'])
  })

  it('gives uPlot its columns in seconds', () => {
    expect(sparkColumns([sample(2000, 0, 'a', 1), sample(4000, 0, 'a', 3)])).toEqual([
      [2, 4],
      [1, 3],
    ])
  })
})

describe('formatting', () => {
  it('formats rates', () => {
    expect(formatRate(0)).toBe('0')
    expect(formatRate(-1)).toBe('0')
    expect(formatRate(NaN)).toBe('0')
    expect(formatRate(0.01)).toBe('< 0.1')
    expect(formatRate(0.44)).toBe('0.4')
    expect(formatRate(9.96)).toBe('10')
    expect(formatRate(12.4)).toBe('12')
    expect(formatRate(1234)).toBe('1.23k')
    expect(formatRate(120_000)).toBe('120k')
    expect(formatRate(3_400_000)).toBe('3.4M')
  })

  it('formats counts, ids and durations', () => {
    expect(formatCount(12345)).toBe('12,345')
    expect(shortId('0f8e7d6c-1111-2222-3333-444455556666')).toBe('0f8e7d6c')
    expect(shortId('abc')).toBe('abc')
    const now = Date.parse('2026-12-07T12:00:00Z')
    expect(formatSince('2026-12-07T11:59:48Z', now)).toBe('12 s')
    expect(formatSince('2026-12-07T12:00:05Z', now)).toBe('0 s')
    expect(formatSince('2026-12-07T11:56:00Z', now)).toBe('4 min')
    expect(formatSince('2026-12-07T09:55:00Z', now)).toBe('2 h 5 min')
    expect(formatSince('2026-12-07T10:00:00Z', now)).toBe('2 h')
    expect(formatSince('2026-12-04T08:00:00Z', now)).toBe('3 d 4 h')
    expect(formatSince('nonsense', now)).toBe('?')
  })
})
