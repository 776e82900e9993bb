// The classes of the app in a sidebar, with their counts, a filter and "create class"; shared by
// the data browser and the schema view.
import { useState } from 'react'
import { NavLink, useNavigate } from 'react-router'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Empty, ErrorState, Field, Modal, Spinner } from '../../ui'
import { admin } from '../../api'
import { createSchema } from './dataApi'
import type { ClassSchema } from './parseTypes'

interface ClassCounts {
  results: Record<string, { count: number; estimated: boolean }>
}

/** Every class's row count in one call: exact up to 10,000 rows, PostgreSQL's estimate above
 * (no scan of a big class; see docs/dashboard.md). */
export function useClassCount(appId: string, className: string) {
  return useQuery({
    queryKey: ['class-counts', appId],
    queryFn: ({ signal }) => admin<ClassCounts>('GET', `/apps/${encodeURIComponent(appId)}/classes/counts`, undefined, { signal }),
    select: (d) => d.results[className],
    staleTime: 60_000,
  })
}

function ClassCount({ appId, className }: { appId: string; className: string }) {
  const c = useClassCount(appId, className)
  if (c.isPending) return <span className="class-count muted">…</span>
  if (c.isError) return <span className="class-count muted" title={String(c.error)}>?</span>
  if (!c.data) return <span className="class-count muted">0</span>
  return (
    <span className="class-count" title={c.data.estimated ? 'estimated by PostgreSQL' : undefined}>
      {c.data.estimated ? '≈' : ''}
      {compact(c.data.count)}
    </span>
  )
}

/** 1234 → 1.2k, 1234567 → 1.2M. */
export function compact(n: number): string {
  if (n < 1000) return String(n)
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)}M`
}

export function ClassList({
  appId,
  base,
  schemas,
  canCreate,
}: {
  appId: string
  /** `data` or `schema`: where a class's link goes. */
  base: string
  schemas: { isPending: boolean; isError: boolean; error: unknown; data?: ClassSchema[]; refetch: () => void }
  canCreate: boolean
}) {
  const [filter, setFilter] = useState('')
  const [creating, setCreating] = useState(false)
  const list = (schemas.data ?? []).filter((s) => s.className.toLowerCase().includes(filter.toLowerCase()))
  return (
    <aside className="class-list" aria-label="Classes">
      <div className="class-list-head">
        <input type="search" placeholder="Filter classes" aria-label="Filter classes" value={filter} onChange={(e) => setFilter(e.target.value)} />
        {canCreate && (
          <button type="button" className="small" onClick={() => setCreating(true)} title="Create a class">
            + Class
          </button>
        )}
      </div>
      {schemas.isPending && <Spinner />}
      {schemas.isError && <ErrorState error={schemas.error} retry={schemas.refetch} />}
      {schemas.data && list.length === 0 && <Empty title={filter ? 'No class matches' : 'No classes yet'} />}
      <nav>
        {list.map((s) => (
          <NavLink key={s.className} to={`/apps/${encodeURIComponent(appId)}/${base}/${encodeURIComponent(s.className)}`} className="class-link">
            <span className="class-name">{s.className}</span>
            <ClassCount appId={appId} className={s.className} />
          </NavLink>
        ))}
      </nav>
      {creating && <CreateClass appId={appId} base={base} onClose={() => setCreating(false)} />}
    </aside>
  )
}

function CreateClass({ appId, base, onClose }: { appId: string; base: string; onClose: () => void }) {
  const [name, setName] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const qc = useQueryClient()
  const navigate = useNavigate()
  return (
    <Modal title="Create a class" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          setError(null)
          try {
            await createSchema(appId, name.trim())
            await qc.invalidateQueries({ queryKey: ['schemas', appId] })
            onClose()
            navigate(`/apps/${encodeURIComponent(appId)}/${base}/${encodeURIComponent(name.trim())}`)
          } catch (err) {
            setError(err)
          } finally {
            setBusy(false)
          }
        }}
      >
        <Field label="Class name" hint="Letters, digits and _, starting with a letter. Names starting with _ are Parse's own classes." error={error}>
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!name.trim() || busy}>
            Create class
          </button>
        </div>
      </form>
    </Modal>
  )
}


