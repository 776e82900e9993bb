// The live state of an app on the instance that answers (`GET /admin/v1/apps/{id}/live`), and
// what the Realtime view derives from it: a short history of events per second kept in the
// browser from polling (the server keeps none), and the formatting of its figures.

export interface LiveClass {
  className: string
  subscriptions: number
  /** Events delivered per second over the last 10 s. */
  eventsPerSecond: number
  /** Events delivered since the instance started. */
  delivered: number
}

export interface LiveClient {
  clientId: string
  connectedAt: string
  userId: string | null
  installationId: string | null
  master: boolean
  subscriptions: number
  address: string | null
}

export interface LiveState {
  /** The instance that answered (`host:pid`). */
  instance: string
  enabled: boolean
  classNames: string[]
  connections: number
  subscriptions: number
  /** Events delivered per second over the last 10 s. */
  eventsPerSecond: number
  /** Events dropped since the instance started (slow clients). */
  dropped: number
  classes: LiveClass[]
  /** At most 100, newest first. */
  clients: LiveClient[]
}

/** One poll's figures, kept for the sparkline. */
export interface Sample {
  /** Milliseconds since the epoch (the browser's clock, when the answer came). */
  at: number
  instance: string
  eventsPerSecond: number
  /** Every class's `delivered`, summed. */
  delivered: number
}

/** How long the browser keeps samples: the sparkline's span. */
export const HISTORY_MS = 5 * 60_000

/** The history with `sample` added and samples older than `span` before it dropped. */
export function pushSample(history: Sample[], sample: Sample, span = HISTORY_MS): Sample[] {
  const last = history[history.length - 1]
  // The same answer seen twice (a re-render, a refetch that changed nothing) adds nothing.
  if (last && last.at >= sample.at) return history
  return [...history.filter((s) => s.at > sample.at - span), sample]
}

/** The sample of an answer. */
export function sampleOf(state: LiveState, at: number): Sample {
  return { at, instance: state.instance, eventsPerSecond: state.eventsPerSecond, delivered: state.classes.reduce((n, c) => n + c.delivered, 0) }
}

/**
 * Events delivered per second between the last two samples, from the counters (finer than the
 * server's 10 s average right after a burst). Null when there is no such pair: fewer than two
 * samples, two instances (their counters are unrelated), or a counter that went down (the
 * instance restarted, or a class without subscriptions left the list).
 */
export function recentRate(history: Sample[]): number | null {
  if (history.length < 2) return null
  const a = history[history.length - 2]
  const b = history[history.length - 1]
  const seconds = (b.at - a.at) / 1000
  if (a.instance !== b.instance || seconds <= 0 || b.delivered < a.delivered) return null
  return (b.delivered - a.delivered) / seconds
}

/** The instances that answered within the history (more than one behind a load balancer). */
export function instancesOf(history: Sample[]): string[] {
  return [...new Set(history.map((s) => s.instance))]
}

/** Columns for uPlot: time in seconds, events per second. */
export function sparkColumns(history: Sample[]): [number[], number[]] {
  return [history.map((s) => s.at / 1000), history.map((s) => s.eventsPerSecond)]
}

/** A rate per second: `0`, `0.4`, `12`, `1.2k`, `3.4M` (three significant figures at most). */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0'
  if (perSecond < 0.05) return '< 0.1'
  if (perSecond < 10) return String(Math.round(perSecond * 10) / 10)
  if (perSecond < 1000) return String(Math.round(perSecond))
  if (perSecond < 1e6) return `${+(perSecond / 1000).toPrecision(3)}k`
  return `${+(perSecond / 1e6).toPrecision(3)}M`
}

/** A count with thousands separators (`12,345`). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** The first block of a client id (a UUID): enough to tell clients apart on one screen. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id
}

/** How long ago `iso` was, from `now`: `12 s`, `4 min`, `2 h 5 min`, `3 d 4 h`. */
export function formatSince(iso: string, now: number): string {
  const ms = now - Date.parse(iso)
  if (!Number.isFinite(ms)) return '?'
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`
  const d = Math.floor(h / 24)
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`
}
