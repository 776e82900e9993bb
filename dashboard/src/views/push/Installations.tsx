// Installations: the app's `_Installation` objects in the data browser's grid (count, keyset
// paging, cell editing for developers), with quick filters for what a push is aimed at: a
// channel, a device type, a user. The quick filters are the grid's own filter chips, kept in the
// address like the data browser's.
import { useState } from 'react'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { ErrorState, Spinner } from '../../ui'
import { useGridAddress, useSchemas } from '../data'
import { Browser } from '../data/Browser'
import type { ClassSchema } from '../data/parseTypes'
import type { Filter } from '../data/query'
import '../data/data.css'

/** Device types the quick filter offers (any other can be typed). */
export const DEVICE_TYPES = ['ios', 'android', 'web', 'osx', 'tvos', 'expo', 'win']

/** Parse's `_Installation` columns: the grid's schema before the server lists the class (an app
 * with no installation yet). */
export const INSTALLATION_SCHEMA: ClassSchema = {
  className: '_Installation',
  fields: Object.fromEntries(
    [
      ['installationId', 'String'],
      ['deviceToken', 'String'],
      ['channels', 'Array'],
      ['deviceType', 'String'],
      ['pushType', 'String'],
      ['GCMSenderId', 'String'],
      ['timeZone', 'String'],
      ['localeIdentifier', 'String'],
      ['badge', 'Number'],
      ['appVersion', 'String'],
      ['appName', 'String'],
      ['appIdentifier', 'String'],
      ['parseVersion', 'String'],
    ].map(([name, type]) => [name, { type: type as 'String' }]),
  ),
}

const QUICK = ['channels', 'deviceType', 'user'] as const
type Quick = (typeof QUICK)[number]

/** The filters with the quick filter on `field` replaced by `value` (removed when blank). */
export function withQuick(filters: Filter[], field: Quick, value: string): Filter[] {
  const rest = filters.filter((f) => !(f.field === field && f.op === 'eq'))
  return value.trim() === '' ? rest : [...rest, { field, op: 'eq', value: value.trim() }]
}

export function Installations() {
  const app = useApp()
  const schemas = useSchemas(app.applicationId)
  const schema = schemas.data?.find((s) => s.className === '_Installation') ?? INSTALLATION_SCHEMA
  const { filters, sort, setFilters, setSort } = useGridAddress()
  if (schemas.isPending) return <Spinner />
  if (schemas.isError) return <ErrorState error={schemas.error} retry={() => schemas.refetch()} />
  const current = (field: Quick) => filters.find((f) => f.field === field && f.op === 'eq')?.value ?? ''
  return (
    <div className="push-installations">
      <p className="muted small push-intro">
        Each device an app registers (the Parse SDKs' current installation, or <code>POST /parse/installations</code>) is a row here; a push
        reaches those with a <code>deviceToken</code>.
      </p>
      <QuickFilters
        key={JSON.stringify(filters)}
        channel={current('channels')}
        deviceType={current('deviceType')}
        user={current('user')}
        hasUser={!!schema.fields.user}
        apply={(q) => {
          let f = filters
          for (const k of QUICK) f = withQuick(f, k, q[k])
          setFilters(f)
        }}
      />
      <div className="push-grid">
        <Browser
          key={`${JSON.stringify(filters)}|${sort.field}|${sort.desc}`}
          appId={app.applicationId}
          schema={schema}
          filters={filters}
          sort={sort}
          readOnly={!atLeast(app.role, 'developer')}
          setFilters={setFilters}
          setSort={setSort}
        />
      </div>
    </div>
  )
}

function QuickFilters({
  channel,
  deviceType,
  user,
  hasUser,
  apply,
}: {
  channel: string
  deviceType: string
  user: string
  hasUser: boolean
  apply: (q: Record<Quick, string>) => void
}) {
  const [q, setQ] = useState<Record<Quick, string>>({ channels: channel, deviceType, user })
  const set = (k: Quick) => (e: { target: { value: string } }) => setQ((p) => ({ ...p, [k]: e.target.value }))
  const dirty = q.channels !== channel || q.deviceType !== deviceType || q.user !== user
  return (
    <form
      className="push-quick row"
      aria-label="Quick filters"
      onSubmit={(e) => {
        e.preventDefault()
        apply(q)
      }}
    >
      <label className="push-quick-field">
        <span className="field-label">Channel</span>
        <input aria-label="Channel" value={q.channels} onChange={set('channels')} placeholder="any" />
      </label>
      <label className="push-quick-field">
        <span className="field-label">Device type</span>
        <input aria-label="Device type" value={q.deviceType} onChange={set('deviceType')} placeholder="any" list="push-device-types" />
        <datalist id="push-device-types">
          {DEVICE_TYPES.map((d) => (
            <option key={d} value={d} />
          ))}
        </datalist>
      </label>
      <label className="push-quick-field">
        <span className="field-label">User</span>
        <input
          aria-label="User"
          value={q.user}
          onChange={set('user')}
          placeholder={hasUser ? 'objectId' : 'no user field yet'}
          disabled={!hasUser && q.user === ''}
          title={hasUser ? "The user's objectId" : 'Installations get a user field when one is saved with it'}
        />
      </label>
      <button type="submit" className="primary" disabled={!dirty}>
        Filter
      </button>
      {(channel || deviceType || user) && (
        <button type="button" className="ghost" onClick={() => apply({ channels: '', deviceType: '', user: '' })}>
          Show all
        </button>
      )}
    </form>
  )
}
