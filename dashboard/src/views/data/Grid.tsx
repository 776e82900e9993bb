// The grid: a fixed header and only the rows in view rendered (a class of millions of rows is a
// few dozen elements). The scroll area is as tall as the class (up to a browser's limit, beyond
// which the scrollbar maps proportionally: window.ts). It tells its owner which rows are in view;
// the owner loads them (keyset pages, or one positioned page after a far jump).
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import type { FieldDef, ParseObject } from './parseTypes'
import { formatValue, sortable, typeLabel } from './parseTypes'
import type { Sort } from './query'
import { scrollMap, scrollTopFor, virtualOffset } from './window'

export const ROW_HEIGHT = 32
const HEAD_HEIGHT = 46
const OVERSCAN = 10

export interface Column {
  name: string
  def: FieldDef
}

export function columnWidth(c: Column): number {
  if (c.name === 'objectId') return 120
  switch (c.def.type) {
    case 'Number':
      return 110
    case 'Boolean':
      return 90
    case 'Date':
      return 205
    case 'Pointer':
    case 'Relation':
      return 160
    case 'GeoPoint':
      return 170
    case 'ACL':
      return 170
    default:
      return 180
  }
}

export interface Cell {
  row: number
  col: number
}

interface GridProps {
  columns: Column[]
  total: number
  rowAt: (i: number) => ParseObject | undefined
  onRange: (from: number, to: number) => void
  sort: Sort
  onSort: (s: Sort) => void
  active: Cell | null
  setActive: (c: Cell | null) => void
  selected: Set<string>
  toggle: (id: string) => void
  toggleAll: () => void
  allSelected: boolean
  onEdit: (c: Cell) => void
  /** Alt+Enter: follow the active cell's pointer or relation. */
  onFollow: (c: Cell) => void
  renderExtra: (row: ParseObject, col: Column) => ReactNode
  /** A position to scroll to once (a "go to row"). */
  scrollTo: { row: number; seq: number } | null
}

export function Grid(props: GridProps) {
  const { columns, total, rowAt, onRange, sort, onSort, active, setActive } = props
  const scroller = useRef<HTMLDivElement>(null)
  const [viewport, setViewport] = useState(600)
  const [scrollTop, setScrollTop] = useState(0)
  const [virtualTop, setVirtualTop] = useState(0)
  const last = useRef({ scroll: 0, virtual: 0 })
  const map = scrollMap(total, ROW_HEIGHT)
  const bodyViewport = Math.max(ROW_HEIGHT, viewport - HEAD_HEIGHT)

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    const ro = new ResizeObserver(() => setViewport(el.clientHeight))
    ro.observe(el)
    setViewport(el.clientHeight)
    return () => ro.disconnect()
  }, [])

  const onScroll = useCallback(() => {
    const el = scroller.current
    if (!el) return
    const v = virtualOffset(last.current.scroll, last.current.virtual, el.scrollTop, bodyViewport, scrollMap(total, ROW_HEIGHT))
    last.current = { scroll: el.scrollTop, virtual: v }
    setScrollTop(el.scrollTop)
    setVirtualTop(v)
  }, [bodyViewport, total])

  const first = Math.max(0, Math.floor(virtualTop / ROW_HEIGHT))
  const visibleCount = Math.ceil(bodyViewport / ROW_HEIGHT) + 1
  const last_ = Math.min(total, first + visibleCount)
  useEffect(() => {
    onRange(Math.max(0, first - OVERSCAN), Math.min(total, last_ + OVERSCAN))
  }, [first, last_, total, onRange])

  /** Scrolls so that row `i` is in view. */
  const reveal = useCallback(
    (i: number, align: 'nearest' | 'start' = 'nearest') => {
      const el = scroller.current
      if (!el) return
      const top = i * ROW_HEIGHT
      let v = virtualTop
      if (align === 'start' || top < virtualTop) v = top
      else if (top + ROW_HEIGHT > virtualTop + bodyViewport) v = top + ROW_HEIGHT - bodyViewport
      else return
      const m = scrollMap(total, ROW_HEIGHT)
      const st = scrollTopFor(v, bodyViewport, m)
      last.current = { scroll: st, virtual: v }
      el.scrollTop = st
      setScrollTop(st)
      setVirtualTop(v)
    },
    [virtualTop, bodyViewport, total],
  )

  const seq = props.scrollTo?.seq
  useEffect(() => {
    if (props.scrollTo) reveal(props.scrollTo.row, 'start')
    // Only when asked anew.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seq])

  const widths = columns.map(columnWidth)
  const gutter = 90
  const width = gutter + widths.reduce((a, b) => a + b, 0)

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== scroller.current) return
    const a = active ?? { row: first, col: 0 }
    let next: Cell | null = null
    const page = Math.max(1, Math.floor(bodyViewport / ROW_HEIGHT) - 1)
    switch (e.key) {
      case 'ArrowDown':
        next = { ...a, row: Math.min(total - 1, a.row + (active ? 1 : 0)) }
        break
      case 'ArrowUp':
        next = { ...a, row: Math.max(0, a.row - 1) }
        break
      case 'ArrowRight':
        next = { ...a, col: Math.min(columns.length - 1, a.col + (active ? 1 : 0)) }
        break
      case 'ArrowLeft':
        next = { ...a, col: Math.max(0, a.col - 1) }
        break
      case 'PageDown':
        next = { ...a, row: Math.min(total - 1, a.row + page) }
        break
      case 'PageUp':
        next = { ...a, row: Math.max(0, a.row - page) }
        break
      case 'Home':
        next = e.ctrlKey ? { row: 0, col: 0 } : { ...a, col: 0 }
        break
      case 'End':
        next = e.ctrlKey ? { row: total - 1, col: a.col } : { ...a, col: columns.length - 1 }
        break
      case 'Enter':
      case 'F2':
        if (active && e.altKey) props.onFollow(active)
        else if (active) props.onEdit(active)
        e.preventDefault()
        return
      case ' ': {
        const r = active && rowAt(active.row)
        if (r) props.toggle(r.objectId)
        e.preventDefault()
        return
      }
      case 'Escape':
        setActive(null)
        return
      default:
        return
    }
    e.preventDefault()
    if (next && total > 0) {
      setActive(next)
      reveal(next.row)
      const colLeft = gutter + widths.slice(0, next.col).reduce((x, y) => x + y, 0)
      const el = scroller.current!
      if (colLeft < el.scrollLeft + gutter) el.scrollLeft = Math.max(0, colLeft - gutter)
      else if (colLeft + widths[next.col] > el.scrollLeft + el.clientWidth) el.scrollLeft = colLeft + widths[next.col] - el.clientWidth
    }
  }

  const rows: ReactNode[] = []
  for (let i = first; i < last_; i++) {
    const row = rowAt(i)
    const top = scrollTop + (i * ROW_HEIGHT - virtualTop)
    const isSel = row ? props.selected.has(row.objectId) : false
    rows.push(
      <div
        key={i}
        role="row"
        aria-rowindex={i + 2}
        aria-selected={isSel}
        className={`grid-row${i % 2 ? ' alt' : ''}${isSel ? ' selected' : ''}`}
        style={{ transform: `translateY(${top}px)`, width }}
      >
        <div role="rowheader" className="grid-gutter" style={{ width: gutter }}>
          {row && (
            <input
              type="checkbox"
              tabIndex={-1}
              aria-label={`Select ${row.objectId}`}
              checked={isSel}
              onChange={() => props.toggle(row.objectId)}
            />
          )}
          <span className="row-number">{(i + 1).toLocaleString('en-US')}</span>
        </div>
        {columns.map((c, j) => {
          const isActive = active?.row === i && active.col === j
          const v = row?.[c.name]
          return (
            <div
              key={c.name}
              role="gridcell"
              data-cell={`${i}:${j}`}
              data-col={c.name}
              aria-selected={isActive}
              className={`grid-cell type-${c.def.type}${isActive ? ' active' : ''}${v === undefined || v === null ? ' empty' : ''}`}
              style={{ width: widths[j] }}
              onMouseDown={() => setActive({ row: i, col: j })}
              onDoubleClick={() => props.onEdit({ row: i, col: j })}
              title={row ? formatValue(v, c.def) : undefined}
            >
              {row ? (
                <>
                  <span className="cell-text">{cellText(v, c)}</span>
                  {props.renderExtra(row, c)}
                </>
              ) : (
                <span className="cell-loading" />
              )}
            </div>
          )
        })}
      </div>,
    )
  }

  return (
    <div
      ref={scroller}
      className="grid-scroll"
      role="grid"
      aria-label="Rows"
      aria-rowcount={total + 1}
      aria-colcount={columns.length + 1}
      tabIndex={0}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
    >
      <div className="grid-head" role="row" aria-rowindex={1} style={{ width, height: HEAD_HEIGHT }}>
        <div role="columnheader" className="grid-gutter" style={{ width: gutter }}>
          <input type="checkbox" tabIndex={-1} aria-label="Select all loaded rows" checked={props.allSelected} onChange={props.toggleAll} />
          <span className="muted small">#</span>
        </div>
        {columns.map((c, j) => {
          const can = sortable(c.name, c.def)
          const on = sort.field === c.name
          return (
            <div
              key={c.name}
              role="columnheader"
              aria-sort={on ? (sort.desc ? 'descending' : 'ascending') : 'none'}
              className={`grid-th${can ? ' sortable' : ''}`}
              style={{ width: widths[j] }}
            >
              {can ? (
                <button type="button" className="th-button" onClick={() => onSort({ field: c.name, desc: on ? !sort.desc : false })} title={`Sort by ${c.name}`}>
                  <span className="th-name">
                    {c.name} {on ? (sort.desc ? '▼' : '▲') : ''}
                  </span>
                  <span className="th-type">{typeLabel(c.def)}</span>
                </button>
              ) : (
                <span className="th-button" title="Keyset paging sorts by String, Number and Date columns">
                  <span className="th-name">{c.name}</span>
                  <span className="th-type">{typeLabel(c.def)}</span>
                </span>
              )}
            </div>
          )
        })}
      </div>
      <div className="grid-body" style={{ height: map.height, width }}>
        {rows}
      </div>
    </div>
  )
}

function cellText(v: unknown, c: Column): ReactNode {
  if (v === undefined && c.name === 'ACL') return <span className="muted">Public (no ACL)</span>
  if (v === undefined) return <span className="muted">{c.def.type === 'Relation' ? '' : '—'}</span>
  if (v === null) return <span className="muted">null</span>
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  return formatValue(v, c.def)
}
