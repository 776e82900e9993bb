// The app's audit log: every admin change (and every dashboard write to its data), newest
// first, filtered by action, actor and time, a page at a time, each entry's details as JSON.
import './audit.css'
import { Fragment, useState } from 'react'
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { admin } from '../../api'
import { useApp } from '../../appContext'
import { Empty, ErrorState, Field, PageHeader, Spinner } from '../../ui'
import { KNOWN_ACTIONS, NO_FILTERS, auditQuery, errorField, type AuditEntry, type AuditFilters } from './query'

const PAGE = 50

export default function AuditView() {
  const app = useApp()
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS)
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS)
  const log = useInfiniteQuery({
    queryKey: ['audit', app.applicationId, filters],
    queryFn: ({ pageParam }) =>
      admin<{ results: AuditEntry[] }>('GET', `/apps/${encodeURIComponent(app.applicationId)}/audit${auditQuery(filters, PAGE, pageParam)}`),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => (last.results.length < PAGE ? undefined : last.results[last.results.length - 1].id),
    // The list stays while other filters load (no flash of a spinner).
    placeholderData: keepPreviousData,
  })
  const message = log.error instanceof Error ? log.error.message : ''
  const errorOf = (field: keyof AuditFilters) => (log.isError && errorField(message) === field ? log.error : undefined)
  const set = (field: keyof AuditFilters) => (e: React.ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [field]: e.target.value })
  const entries = log.data?.pages.flatMap((p) => p.results) ?? []
  const filtered = Object.values(filters).some((v) => v !== '')

  return (
    <div className="audit">
      <PageHeader title="Audit log">
        <button type="button" onClick={() => log.refetch()} disabled={log.isFetching}>
          {log.isFetching && !log.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
        </button>
      </PageHeader>
      <form
        className="card audit-filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault()
          setFilters(draft)
        }}
      >
        <Field label="Action" hint="app.update, or app. for every app action" error={errorOf('action')}>
          <input list="audit-actions" value={draft.action} onChange={set('action')} placeholder="any" />
        </Field>
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <Field label="Actor" hint="an admin's email, cli or system" error={errorOf('actor')}>
          <input value={draft.actor} onChange={set('actor')} placeholder="anyone" />
        </Field>
        <Field label="From" error={errorOf('from')}>
          <input type="datetime-local" value={draft.from} onChange={set('from')} />
        </Field>
        <Field label="To" error={errorOf('to')}>
          <input type="datetime-local" value={draft.to} onChange={set('to')} />
        </Field>
        <div className="audit-filter-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTERS)
              setFilters(NO_FILTERS)
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {log.isPending ? (
        <Spinner />
      ) : log.isError ? (
        errorField(message) === 'other' ? <ErrorState error={log.error} retry={() => log.refetch()} /> : null
      ) : entries.length === 0 ? (
        <Empty title={filtered ? 'No entry matches these filters' : 'No entries yet'}>
          {filtered ? 'Change or clear the filters.' : 'Changes to the app, its members and its code are recorded here.'}
        </Empty>
      ) : (
        <>
          <table className="list audit-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <Entry key={e.id} entry={e} />
              ))}
            </tbody>
          </table>
          <div className="audit-more">
            {log.hasNextPage ? (
              <button type="button" onClick={() => log.fetchNextPage()} disabled={log.isFetchingNextPage}>
                {log.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
              </button>
            ) : (
              <span className="muted small">{entries.length === 1 ? '1 entry' : `${entries.length} entries`}, the oldest shown</span>
            )}
          </div>
        </>
      )}
    </div>
  )
}

function Entry({ entry }: { entry: AuditEntry }) {
  const [open, setOpen] = useState(false)
  const at = new Date(entry.at)
  const summary = JSON.stringify(entry.details)
  return (
    <Fragment>
      <tr>
        <td className="audit-time" title={entry.at}>
          {at.toLocaleString()}
        </td>
        <td>{entry.actor}</td>
        <td>
          <code>{entry.action}</code>
        </td>
        <td className="audit-details">
          <button type="button" className="small" aria-expanded={open} aria-label={`Details of ${entry.action} at ${at.toLocaleString()}`} onClick={() => setOpen(!open)}>
            {open ? 'Hide' : 'Show'}
          </button>{' '}
          <span className="muted mono audit-summary">{summary.length > 80 ? `${summary.slice(0, 80)}…` : summary}</span>
        </td>
      </tr>
      {open && (
        <tr className="audit-open">
          <td colSpan={4}>
            <pre>{JSON.stringify(entry.details, null, 2)}</pre>
            {entry.requestId && <div className="muted small">Request id {entry.requestId}</div>}
          </td>
        </tr>
      )}
    </Fragment>
  )
}
