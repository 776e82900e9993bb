// The data browser: the app's classes in a sidebar, the open class in a grid (see Browser.tsx).
// The open class, its filters and its sort are in the address, so a followed pointer or
// relation is a link like any other.
import { useQuery } from '@tanstack/react-query'
import { useParams, useSearchParams } from 'react-router'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty } from '../../ui'
import { Browser } from './Browser'
import { ClassList } from './ClassList'
import { listSchemas } from './dataApi'
import { DEFAULT_SORT, type Filter, type Sort } from './query'
import './data.css'

export function useSchemas(appId: string) {
  return useQuery({ queryKey: ['schemas', appId], queryFn: () => listSchemas(appId) })
}

/** Filters from the address (`?filters=[...]`); a malformed one is ignored. */
export function readFilters(raw: string | null): Filter[] {
  if (!raw) return []
  try {
    const v = JSON.parse(raw)
    return Array.isArray(v) ? v.filter((f) => f && typeof f.field === 'string' && typeof f.op === 'string') : []
  } catch {
    return []
  }
}

function readSort(raw: string | null): Sort {
  if (!raw) return DEFAULT_SORT
  return raw.startsWith('-') ? { field: raw.slice(1), desc: true } : { field: raw, desc: false }
}

/** The grid's filters and sort, kept in the address (`?filters=[...]&sort=-field`) so that a
 * view is a link. */
export function useGridAddress() {
  const [params, setParams] = useSearchParams()
  const setFilters = (f: Filter[]) =>
    setParams((p) => {
      const n = new URLSearchParams(p)
      if (f.length) n.set('filters', JSON.stringify(f))
      else n.delete('filters')
      return n
    })
  const setSort = (s: Sort) =>
    setParams((p) => {
      const n = new URLSearchParams(p)
      n.set('sort', `${s.desc ? '-' : ''}${s.field}`)
      return n
    })
  return { filters: readFilters(params.get('filters')), sort: readSort(params.get('sort')), setFilters, setSort }
}

export default function DataView() {
  const app = useApp()
  const { className } = useParams()
  const schemas = useSchemas(app.applicationId)
  const canWrite = atLeast(app.role, 'developer')
  const schema = schemas.data?.find((s) => s.className === className)
  const { filters, sort, setFilters, setSort } = useGridAddress()
  const sortKnown = sort.field === 'objectId' || sort.field === 'createdAt' || sort.field === 'updatedAt' || !!schema?.fields[sort.field]
  const effectiveSort = sortKnown ? sort : DEFAULT_SORT
  return (
    <div className="data-view">
      <ClassList appId={app.applicationId} base="data" schemas={schemas} canCreate={canWrite} />
      <div className="data-main">
        {!className ? (
          <Empty title="Pick a class">Its rows open here: sort by a column, filter, edit a cell with Enter.</Empty>
        ) : schemas.data && !schema ? (
          <Empty title={`No class ${className}`}>It may have been deleted.</Empty>
        ) : schema ? (
          <Browser
            key={`${className}|${JSON.stringify(filters)}|${effectiveSort.field}|${effectiveSort.desc}`}
            appId={app.applicationId}
            schema={schema}
            filters={filters}
            sort={effectiveSort}
            readOnly={!canWrite}
            setFilters={setFilters}
            setSort={setSort}
          />
        ) : null}
      </div>
    </div>
  )
}
