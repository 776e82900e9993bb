// The function log: filters by level, source (a function, job or trigger) and time, newest first,
// older pages on demand, refreshed every few seconds while auto refresh is on.
import { useState } from 'react'
import { useInfiniteQuery } from '@tanstack/react-query'
import { admin, qs } from '../../api'
import { useApp } from '../../appContext'
import { Empty, ErrorState, ErrorText, Spinner } from '../../ui'
import { CUSTOM, formatMicros, LEVEL_CHOICES, logParams, sourcesOf, TIME_CHOICES, type LogLine } from './logic'
import { useDeployments } from './data'

export function Logs() {
  const app = useApp()
  const deployments = useDeployments()
  const [level, setLevel] = useState('')
  const [source, setSource] = useState('')
  const [minutes, setMinutes] = useState(0)
  const [from, setFrom] = useState('')
  const [until, setUntil] = useState('')
  const range = minutes === CUSTOM ? { from, until } : {}
  const [auto, setAuto] = useState(true)
  const sources = sourcesOf(deployments.data?.find((d) => d.active)?.manifest)
  const logs = useInfiniteQuery({
    queryKey: ['fn-logs', app.applicationId, level, source, minutes, range],
    queryFn: ({ pageParam }) =>
      admin<LogLine[]>(
        'GET',
        `/apps/${encodeURIComponent(app.applicationId)}/functions/logs${qs(logParams({ level, source, minutes, ...range, before: pageParam, limit: 100 }, new Date()))}`,
      ),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => (last.length === 100 ? last[last.length - 1].id : undefined),
    refetchInterval: auto ? 3000 : false,
  })
  const lines = logs.data?.pages.flat() ?? []
  return (
    <div className="fn-logs">
      <div className="row fn-filters">
        <label className="fn-filter">
          <span className="small muted">Level</span>
          <select aria-label="Level" value={level} onChange={(e) => setLevel(e.target.value)}>
            {LEVEL_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="fn-filter">
          <span className="small muted">Source</span>
          <input list="fn-log-sources" aria-label="Source" placeholder="function:hello" value={source} onChange={(e) => setSource(e.target.value.trim())} />
          <datalist id="fn-log-sources">
            {sources.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        </label>
        <label className="fn-filter">
          <span className="small muted">Time</span>
          <select aria-label="Time" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {TIME_CHOICES.map((c) => (
              <option key={c.minutes} value={c.minutes}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        {minutes === CUSTOM && (
          <>
            <label className="fn-filter">
              <span className="small muted">From</span>
              <input type="datetime-local" aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label className="fn-filter">
              <span className="small muted">Until</span>
              <input type="datetime-local" aria-label="Until" value={until} onChange={(e) => setUntil(e.target.value)} />
            </label>
          </>
        )}
        <span className="spacer" />
        <label className="row small">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Auto refresh
        </label>
        <button type="button" onClick={() => logs.refetch()} disabled={logs.isFetching}>
          Refresh
        </button>
      </div>
      {logs.isPending ? (
        <Spinner />
      ) : logs.isError && !logs.data ? (
        <ErrorState error={logs.error} retry={() => logs.refetch()} />
      ) : lines.length === 0 ? (
        <Empty title="No log lines">{level || source || minutes ? 'Nothing matches these filters.' : 'Calls of the app\'s functions, jobs and triggers write here (kept 7 days).'}</Empty>
      ) : (
        <>
          <LogTable lines={lines} />
          {logs.hasNextPage && (
            <div className="row fn-more">
              <button type="button" onClick={() => logs.fetchNextPage()} disabled={logs.isFetchingNextPage}>
                Older lines
              </button>
            </div>
          )}
          {logs.isError && <ErrorText error={logs.error} />}
        </>
      )}
    </div>
  )
}

/** Log lines as a table (time, level, source, message, duration). */
export function LogTable({ lines }: { lines: LogLine[] }) {
  return (
    <table className="list fn-log-table">
      <thead>
        <tr>
          <th>Time</th>
          <th>Level</th>
          <th>Source</th>
          <th>Message</th>
          <th className="num">Duration</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((l) => (
          <tr key={l.id} className={`fn-level-${l.level}`}>
            <td className="small mono nowrap" title={l.at}>
              {new Date(l.at).toLocaleTimeString()}
            </td>
            <td>
              <span className={`badge fn-badge-${l.level}`}>{l.level}</span>
            </td>
            <td className="small mono nowrap">{l.source}</td>
            <td className="mono fn-message">{l.message}</td>
            <td className="num small nowrap">{l.durationUs !== null ? formatMicros(l.durationUs) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
