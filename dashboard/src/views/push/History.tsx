// History: the app's pushes (`_PushStatus`), newest first: where each stands, when it goes or
// went, whom it was for, what it said, and its counts (sent and failed per device type, failures
// per reason, expired, retried). The list refreshes itself while a push is pending or running. A
// scheduled push can be cancelled (its status is deleted, as Parse Dashboard does).
import { useState } from 'react'
import { Link } from 'react-router'
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { ConfirmAction } from '../../ui/ConfirmAction'
import { Empty, ErrorState, ErrorText, Spinner } from '../../ui'
import { formatDate } from '../data/parseTypes'
import { deleteStatus, listStatuses, pushPath } from './data'
import { errorOf, inFlight, messageSummary, perKey, statusTone, targetSummary, type PushStatus } from './logic'

const PAGE = 50
const REFRESH_MS = 2000

export function History() {
  const app = useApp()
  const qc = useQueryClient()
  const canWrite = atLeast(app.role, 'developer')
  const [cancel, setCancel] = useState<PushStatus | null>(null)
  const list = useInfiniteQuery({
    queryKey: ['push-statuses', app.applicationId],
    queryFn: ({ pageParam }) => listStatuses(app.applicationId, PAGE, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.length < PAGE ? undefined : last[last.length - 1].createdAt),
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.some(inFlight)) ? REFRESH_MS : false),
  })
  if (list.isPending) return <Spinner />
  if (list.isError) return <ErrorState error={list.error} retry={() => list.refetch()} />
  const rows = list.data.pages.flat()
  const moving = rows.some(inFlight)
  if (rows.length === 0)
    return (
      <Empty title="No push sent yet">
        Pushes sent from <Link to={`${pushPath(app.applicationId)}/compose`}>Compose</Link>, by REST with the master key (<code>POST /parse/push</code>)
        or from cloud code show here with their counts.
      </Empty>
    )
  return (
    <div className="push-history">
      <div className="row push-history-head">
        <span className="muted small" aria-live="polite">
          {rows.length.toLocaleString('en-US')} push{rows.length === 1 ? '' : 'es'}
          {moving ? ' · updating every 2 s while a push is under way' : ''}
        </span>
        <span className="spacer" />
        <button type="button" className="small" onClick={() => list.refetch()} disabled={list.isFetching}>
          Refresh
        </button>
      </div>
      <table className="list push-table" aria-label="Pushes">
        <thead>
          <tr>
            <th>Status</th>
            <th>Time</th>
            <th>Audience</th>
            <th>Message</th>
            <th className="num">Sent</th>
            <th className="num">Failed</th>
            <th>Details</th>
            {canWrite && <th aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <Row key={s.objectId} s={s} actions={canWrite} onCancel={() => setCancel(s)} />
          ))}
        </tbody>
      </table>
      {list.hasNextPage && (
        <div className="row push-more">
          <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? 'Loading…' : 'Older pushes'}
          </button>
        </div>
      )}
      {cancel && (
        <ConfirmAction
          title="Cancel this scheduled push?"
          action="Cancel the push"
          onClose={() => setCancel(null)}
          onConfirm={async () => {
            await deleteStatus(app.applicationId, cancel.objectId)
            await qc.invalidateQueries({ queryKey: ['push-statuses', app.applicationId] })
          }}
        >
          <p>
            “{messageSummary(cancel)}” for {targetSummary(cancel)} is not sent, and leaves the history.
          </p>
        </ConfirmAction>
      )}
    </div>
  )
}

/** An instant to the second, in UTC (`2026-12-07 09:10:00 UTC`); the stored text when it is not a date. */
function shownTime(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : `${formatDate(d.toISOString()).slice(0, 19)} UTC`
}

function Row({ s, actions, onCancel }: { s: PushStatus; actions: boolean; onCancel: () => void }) {
  const error = errorOf(s)
  const sentPer = perKey(s.sentPerType)
  const failedPer = perKey(s.failedPerType)
  const reasons = perKey(s.failedPerReason)
  const time = s.pushTime ?? s.createdAt
  const audience = targetSummary(s)
  // A local push time has no zone: each device's own clock.
  const localTime = !!s.pushTime && !/(Z|[+-]\d{2}:?\d{2})$/.test(s.pushTime)
  return (
    <tr data-status={s.status}>
      <td>
        <span className={`badge push-status push-status-${statusTone(s.status)}`}>{s.status ?? 'unknown'}</span>
      </td>
      <td className="nowrap" title={`created ${s.createdAt}`}>
        <span className="mono small">{localTime ? time.replace('T', ' ').slice(0, 19) : shownTime(time)}</span>
        {localTime && <div className="muted small">each device's local time</div>}
      </td>
      <td className="push-audience">{audience.startsWith('{') ? <code>{audience}</code> : audience}</td>
      <td className="push-message">
        {messageSummary(s)}
        {error && <ErrorText error={error} />}
      </td>
      <td className="num" aria-label="Sent">
        {(s.numSent ?? 0).toLocaleString('en-US')}
        {typeof s.numTargeted === 'number' && s.status !== 'scheduled' && s.status !== 'pending' && <div className="muted small">of {s.numTargeted.toLocaleString('en-US')}</div>}
      </td>
      <td className={(s.numFailed ?? 0) > 0 ? 'num push-failed' : 'num'} aria-label="Failed">
        {(s.numFailed ?? 0).toLocaleString('en-US')}
      </td>
      <td className="push-details small">
        {sentPer && <div>sent: {sentPer}</div>}
        {failedPer && <div>failed: {failedPer}</div>}
        {reasons && <div>reasons: {reasons}</div>}
        {(s.numExpired ?? 0) > 0 && <div>expired: {s.numExpired!.toLocaleString('en-US')}</div>}
        {(s.numRetried ?? 0) > 0 && <div>retried: {s.numRetried!.toLocaleString('en-US')}</div>}
        {!sentPer && !failedPer && !reasons && !(s.numExpired ?? 0) && !(s.numRetried ?? 0) && <span className="muted">—</span>}
      </td>
      {actions && (
        <td className="push-row-actions">
          {s.status === 'scheduled' && (
            <button type="button" className="small danger" onClick={onCancel} aria-label={`Cancel push ${s.objectId}`}>
              Cancel
            </button>
          )}
        </td>
      )}
    </tr>
  )
}
