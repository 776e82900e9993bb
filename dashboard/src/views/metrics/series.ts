// The usage series of the management API (GET /apps/{id}/metrics), turned into the columns the
// charts draw: one point per minute of the range, minutes without traffic as zeros (the server
// leaves them out), latency as gaps there (no request, no latency).

/** One minute of usage, or a range's totals (no `minute`). */
export interface UsagePoint {
  minute?: string
  requests: number
  errors: number
  clientErrors: number
  serverErrors: number
  p50Ms: number | null
  p99Ms: number | null
  functionCalls: number
  functionErrors: number
}

export interface UsageSeries {
  from: string
  to: string
  stepSeconds: number
  points: UsagePoint[]
  totals: UsagePoint
}

/** The ranges offered, by label, in seconds. */
export const RANGES = [
  { label: '1 h', seconds: 3600 },
  { label: '6 h', seconds: 6 * 3600 },
  { label: '24 h', seconds: 24 * 3600 },
  { label: '7 d', seconds: 7 * 24 * 3600 },
] as const

export type RangeLabel = (typeof RANGES)[number]['label']

/** The query string of a range ending at `now`. */
export function rangeQuery(label: RangeLabel, now: Date): string {
  const range = RANGES.find((r) => r.label === label) ?? RANGES[0]
  const from = new Date(now.getTime() - range.seconds * 1000)
  return `?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(now.toISOString())}`
}

/** Columns for uPlot: x in seconds since the epoch, then one array per measure. */
export interface Columns {
  time: number[]
  requestsPerSecond: number[]
  p50: (number | null)[]
  p99: (number | null)[]
  clientErrors: number[]
  serverErrors: number[]
  functionCalls: number[]
  functionErrors: number[]
}

/** Every minute from `from` to `to` (the minute holding `from` first), with the points' values. */
export function toColumns(series: UsageSeries): Columns {
  const step = series.stepSeconds || 60
  const start = Math.floor(Date.parse(series.from) / 1000 / step) * step
  const end = Math.floor(Date.parse(series.to) / 1000 / step) * step
  const byMinute = new Map<number, UsagePoint>()
  for (const p of series.points) {
    if (p.minute) byMinute.set(Math.floor(Date.parse(p.minute) / 1000), p)
  }
  const cols: Columns = {
    time: [],
    requestsPerSecond: [],
    p50: [],
    p99: [],
    clientErrors: [],
    serverErrors: [],
    functionCalls: [],
    functionErrors: [],
  }
  for (let t = start; t <= end; t += step) {
    const p = byMinute.get(t)
    cols.time.push(t)
    cols.requestsPerSecond.push(p ? p.requests / step : 0)
    cols.p50.push(p?.p50Ms ?? null)
    cols.p99.push(p?.p99Ms ?? null)
    cols.clientErrors.push(p?.clientErrors ?? 0)
    cols.serverErrors.push(p?.serverErrors ?? 0)
    cols.functionCalls.push(p?.functionCalls ?? 0)
    cols.functionErrors.push(p?.functionErrors ?? 0)
  }
  return cols
}

/** A count for people: 1234567 as 1,234,567. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** A latency for people: under 10 ms with two decimals, else whole milliseconds or seconds. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–'
  if (ms < 10) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

/** A rate for people: two decimals, or two significant digits below 0.01/s. */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0/s'
  if (perSecond < 0.01) return `${perSecond.toPrecision(2)}/s`
  return `${perSecond.toFixed(2)}/s`
}

/** Requests per second over a whole range. */
export function averageRate(series: UsageSeries): number {
  const seconds = (Date.parse(series.to) - Date.parse(series.from)) / 1000
  return seconds > 0 ? series.totals.requests / seconds : 0
}
