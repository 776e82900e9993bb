// Realtime: the app's LiveQuery on the instance that answers — whether it is on and for which
// classes, connections, subscriptions and events per second (a sparkline of the last minutes,
// kept in the browser from polling every 2 s), subscriptions and deliveries per class, and the
// connected clients.
import './realtime.css'
import { useEffect, useMemo, useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { admin } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { usersPath } from '../users/paths'
import { Empty, ErrorState, PageHeader, Spinner } from '../../ui'
import { formatCount, formatRate, formatSince, HISTORY_MS, instancesOf, pushSample, recentRate, sampleOf, shortId, sparkColumns, type LiveState, type Sample } from './live'
import { Sparkline } from './Sparkline'

const POLL_MS = 2000

export default function RealtimeView() {
  const app = useApp()
  const [paused, setPaused] = useState(false)
  const query = useQuery({
    queryKey: ['live', app.applicationId],
    queryFn: () => admin<LiveState>('GET', `/apps/${encodeURIComponent(app.applicationId)}/live`),
    refetchInterval: paused ? false : POLL_MS,
    refetchIntervalInBackground: false,
  })
  const [history, setHistory] = useState<Sample[]>([])
  const { data, dataUpdatedAt } = query
  useEffect(() => {
    if (data) setHistory((h) => pushSample(h, sampleOf(data, dataUpdatedAt)))
  }, [data, dataUpdatedAt])

  return (
    <div className="realtime">
      <PageHeader title="Realtime">
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </PageHeader>
      {query.isPending ? (
        <Spinner />
      ) : query.isError && !data ? (
        <ErrorState error={query.error} retry={() => query.refetch()} />
      ) : (
        <LiveBody state={data!} history={history} paused={paused} stale={query.isError} />
      )}
    </div>
  )
}

function LiveBody({ state, history, paused, stale }: { state: LiveState; history: Sample[]; paused: boolean; stale: boolean }) {
  const app = useApp()
  const canEdit = atLeast(app.role, 'developer')
  const instances = instancesOf(history)
  const [time, values] = useMemo(() => sparkColumns(history), [history])
  const recent = recentRate(history)
  // "Connected since" moves on between polls too.
  const now = history.length ? history[history.length - 1].at : Date.now()
  const settingLink = (
    <Link to="../settings#settings-livequery" relative="path">
      {canEdit ? 'Change the live classes' : 'The live classes setting'}
    </Link>
  )

  if (!state.enabled) {
    return (
      <Empty title="LiveQuery is off for this app">
        <p>
          No class is live: clients' <code>query.subscribe()</code> calls are refused. LiveQuery is turned on by naming the classes clients may
          subscribe to in the app's settings (<code>liveQuery.classNames</code>, as in Parse Server).
        </p>
        <p>
          {canEdit ? (
            <Link to="../settings#settings-livequery" relative="path" className="button primary">
              Turn LiveQuery on in Settings
            </Link>
          ) : (
            'An owner or developer of the app can turn it on in Settings.'
          )}
        </p>
      </Empty>
    )
  }

  return (
    <div className="realtime-body">
      <section className="card realtime-status" aria-label="LiveQuery">
        <div className="row">
          <span className="badge ok">LiveQuery on</span>
          <span>
            for{' '}
            {state.classNames.map((c, i) => (
              <span key={c}>
                {i > 0 && ', '}
                <code>{c}</code>
              </span>
            ))}
          </span>
          <span className="spacer" />
          {settingLink}
        </div>
        <p className="muted small realtime-instance">
          Figures of the instance that answered, <code>{state.instance}</code>
          {instances.length > 1 ? ` (${instances.length} instances answered in the last minutes)` : ''}: when several Hearth instances run behind
          a load balancer, each holds its own clients and counts them alone. {paused ? 'Paused.' : 'Updated every 2 s.'}
          {stale && <span className="error-text"> The last update failed; these figures are older.</span>}
        </p>
      </section>

      <dl className="realtime-figures" aria-label="Totals">
        <Figure label="Connections" value={formatCount(state.connections)} />
        <Figure label="Subscriptions" value={formatCount(state.subscriptions)} />
        <Figure label="Dropped" value={formatCount(state.dropped)} detail="events for clients too slow to read them, since the instance started" warn={state.dropped > 0} />
        <Figure
          label="Events per second"
          value={formatRate(state.eventsPerSecond)}
          detail={recent === null ? 'delivered (10 s average)' : `delivered (10 s average); ${formatRate(recent)} in the last 2 s`}
          wide
        >
          <div className="realtime-spark">
            {time.length >= 2 ? (
              <>
                <Sparkline label="Events per second, last 5 minutes" time={time} values={values} />
                <span className="muted small">the last {HISTORY_MS / 60_000} minutes this page has seen</span>
              </>
            ) : (
              <div className="sparkline sparkline-empty muted small">the line starts with the next update</div>
            )}
          </div>
        </Figure>
      </dl>

      <section className="realtime-section" aria-labelledby="rt-classes">
        <h2 id="rt-classes">Classes</h2>
        {state.classes.length === 0 ? (
          <Empty title="No subscription">No client has subscribed to a class on this instance.</Empty>
        ) : (
          <table className="list realtime-table" aria-labelledby="rt-classes">
            <thead>
              <tr>
                <th>Class</th>
                <th className="num">Subscriptions</th>
                <th className="num">Events per second</th>
                <th className="num">Delivered</th>
              </tr>
            </thead>
            <tbody>
              {state.classes.map((c) => (
                <tr key={c.className}>
                  <td>
                    <Link to={`../data/${encodeURIComponent(c.className)}`} relative="path" className="mono">
                      {c.className}
                    </Link>
                  </td>
                  <td className="num">{formatCount(c.subscriptions)}</td>
                  <td className="num">{formatRate(c.eventsPerSecond)}</td>
                  <td className="num">{formatCount(c.delivered)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="realtime-section" aria-labelledby="rt-clients">
        <h2 id="rt-clients">
          Clients{' '}
          {state.connections > state.clients.length && (
            <span className="muted small">
              (the newest {state.clients.length} of {formatCount(state.connections)})
            </span>
          )}
        </h2>
        {state.clients.length === 0 ? (
          <Empty title="No client is connected">
            No LiveQuery client is connected to this instance. A client connects with the Parse SDK's <code>query.subscribe()</code> at the server URL,
            over WebSocket (<code>ws://</code> or <code>wss://</code>).
          </Empty>
        ) : (
          <table className="list realtime-table" aria-labelledby="rt-clients">
            <thead>
              <tr>
                <th>Client</th>
                <th>User</th>
                <th>Installation</th>
                <th className="num">Subscriptions</th>
                <th>Connected for</th>
                <th>Address</th>
              </tr>
            </thead>
            <tbody>
              {state.clients.map((c) => (
                <tr key={c.clientId}>
                  <td>
                    <code title={c.clientId}>{shortId(c.clientId)}</code> {c.master && <span className="badge warn">master</span>}
                  </td>
                  <td>
                    {c.userId ? (
                      <Link to={`${usersPath(app.applicationId)}?user=${encodeURIComponent(c.userId)}`} className="mono">
                        {c.userId}
                      </Link>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td>{c.installationId ? <code title={c.installationId}>{shortId(c.installationId)}</code> : <span className="muted">none</span>}</td>
                  <td className="num">{formatCount(c.subscriptions)}</td>
                  <td title={new Date(c.connectedAt).toLocaleString()}>{formatSince(c.connectedAt, now)}</td>
                  <td className="mono">{c.address ?? <span className="muted">unknown</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  )
}

function Figure({ label, value, detail, warn, wide, children }: { label: string; value: string; detail?: string; warn?: boolean; wide?: boolean; children?: ReactNode }) {
  return (
    <div className={`card realtime-figure${warn ? ' warn' : ''}${wide ? ' wide' : ''}`}>
      <div className="realtime-figure-text">
        <dt>{label}</dt>
        <dd aria-label={label}>
          <span className="realtime-figure-value">{value}</span>
          {detail && <span className="muted small"> {detail}</span>}
        </dd>
      </div>
      {children}
    </div>
  )
}
