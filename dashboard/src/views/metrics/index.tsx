// An app's metrics: requests per second, latency p50/p99, errors, and cloud function calls over
// a chosen range, from the server's per-minute roll-ups (summed over every instance), with the
// range's totals as text beside the charts.
import 'uplot/dist/uPlot.min.css'
import './metrics.css'
import { useMemo, useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { admin } from '../../api'
import { useApp } from '../../appContext'
import { Empty, ErrorState, PageHeader, Spinner } from '../../ui'
import { Chart, type ChartSeries } from './Chart'
import { RANGES, averageRate, formatCount, formatMs, formatRate, rangeQuery, toColumns, type RangeLabel, type UsageSeries } from './series'

export default function MetricsView() {
  const app = useApp()
  const [range, setRange] = useState<RangeLabel>('1 h')
  const query = useQuery({
    queryKey: ['metrics', app.applicationId, range],
    queryFn: () => admin<UsageSeries>('GET', `/apps/${encodeURIComponent(app.applicationId)}/metrics${rangeQuery(range, new Date())}`),
    refetchInterval: 60_000,
  })

  return (
    <div className="metrics">
      <PageHeader title="Metrics">
        <div className="metrics-ranges" role="group" aria-label="Range">
          {RANGES.map((r) => (
            <button key={r.label} type="button" aria-pressed={range === r.label} className={range === r.label ? 'primary' : undefined} onClick={() => setRange(r.label)}>
              {r.label}
            </button>
          ))}
        </div>
        <button type="button" onClick={() => query.refetch()} disabled={query.isFetching}>
          {query.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </PageHeader>
      {query.isPending ? (
        <Spinner />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => query.refetch()} />
      ) : (
        <Usage series={query.data} range={range} />
      )}
    </div>
  )
}

function Usage({ series, range }: { series: UsageSeries; range: RangeLabel }) {
  const cols = useMemo(() => toColumns(series), [series])
  const charts = useMemo(() => {
    const requests: ChartSeries[] = [{ label: 'requests/s', colour: '--accent', values: cols.requestsPerSecond }]
    const latency: ChartSeries[] = [
      { label: 'p50', colour: '--focus', values: cols.p50, spanGaps: true },
      { label: 'p99', colour: '--warn', values: cols.p99, dashed: true, spanGaps: true },
    ]
    const errors: ChartSeries[] = [
      { label: '4xx', colour: '--warn', values: cols.clientErrors },
      { label: '5xx', colour: '--danger', values: cols.serverErrors },
    ]
    const functions: ChartSeries[] = [
      { label: 'calls', colour: '--ok', values: cols.functionCalls },
      { label: 'errors', colour: '--danger', values: cols.functionErrors },
    ]
    return { requests, latency, errors, functions }
  }, [cols])
  const t = series.totals
  const quiet = t.requests === 0 && t.functionCalls === 0

  return (
    <div className="metrics-body">
      <section className="card metrics-totals" aria-label="Totals">
        <h2>Last {range}</h2>
        <dl>
          <Total label="Requests" value={formatCount(t.requests)} />
          <Total label="Average rate" value={formatRate(averageRate(series))} />
          <Total label="Errors" value={formatCount(t.errors)} detail={`4xx ${formatCount(t.clientErrors)} · 5xx ${formatCount(t.serverErrors)}`} />
          <Total label="Latency p50" value={formatMs(t.p50Ms)} />
          <Total label="Latency p99" value={formatMs(t.p99Ms)} />
          <Total label="Function calls" value={formatCount(t.functionCalls)} />
          <Total label="Function errors" value={formatCount(t.functionErrors)} />
        </dl>
        <p className="muted small">Per-minute counts of every server; a server writes its counts every few seconds.</p>
      </section>
      {quiet ? (
        <div className="metrics-charts card">
          <Empty title="No traffic in this range">Requests to this app's Parse API and its cloud functions show here within seconds.</Empty>
        </div>
      ) : (
        <div className="metrics-charts">
          <Chart title="Requests per second" time={cols.time} series={charts.requests} unit="" />
          <Chart title="Latency (ms)" time={cols.time} series={charts.latency} unit="" />
          <Chart title="Errors per minute" time={cols.time} series={charts.errors} unit="" />
          <Chart title="Function calls per minute" time={cols.time} series={charts.functions} unit="" />
        </div>
      )}
    </div>
  )
}

function Total({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="metrics-total">
      <dt>{label}</dt>
      <dd aria-label={label}>
        {value}
        {detail && <span className="muted small"> {detail}</span>}
      </dd>
    </div>
  )
}
