// Logic of the cloud functions views: params checked before sending, log filters as a query
// string, durations.

/** Params typed in the invoke console: a JSON object, or why not. Empty text is `{}`. */
export function parseParams(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, value: {} }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return { ok: false, error: `Invalid JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'Params must be a JSON object, like {"name": "Ada"}.' }
  }
  return { ok: true, value: value as Record<string, unknown> }
}

/**
 * Which field a server error is about, from the words of its message: the first of `fields`
 * (`[word, field]`, in order) whose word it contains, else undefined (the error is the form's).
 */
export function fieldOf<F extends string>(message: string | undefined, fields: [string, F][]): F | undefined {
  const m = (message ?? '').toLowerCase()
  return fields.find(([word]) => m.includes(word))?.[1]
}

/** Level choices of the log view, as the server's comma-separated `level` filter. */
export const LEVEL_CHOICES: { label: string; value: string }[] = [
  { label: 'All levels', value: '' },
  { label: 'Info and above', value: 'info,warn,error' },
  { label: 'Warnings and errors', value: 'warn,error' },
  { label: 'Errors only', value: 'error' },
]

/** The time choice whose range is typed (`from` and `until`). */
export const CUSTOM = -1

/** Time choices of the log view: how far back, in minutes (0: all that is kept). */
export const TIME_CHOICES: { label: string; minutes: number }[] = [
  { label: 'Any time', minutes: 0 },
  { label: 'Last 15 minutes', minutes: 15 },
  { label: 'Last hour', minutes: 60 },
  { label: 'Last 24 hours', minutes: 1440 },
  { label: 'Last 7 days', minutes: 10080 },
  { label: 'Custom range', minutes: CUSTOM },
]

export interface LogFilters {
  level: string
  source: string
  minutes: number
  /** With `minutes` CUSTOM: the range's ends as typed in datetime-local inputs (local time). */
  from?: string
  until?: string
  requestId?: string
  before?: number
  limit?: number
}

/** The query parameters of GET /functions/logs for `f`, with `now` the current time. */
export function logParams(f: LogFilters, now: Date): Record<string, string | number | undefined> {
  return {
    level: f.level || undefined,
    source: f.source || undefined,
    since: f.minutes > 0 ? new Date(now.getTime() - f.minutes * 60_000).toISOString() : f.minutes === CUSTOM ? isoOf(f.from) : undefined,
    until: f.minutes === CUSTOM ? isoOf(f.until) : undefined,
    requestId: f.requestId || undefined,
    before: f.before,
    limit: f.limit ?? 200,
  }
}

/** A datetime-local value (local time) as an ISO instant; undefined when empty or invalid. */
function isoOf(local: string | undefined): string | undefined {
  if (!local) return undefined
  const d = new Date(local)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/** The log sources a manifest's entries write as. */
export function sourcesOf(m: Manifest | undefined): string[] {
  if (!m) return []
  return [...m.functions.map((f) => `function:${f}`), ...m.jobs.map((j) => `job:${j}`), ...m.triggers]
}

/** A duration in microseconds or milliseconds for people. */
export function formatMicros(us: number): string {
  if (us < 1000) return `${us} µs`
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`
  return `${(us / 1_000_000).toFixed(2)} s`
}

export interface Manifest {
  functions: string[]
  jobs: string[]
  triggers: string[]
  /** Declared shapes (JSON Schema) of functions' parameters and results; absent when none. */
  functionTypes?: Record<string, FunctionType>
}

export interface FunctionType {
  params?: unknown
  result?: unknown
}

/** How deep `typeText` spells out nested objects before writing `{…}`. */
const TYPE_TEXT_DEPTH = 3

/** The most characters of `typeText` a cell shows (a long enum or a wide object is cut with `…`). */
export const TYPE_TEXT_MAX = 160

/** `typeText`, cut to `TYPE_TEXT_MAX` characters (the last one `…`) so a cell stays short. */
export function shortTypeText(schema: unknown): string {
  const text = typeText(schema)
  return text.length > TYPE_TEXT_MAX ? `${text.slice(0, TYPE_TEXT_MAX - 1)}…` : text
}

/** A property name as a TypeScript key: quoted when it is not an identifier. */
function keyText(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key)
}

/** A declared JSON Schema as a short TypeScript-like type for people: `{ playerId: string; bonus?: number }`
 * (required properties first). */
export function typeText(schema: unknown, depth = 0): string {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'any'
  const s = schema as Record<string, unknown>
  const types = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? s.type.filter((t): t is string => typeof t === 'string') : []
  if (types.length === 0) return 'any'
  const texts = types.map((t) => {
    if (t === 'string' && Array.isArray(s.enum) && s.enum.length > 0) return s.enum.map((v) => JSON.stringify(v)).join(' | ')
    if (t === 'array') {
      const item = s.items === undefined ? 'any' : typeText(s.items, depth + 1)
      return item.includes(' | ') ? `(${item})[]` : `${item}[]`
    }
    if (t !== 'object') return t
    const props = typeof s.properties === 'object' && s.properties !== null ? Object.entries(s.properties as Record<string, unknown>) : []
    if (props.length === 0) {
      const extra = s.additionalProperties
      return typeof extra === 'object' && extra !== null ? `{ [key: string]: ${typeText(extra, depth + 1)} }` : 'object'
    }
    if (depth >= TYPE_TEXT_DEPTH) return '{…}'
    // Required properties first, each group by name: the server stores schemas as jsonb, which
    // does not keep the order they were declared in.
    const required = new Set(Array.isArray(s.required) ? s.required : [])
    const ordered = props.sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)) || (a < b ? -1 : a > b ? 1 : 0))
    return `{ ${ordered.map(([k, v]) => `${keyText(k)}${required.has(k) ? '' : '?'}: ${typeText(v, depth + 1)}`).join('; ')} }`
  })
  return [...new Set(texts)].join(' | ')
}

export interface Deployment {
  version: number
  sha256: string
  size: number
  active: boolean
  manifest: Manifest
  createdBy: string
  createdAt: string
}

export interface LogLine {
  id: number
  at: string
  level: string
  source: string
  message: string
  durationUs: number | null
  requestId: string | null
}

export interface Schedule {
  id: number
  job: string
  params: Record<string, unknown>
  cron: string
  description: string
  enabled: boolean
  nextRun: string
  lastRun: string | null
  createdBy: string
  createdAt: string
}

export interface JobStatus {
  objectId: string
  jobName: string
  source?: string
  status: 'running' | 'succeeded' | 'failed' | string
  message?: string
  progress?: number
  params?: Record<string, unknown>
  createdAt: string
  finishedAt?: { iso: string } | string
}
