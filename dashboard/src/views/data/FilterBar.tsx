// Filters as chips, and a form to add one from the class's fields and Parse's operators.
import { useState } from 'react'
import { ErrorText } from '../../ui'
import type { ClassSchema } from './parseTypes'
import { columnsOf } from './parseTypes'
import { buildWhere, filterLabel, needsValue, OP_LABELS, opsFor, type Filter, type FilterOp } from './query'

export function FilterBar({ schema, filters, onChange }: { schema: ClassSchema; filters: Filter[]; onChange: (f: Filter[]) => void }) {
  const [adding, setAdding] = useState(false)
  return (
    <div className="filter-bar">
      {filters.map((f, i) => (
        <span key={i} className="chip">
          {filterLabel(f)}
          <button type="button" className="chip-x" aria-label={`Remove filter ${filterLabel(f)}`} onClick={() => onChange(filters.filter((_, j) => j !== i))}>
            ✕
          </button>
        </span>
      ))}
      {adding ? (
        <AddFilter
          schema={schema}
          onCancel={() => setAdding(false)}
          onAdd={(f) => {
            onChange([...filters, f])
            setAdding(false)
          }}
          existing={filters}
        />
      ) : (
        <button type="button" className="small" onClick={() => setAdding(true)}>
          + Filter
        </button>
      )}
      {filters.length > 1 && (
        <button type="button" className="ghost small" onClick={() => onChange([])}>
          Clear filters
        </button>
      )}
    </div>
  )
}

function AddFilter({ schema, onAdd, onCancel, existing }: { schema: ClassSchema; onAdd: (f: Filter) => void; onCancel: () => void; existing: Filter[] }) {
  const columns = columnsOf(schema).filter((c) => c.def.type !== 'Relation' && c.name !== 'ACL')
  const [field, setField] = useState(columns[0]?.name ?? 'objectId')
  const def = columns.find((c) => c.name === field)?.def
  const ops = field === 'objectId' ? (['eq', 'ne', 'in', 'lt', 'gt'] as FilterOp[]) : opsFor(def)
  const [op, setOp] = useState<FilterOp>(ops[0])
  const [value, setValue] = useState('')
  const [error, setError] = useState<unknown>(null)
  const opNow = ops.includes(op) ? op : ops[0]
  return (
    <form
      className="add-filter"
      onSubmit={(e) => {
        e.preventDefault()
        const f: Filter = needsValue(opNow) ? { field, op: opNow, value } : { field, op: opNow }
        try {
          buildWhere([...existing, f], schema)
        } catch (err) {
          setError(err)
          return
        }
        onAdd(f)
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel()
      }}
    >
      <select aria-label="Filter field" value={field} onChange={(e) => setField(e.target.value)} autoFocus>
        {columns.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name}
          </option>
        ))}
      </select>
      <select aria-label="Filter operator" value={opNow} onChange={(e) => setOp(e.target.value as FilterOp)}>
        {ops.map((o) => (
          <option key={o} value={o}>
            {OP_LABELS[o]}
          </option>
        ))}
      </select>
      {needsValue(opNow) && (
        <input
          aria-label="Filter value"
          value={value}
          placeholder={opNow === 'in' ? 'a, b, c' : def?.type === 'Date' ? '2026-01-31' : def?.type === 'Pointer' ? 'objectId' : 'value'}
          onChange={(e) => setValue(e.target.value)}
        />
      )}
      <button type="submit" className="small primary">
        Apply
      </button>
      <button type="button" className="small ghost" onClick={onCancel}>
        Cancel
      </button>
      <ErrorText error={error} />
    </form>
  )
}
