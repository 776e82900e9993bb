import { describe, expect, it } from 'vitest'
import { apply, MAX_ROWS, MAX_SCROLL_PX, PAGE, plan, rowAt, scrollMap, scrollTopFor, totalOf, virtualOffset } from './window'

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ objectId: `r${String(from + i).padStart(7, '0')}` }))

describe('the row window', () => {
  it('starts with the first page and extends forward by keyset', () => {
    expect(plan(null, 0, 20)).toEqual({ kind: 'first' })
    let w = apply(null, { kind: 'first' }, rows(0, PAGE))
    expect(plan(w, 0, 20)).toEqual({ kind: 'none' })
    const p = plan(w, 80, 100)
    expect(p).toEqual({ kind: 'forward', after: rows(99, 1)[0] })
    w = apply(w, p, rows(100, PAGE))
    expect(w.rows.length).toBe(2 * PAGE)
    expect(rowAt(w, 150)?.objectId).toBe('r0000150')
  })
  it('jumps far with one positioned page, then extends both ways', () => {
    const w0 = apply(null, { kind: 'first' }, rows(0, PAGE))
    const p = plan(w0, 500_000, 500_020)
    expect(p).toEqual({ kind: 'jump', skip: 500_000 })
    let w = apply(w0, p, rows(500_000, PAGE))
    expect(w.start).toBe(500_000)
    expect(rowAt(w, 500_010)?.objectId).toBe('r0500010')
    const back = plan(w, 499_990, 500_010)
    expect(back).toEqual({ kind: 'backward', before: rows(500_000, 1)[0] })
    // Read in reverse order: nearest first.
    w = apply(w, back, rows(499_900, PAGE).reverse())
    expect(w.start).toBe(499_900)
    expect(rowAt(w, 499_950)?.objectId).toBe('r0499950')
  })
  it('a short backward page means the start was reached', () => {
    let w = apply(null, { kind: 'jump', skip: 300 }, rows(300, PAGE))
    w = apply(w, { kind: 'backward', before: w.rows[0] }, rows(0, 30).reverse())
    expect(w.start).toBe(0)
    expect(w.atStart).toBe(true)
    expect(rowAt(w, 0)?.objectId).toBe('r0000000')
  })
  it('a short forward page marks the end and fixes the total', () => {
    let w = apply(null, { kind: 'first' }, rows(0, PAGE))
    expect(totalOf(w, 1000)).toBe(1000)
    w = apply(w, { kind: 'forward', after: w.rows[PAGE - 1] }, rows(100, 7))
    expect(w.atEnd).toBe(true)
    expect(totalOf(w, 1000)).toBe(107)
    expect(plan(w, 100, 107)).toEqual({ kind: 'none' })
  })
  it('keeps at most MAX_ROWS rows', () => {
    let w = apply(null, { kind: 'first' }, rows(0, PAGE))
    for (let i = 1; i < MAX_ROWS / PAGE + 5; i++) w = apply(w, { kind: 'forward', after: w.rows[w.rows.length - 1] }, rows(i * PAGE, PAGE))
    expect(w.rows.length).toBe(MAX_ROWS)
    expect(w.start).toBe(5 * PAGE)
    expect(w.atStart).toBe(false)
  })
})

describe('the scroll map', () => {
  it('is 1:1 for classes that fit', () => {
    const m = scrollMap(1000, 30)
    expect(m).toEqual({ height: 30000, scale: 1 })
    expect(virtualOffset(0, 0, 500, 600, m)).toBe(500)
  })
  it('maps far drags proportionally and small moves 1:1', () => {
    const m = scrollMap(1_000_000, 30)
    expect(m.height).toBe(MAX_SCROLL_PX)
    const vp = 600
    const half = (MAX_SCROLL_PX - vp) / 2
    const v = virtualOffset(0, 0, half, vp, m)
    expect(Math.round(v / 30)).toBeGreaterThan(499_000)
    expect(Math.round(v / 30)).toBeLessThan(501_000)
    expect(virtualOffset(half, v, half + 30, vp, m)).toBe(v + 30)
    expect(virtualOffset(half, v, MAX_SCROLL_PX, vp, m)).toBe(30_000_000 - vp)
    expect(scrollTopFor(v, vp, m)).toBeCloseTo(half, 3)
  })
})
