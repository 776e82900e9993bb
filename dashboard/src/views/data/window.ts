// The rows the grid holds: one window (a run of consecutive rows of the current query, with the
// position of its first row), extended by keyset pages at either end as the user scrolls, and
// replaced by a positioned page when the user jumps far (dragging the scrollbar). Rows in
// between are never read. Pure: tested in window.test.ts; the grid runs the fetches it plans.
import type { ParseObject } from './parseTypes'

export const PAGE = 100
/** How far (in rows) past the window a visible range may start and still be reached by keyset
 * pages from the window's end rather than by a jump. */
export const NEAR = 2 * PAGE
/** Rows kept at most; the far side is dropped beyond it. */
export const MAX_ROWS = 3000

export interface RowWindow {
  /** Position (0-based, in the query's order) of rows[0]. */
  start: number
  rows: ParseObject[]
  /** The first row of the query is rows[0]. */
  atStart: boolean
  /** The last row of the query is the last of rows. */
  atEnd: boolean
}

export type Plan =
  | { kind: 'none' }
  /** The first page, from the start. */
  | { kind: 'first' }
  /** The page after the window's last row (keyset). */
  | { kind: 'forward'; after: ParseObject }
  /** The page before the window's first row (keyset, read in reverse order). */
  | { kind: 'backward'; before: ParseObject }
  /** A positioned page: `skip` rows from the start, one query. */
  | { kind: 'jump'; skip: number }

/** What to fetch so that rows [from, to) can be shown. */
export function plan(w: RowWindow | null, from: number, to: number): Plan {
  if (!w) return from <= NEAR ? { kind: 'first' } : { kind: 'jump', skip: Math.max(0, from) }
  const end = w.start + w.rows.length
  if (from >= w.start && to <= end) {
    // Shown: read ahead when the view nears an end.
    if (!w.atEnd && to > end - PAGE / 2 && w.rows.length > 0) return { kind: 'forward', after: w.rows[w.rows.length - 1] }
    if (!w.atStart && from < w.start + PAGE / 2 && w.rows.length > 0) return { kind: 'backward', before: w.rows[0] }
    return { kind: 'none' }
  }
  if (w.rows.length === 0) return w.atEnd ? { kind: 'none' } : { kind: 'first' }
  // Overlapping or near the end: keyset forward.
  if (to > end && from <= end + NEAR) return w.atEnd ? { kind: 'none' } : { kind: 'forward', after: w.rows[w.rows.length - 1] }
  // Overlapping or near the start: keyset backward.
  if (from < w.start && to >= w.start - NEAR) return w.atStart ? { kind: 'none' } : { kind: 'backward', before: w.rows[0] }
  return from <= NEAR ? { kind: 'first' } : { kind: 'jump', skip: from }
}

/** The window after a fetch planned by `p` answered `rows` (asked for `limit`). */
export function apply(w: RowWindow | null, p: Plan, rows: ParseObject[], limit = PAGE): RowWindow {
  const full = rows.length >= limit
  switch (p.kind) {
    case 'first':
      return { start: 0, rows, atStart: true, atEnd: !full }
    case 'jump':
      // Past the end (the count was an estimate, or rows were deleted): the window is empty
      // there, and the grid asks for the end by other means.
      return { start: p.skip, rows, atStart: p.skip === 0, atEnd: !full }
    case 'forward': {
      if (!w) return { start: 0, rows, atStart: true, atEnd: !full }
      const merged = dedupe([...w.rows, ...rows])
      let next: RowWindow = { ...w, rows: merged, atEnd: !full }
      if (merged.length > MAX_ROWS) {
        const drop = merged.length - MAX_ROWS
        next = { ...next, start: w.start + drop, rows: merged.slice(drop), atStart: false }
      }
      return next
    }
    case 'backward': {
      if (!w) return { start: 0, rows: [...rows].reverse(), atStart: !full, atEnd: false }
      // Read in reverse order: the nearest first.
      const before = [...rows].reverse()
      // Fewer than asked: these are the first rows of the query, whatever position was
      // assumed for the window (the counts before it were estimated).
      const start = full ? w.start - before.length : 0
      let merged = dedupe([...before, ...w.rows])
      let atEnd = w.atEnd
      if (merged.length > MAX_ROWS) {
        merged = merged.slice(0, MAX_ROWS)
        atEnd = false
      }
      return { start: Math.max(0, start), rows: merged, atStart: !full || start <= 0, atEnd }
    }
    case 'none':
      return w ?? { start: 0, rows: [], atStart: true, atEnd: true }
  }
}

function dedupe(rows: ParseObject[]): ParseObject[] {
  const seen = new Set<string>()
  return rows.filter((r) => (seen.has(r.objectId) ? false : (seen.add(r.objectId), true)))
}

/** The row at position `i`, if the window holds it. */
export function rowAt(w: RowWindow | null, i: number): ParseObject | undefined {
  if (!w) return undefined
  return w.rows[i - w.start]
}

/** The number of rows the grid shows: the count when known, corrected by what the window saw
 * (its end reached, or rows past the count). */
export function totalOf(w: RowWindow | null, count: number | undefined): number {
  if (!w) return count ?? 0
  const end = w.start + w.rows.length
  if (w.atEnd && (w.rows.length > 0 || w.start === 0)) return end
  if (count === undefined) return end + (w.atEnd ? 0 : PAGE)
  return Math.max(count, end + (w.atEnd ? 0 : 1))
}

// ---------------------------------------------------------------------------------------------
// Mapping the scrollbar to rows for classes taller than a browser lets an element be

/** The tallest scroll area used (browsers cap an element's height between ~17 and ~33 million
 * pixels); taller classes map the scrollbar proportionally. */
export const MAX_SCROLL_PX = 8_000_000

export interface ScrollMap {
  /** Height of the scroll area's content, in pixels. */
  height: number
  /** Rows per pixel of scrollbar beyond 1:1 (1 when the class fits). */
  scale: number
}

export function scrollMap(total: number, rowHeight: number): ScrollMap {
  const full = total * rowHeight
  if (full <= MAX_SCROLL_PX) return { height: full, scale: 1 }
  return { height: MAX_SCROLL_PX, scale: full / MAX_SCROLL_PX }
}

/** The virtual offset (pixels into the full list) for a new scrollTop. Small moves (wheel, keys)
 * move the list by as much as the scrollbar moved, so scrolling stays smooth; large ones
 * (dragging the thumb) map proportionally; the two ends map to the ends. */
export function virtualOffset(prevScroll: number, prevVirtual: number, scrollTop: number, viewport: number, m: ScrollMap): number {
  if (m.scale === 1) return scrollTop
  const maxScroll = Math.max(0, m.height - viewport)
  const maxVirtual = Math.max(0, m.height * m.scale - viewport)
  if (scrollTop <= 0) return 0
  if (scrollTop >= maxScroll) return maxVirtual
  const delta = scrollTop - prevScroll
  if (Math.abs(delta) <= viewport * 2) return Math.min(maxVirtual, Math.max(0, prevVirtual + delta))
  return (scrollTop / maxScroll) * maxVirtual
}

/** The scrollTop that shows the virtual offset `v` (for scrolling to a row by keyboard). */
export function scrollTopFor(v: number, viewport: number, m: ScrollMap): number {
  if (m.scale === 1) return v
  const maxScroll = Math.max(0, m.height - viewport)
  const maxVirtual = Math.max(0, m.height * m.scale - viewport)
  return maxVirtual === 0 ? 0 : (v / maxVirtual) * maxScroll
}
