// One class in the data browser: the toolbar, the filters, the grid and its rows (loaded by
// keyset pages; see window.ts), the cell editor, and the row actions.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { useNavigate } from 'react-router'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { ErrorState, ErrorText, Modal } from '../../ui'
import { compact } from './ClassList'
import { count, createObject, deleteMany, find, updateSchema } from './dataApi'
import { CellEditor } from './editors'
import { ExportDialog, ImportDialog } from './transfer'
import { FilterBar } from './FilterBar'
import { Grid, type Cell, type Column } from './Grid'
import type { ClassSchema, ParseObject } from './parseTypes'
import { columnsOf, READ_ONLY } from './parseTypes'
import { andWhere, buildWhere, hasIndexFor, keysetCondition, orderOf, reverseOrderOf, type Filter, type Sort } from './query'
import { apply, PAGE, plan, rowAt as windowRow, totalOf, type Plan, type RowWindow } from './window'

interface Props {
  appId: string
  schema: ClassSchema
  filters: Filter[]
  sort: Sort
  readOnly: boolean
  setFilters: (f: Filter[]) => void
  setSort: (s: Sort) => void
}

function planKey(p: Plan): string {
  switch (p.kind) {
    case 'forward':
      return `f:${p.after.objectId}`
    case 'backward':
      return `b:${p.before.objectId}`
    case 'jump':
      return `j:${p.skip}`
    default:
      return p.kind
  }
}

/** The rows of a query, loaded as the grid shows them. */
function useRows(appId: string, className: string, where: Record<string, unknown> | null, sort: Sort) {
  const [win, setWin] = useState<RowWindow | null>(null)
  const [range, setRange] = useState<[number, number]>([0, 40])
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(false)
  const inflight = useRef<{ key: string; kind: Plan['kind']; ctrl: AbortController; timer?: ReturnType<typeof setTimeout> } | null>(null)
  const order = orderOf(sort)

  useEffect(() => {
    if (!where || error) return
    const p = plan(win, range[0], range[1])
    if (p.kind === 'none') return
    const key = planKey(p)
    const cur = inflight.current
    if (cur) {
      if (cur.key === key) return
      // A keyset page in flight finishes (the next one starts from it); a jump is replaced.
      if (cur.kind !== 'jump' && p.kind !== 'jump') return
      cur.ctrl.abort()
      if (cur.timer) clearTimeout(cur.timer)
    }
    const ctrl = new AbortController()
    const entry: { key: string; kind: Plan['kind']; ctrl: AbortController; timer?: ReturnType<typeof setTimeout> } = { key, kind: p.kind, ctrl }
    inflight.current = entry
    const run = async () => {
      entry.timer = undefined
      setLoading(true)
      try {
        let rows: ParseObject[]
        if (p.kind === 'forward') rows = await find(appId, className, { where: andWhere(where, keysetCondition(sort, p.after, true)), order, limit: PAGE, signal: ctrl.signal })
        else if (p.kind === 'backward')
          rows = await find(appId, className, { where: andWhere(where, keysetCondition(sort, p.before, false)), order: reverseOrderOf(sort), limit: PAGE, signal: ctrl.signal })
        else if (p.kind === 'jump') rows = await find(appId, className, { where, order, skip: p.skip, limit: PAGE, signal: ctrl.signal })
        else rows = await find(appId, className, { where, order, limit: PAGE, signal: ctrl.signal })
        if (ctrl.signal.aborted) return
        setWin((w) => {
          // A page read from a window that was replaced since (a jump) is dropped.
          if (p.kind === 'forward' && w?.rows[w.rows.length - 1]?.objectId !== p.after.objectId) return w
          if (p.kind === 'backward' && w?.rows[0]?.objectId !== p.before.objectId) return w
          return apply(w, p, rows)
        })
      } catch (e) {
        if (!ctrl.signal.aborted) setError(e)
      } finally {
        if (inflight.current === entry) {
          inflight.current = null
          setLoading(false)
        }
      }
    }
    // A jump waits for the scrollbar to rest (a drag passes many positions).
    if (p.kind === 'jump') entry.timer = setTimeout(run, 150)
    else void run()
  }, [win, range, where, sort, order, appId, className, error])

  useEffect(
    () => () => {
      inflight.current?.ctrl.abort()
      if (inflight.current?.timer) clearTimeout(inflight.current.timer)
    },
    [],
  )

  const onRange = useCallback((from: number, to: number) => setRange((r) => (r[0] === from && r[1] === to ? r : [from, to])), [])
  const reset = useCallback(() => {
    inflight.current?.ctrl.abort()
    inflight.current = null
    setError(null)
    setWin(null)
  }, [])
  return { win, setWin, onRange, error, loading, reset, retry: () => setError(null) }
}

export function Browser({ appId, schema, filters, sort, readOnly, setFilters, setSort }: Props) {
  const className = schema.className
  const navigate = useNavigate()
  const qc = useQueryClient()
  const columns: Column[] = useMemo(() => columnsOf(schema), [schema])
  const whereResult = useMemo(() => {
    try {
      return { where: buildWhere(filters, schema), error: null }
    } catch (e) {
      return { where: null, error: e }
    }
  }, [filters, schema])
  const where = whereResult.where
  const whereKey = JSON.stringify(where)
  const rows = useRows(appId, className, where, sort)
  // The count reads every matching row: it starts once the first page is shown (the sidebar's
  // counts are estimates above 100,000 rows; the grid's scroll positions need the exact one).
  const unfiltered = !!where && Object.keys(where).length === 0
  const counted = useQuery({
    queryKey: unfiltered ? ['count', appId, className] : ['rows-count', appId, className, whereKey],
    queryFn: ({ signal }) => count(appId, className, where ?? undefined, signal),
    enabled: !!where && rows.win !== null,
    staleTime: unfiltered ? 60_000 : 30_000,
  })
  const total = totalOf(rows.win, counted.data)
  const [active, setActive] = useState<Cell | null>(null)
  const [editing, setEditing] = useState<Cell | null>(null)
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [actionError, setActionError] = useState<unknown>(null)
  const [dialog, setDialog] = useState<'delete' | 'export' | 'import' | null>(null)
  const [goto, setGoto] = useState<{ row: number; seq: number } | null>(null)
  const base = `/apps/${encodeURIComponent(appId)}/data`

  const rowAt = useCallback((i: number) => windowRow(rows.win, i), [rows.win])
  const refresh = () => {
    rows.reset()
    setSelected(new Set())
    void qc.invalidateQueries({ queryKey: ['rows-count', appId, className] })
    void qc.invalidateQueries({ queryKey: ['count', appId, className] })
    void qc.invalidateQueries({ queryKey: ['class-counts', appId] })
  }

  const replaceRow = (next: ParseObject) =>
    rows.setWin((w) => (w ? { ...w, rows: w.rows.map((r) => (r.objectId === next.objectId ? next : r)) } : w))

  const startEdit = (c: Cell) => {
    if (readOnly) return
    const col = columns[c.col]
    if (!col || READ_ONLY.has(col.name) || !rowAt(c.row)) return
    setActive(c)
    setEditing(c)
  }

  const activeRow = active ? rowAt(active.row) : undefined

  const addRow = async () => {
    setActionError(null)
    try {
      await createObject(appId, className, {})
      if (sort.field !== 'createdAt' || !sort.desc) setSort({ field: 'createdAt', desc: true })
      refresh()
      setActive({ row: 0, col: 1 })
    } catch (e) {
      setActionError(e)
    }
  }
  const cloneRow = async (row: ParseObject) => {
    setActionError(null)
    const body: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(row)) {
      if (READ_ONLY.has(k)) continue
      if (schema.fields[k]?.type === 'Relation') continue
      body[k] = v
    }
    try {
      await createObject(appId, className, body)
      refresh()
    } catch (e) {
      setActionError(e)
    }
  }

  const follow = (row: ParseObject, col: Column) => {
    const v = row[col.name] as { objectId?: string; className?: string } | undefined
    if (col.def.type === 'Pointer' && v?.objectId) {
      const f: Filter[] = [{ field: 'objectId', op: 'eq', value: v.objectId }]
      navigate(`${base}/${encodeURIComponent(v.className ?? col.def.targetClass ?? '')}?filters=${encodeURIComponent(JSON.stringify(f))}`)
    } else if (col.def.type === 'Relation') {
      const f: Filter[] = [{ field: col.name, op: 'relatedTo', owner: { className, objectId: row.objectId } }]
      navigate(`${base}/${encodeURIComponent(col.def.targetClass ?? '')}?filters=${encodeURIComponent(JSON.stringify(f))}`)
    }
  }

  const renderExtra = (row: ParseObject, col: Column) => {
    if (col.def.type === 'Pointer' && row[col.name])
      return (
        <button type="button" tabIndex={-1} className="cell-link" aria-label={`Follow ${col.name} of ${row.objectId}`} title="Open the object it points to" onClick={() => follow(row, col)}>
          →
        </button>
      )
    if (col.def.type === 'Relation')
      return (
        <button type="button" tabIndex={-1} className="cell-link" aria-label={`View ${col.name} of ${row.objectId}`} title="Open the related objects" onClick={() => follow(row, col)}>
          View →
        </button>
      )
    if (col.def.type === 'File' && row[col.name]) {
      const f = row[col.name] as { url?: string }
      return f.url ? (
        <a className="cell-link" tabIndex={-1} href={f.url} target="_blank" rel="noreferrer" title="Open the file">
          ↗
        </a>
      ) : null
    }
    return null
  }

  const loaded = rows.win?.rows ?? []
  const allSelected = loaded.length > 0 && loaded.every((r) => selected.has(r.objectId))
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s)
      if (n.has(id)) n.delete(id)
      else n.add(id)
      return n
    })

  // The editor sits under its cell (or above when near the bottom).
  const [editorPos, setEditorPos] = useState<{ left: number; top: number } | null>(null)
  useLayoutEffect(() => {
    if (!editing) return setEditorPos(null)
    const el = document.querySelector(`[data-cell="${editing.row}:${editing.col}"]`)
    const r = el?.getBoundingClientRect()
    if (!r) return setEditorPos({ left: 240, top: 160 })
    const left = Math.max(8, Math.min(r.left, window.innerWidth - 440))
    const top = r.bottom + 360 > window.innerHeight ? Math.max(8, r.top - 360) : r.bottom + 2
    setEditorPos({ left, top })
  }, [editing])

  const editingRow = editing ? rowAt(editing.row) : undefined
  const editingCol = editing ? columns[editing.col] : undefined
  const first = rows.win?.start ?? 0

  return (
    <section className="browser">
      <header className="browser-head">
        <h1>{className}</h1>
        <span className="muted small" aria-live="polite">
          {counted.data !== undefined ? `${counted.data.toLocaleString('en-US')} rows` : counted.isError ? 'count failed' : 'counting…'}
          {rows.loading && ' · loading'}
        </span>
        <span className="spacer" />
        {!readOnly && (
          <>
            <button type="button" className="primary" onClick={addRow}>
              Add row
            </button>
            <button type="button" disabled={!activeRow} onClick={() => activeRow && cloneRow(activeRow)} title="Create a copy of the active row">
              Clone row
            </button>
            <button type="button" className="danger" disabled={selected.size === 0 && !activeRow} onClick={() => setDialog('delete')}>
              Delete {selected.size > 0 ? `${selected.size} selected` : 'row'}
            </button>
            <button type="button" onClick={() => setDialog('import')}>
              Import
            </button>
          </>
        )}
        <button type="button" onClick={() => setDialog('export')}>
          Export
        </button>
        <button type="button" onClick={refresh} title="Reload from the server">
          Refresh
        </button>
      </header>
      <div className="browser-tools">
        <FilterBar schema={schema} filters={filters} onChange={setFilters} />
        <span className="spacer" />
        <GoToRow
          total={total}
          onGo={(row) => {
            setGoto({ row, seq: (goto?.seq ?? 0) + 1 })
            setActive({ row, col: active?.col ?? 0 })
          }}
        />
      </div>
      {!readOnly && counted.data !== undefined && counted.data >= BIG_CLASS && !hasIndexFor(schema, sort.field) && (
        <IndexHint appId={appId} schema={schema} sort={sort} />
      )}
      {whereResult.error != null && <ErrorText error={whereResult.error} />}
      {actionError != null && <ErrorText error={actionError} />}
      {rows.error != null ? (
        <ErrorState error={rows.error} retry={rows.retry} />
      ) : rows.win && rows.win.atStart && rows.win.atEnd && rows.win.rows.length === 0 ? (
        <div className="grid-empty">
          <strong>{filters.length ? 'No row matches these filters' : 'This class has no rows yet'}</strong>
          {!readOnly && !filters.length && <span className="muted">Add a row, or import a CSV or JSON file.</span>}
        </div>
      ) : (
        <Grid
          columns={columns}
          total={total}
          rowAt={rowAt}
          onRange={rows.onRange}
          sort={sort}
          onSort={(s) => {
            setSelected(new Set())
            setSort(s)
          }}
          active={active}
          setActive={setActive}
          selected={selected}
          toggle={toggle}
          allSelected={allSelected}
          toggleAll={() => setSelected(allSelected ? new Set() : new Set(loaded.map((r) => r.objectId)))}
          onEdit={startEdit}
          onFollow={(c) => {
            const r = rowAt(c.row)
            const col = columns[c.col]
            if (r && col) follow(r, col)
          }}
          renderExtra={renderExtra}
          scrollTo={goto}
        />
      )}
      <footer className="browser-foot muted small">
        {rows.win && rows.win.rows.length > 0
          ? `Loaded rows ${(first + 1).toLocaleString('en-US')}–${(first + rows.win.rows.length).toLocaleString('en-US')} of ${compact(total)}`
          : ''}
        {readOnly && ' · read-only (viewer)'}
        {readOnly ? ' · Alt+Enter follows a pointer or relation' : ' · Enter edits the active cell, Alt+Enter follows a pointer, Space selects the row'}
      </footer>
      {editing && editingRow && editingCol && editorPos && (
        <div className="cell-popover" style={{ left: editorPos.left, top: editorPos.top }} role="dialog" aria-label={`Edit ${editingCol.name}`}>
          <CellEditor
            appId={appId}
            className={className}
            field={editingCol.name}
            def={editingCol.def}
            row={editingRow}
            onSaved={(r) => {
              replaceRow(r)
              setEditing(null)
              document.querySelector<HTMLElement>('.grid-scroll')?.focus()
            }}
            onClose={() => {
              setEditing(null)
              document.querySelector<HTMLElement>('.grid-scroll')?.focus()
            }}
          />
        </div>
      )}
      {dialog === 'delete' && (
        <DeleteRows
          appId={appId}
          className={className}
          ids={selected.size > 0 ? [...selected] : activeRow ? [activeRow.objectId] : []}
          onClose={() => setDialog(null)}
          onDone={refresh}
        />
      )}
      {dialog === 'export' && <ExportDialog appId={appId} schema={schema} where={where ?? {}} sort={sort} total={counted.data} onClose={() => setDialog(null)} />}
      {dialog === 'import' && <ImportDialog appId={appId} schema={schema} onClose={() => setDialog(null)} onDone={refresh} />}
    </section>
  )
}

/** From this many rows on, a sort without an index is worth a hint. */
const BIG_CLASS = 50_000

/** Pages of a big class sorted by a field without a matching index each sort the whole class:
 * one click adds the index that serves the sort and its keyset conditions. */
function IndexHint({ appId, schema, sort }: { appId: string; schema: ClassSchema; sort: Sort }) {
  const qc = useQueryClient()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const dir = sort.desc ? -1 : 1
  const name = `${sort.field}_${sort.desc ? 'desc' : 'asc'}_objectId`
  return (
    <div className="index-hint" role="note">
      <span>
        Sorting this big class by <code>{sort.field}</code> reads all of it for each page: an index on ({sort.field}, objectId) makes pages instant.
      </span>
      <button
        type="button"
        className="small"
        disabled={busy}
        onClick={async () => {
          setBusy(true)
          setError(null)
          try {
            await updateSchema(appId, schema.className, { indexes: { [name]: { [sort.field]: dir, objectId: dir } } })
            await qc.invalidateQueries({ queryKey: ['schemas', appId] })
          } catch (e) {
            setError(e)
          } finally {
            setBusy(false)
          }
        }}
      >
        {busy ? 'Adding index…' : 'Add index'}
      </button>
      <ErrorText error={error} />
    </div>
  )
}

function GoToRow({ total, onGo }: { total: number; onGo: (row: number) => void }) {
  const [v, setV] = useState('')
  return (
    <form
      className="row goto"
      onSubmit={(e) => {
        e.preventDefault()
        const n = Math.round(Number(v.replace(/[,_ ]/g, '')))
        if (Number.isFinite(n) && n >= 1) onGo(Math.min(Math.max(0, total - 1), n - 1))
      }}
    >
      <input aria-label="Go to row" placeholder="Go to row #" value={v} onChange={(e) => setV(e.target.value)} size={10} />
    </form>
  )
}

function DeleteRows({ appId, className, ids, onClose, onDone }: { appId: string; className: string; ids: string[]; onClose: () => void; onDone: () => void }) {
  const [progress, setProgress] = useState<[number, number] | null>(null)
  const [failed, setFailed] = useState<{ id: string; error: string }[]>([])
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState(false)
  return (
    <Modal title={`Delete ${ids.length === 1 ? 'a row' : `${ids.length} rows`} of ${className}`} onClose={onClose}>
      <p>
        {ids.length === 1 ? (
          <>
            Delete <code>{ids[0]}</code>? This cannot be undone.
          </>
        ) : (
          <>Delete {ids.length} rows? They are deleted 50 at a time; this cannot be undone.</>
        )}
      </p>
      {progress && (
        <div className="progress">
          <progress max={progress[1]} value={progress[0]} aria-label="Deleting" /> {progress[0]} / {progress[1]}
        </div>
      )}
      {failed.length > 0 && (
        <ul className="error-list">
          {failed.slice(0, 20).map((f) => (
            <li key={f.id} className="error-text">
              {f.id}: {f.error}
            </li>
          ))}
        </ul>
      )}
      <ErrorText error={error} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          {done ? 'Close' : 'Cancel'}
        </button>
        {!done && (
          <button
            type="button"
            className="danger"
            disabled={progress !== null}
            onClick={async () => {
              setProgress([0, ids.length])
              try {
                const f = await deleteMany(appId, className, ids, (d, t) => setProgress([d, t]))
                setFailed(f)
                setDone(true)
                onDone()
                if (f.length === 0) onClose()
              } catch (e) {
                setError(e)
                setProgress(null)
                onDone()
              }
            }}
          >
            Delete
          </button>
        )}
      </div>
    </Modal>
  )
}


