// The push views' pure parts: the body of `POST /parse/push` from the compose form, the `where`
// that counts the devices a push targets, and how a `_PushStatus` is summed up in the history.
// Tested in logic.test.ts.

export type Target = { kind: 'everyone' } | { kind: 'channels'; channels: string[] } | { kind: 'query'; where: Record<string, unknown> }

export type Badge = { kind: 'none' } | { kind: 'increment' } | { kind: 'set'; value: string }

/** When: now, at an instant (a `datetime-local` text read in the browser's zone), or at that wall
 * clock time in each device's own time zone (Parse's local time: sent without a zone). */
export type Schedule = { kind: 'now' } | { kind: 'at'; local: string } | { kind: 'local'; local: string }

export type Expiry = { kind: 'none' } | { kind: 'at'; local: string } | { kind: 'after'; amount: string; unit: IntervalUnit }

export type IntervalUnit = 'minutes' | 'hours' | 'days'

export const UNIT_SECONDS: Record<IntervalUnit, number> = { minutes: 60, hours: 3600, days: 86400 }

export interface Compose {
  target: Target
  alert: string
  title: string
  badge: Badge
  sound: string
  /** Extra keys of `data`, as JSON object text. */
  custom: string
  schedule: Schedule
  expiry: Expiry
}

export const EMPTY_COMPOSE: Compose = {
  target: { kind: 'channels', channels: [] },
  alert: '',
  title: '',
  badge: { kind: 'none' },
  sound: '',
  custom: '',
  schedule: { kind: 'now' },
  expiry: { kind: 'none' },
}

/** Channels from what the user typed: split on commas and spaces, without blanks or repeats. */
export function parseChannels(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((s) => s !== ''))]
}

/** The `where` of a target as Parse's push reads it (channels become `channels $in`). */
export function targetWhere(target: Target): Record<string, unknown> {
  switch (target.kind) {
    case 'everyone':
      return {}
    case 'channels':
      return { channels: { $in: target.channels } }
    case 'query':
      return target.where
  }
}

/** The `where` that counts the devices a push reaches: the target's installations that have a
 * device token (as the server adds it, unless the query names `deviceToken` itself). */
export function countWhere(target: Target): Record<string, unknown> {
  const where = targetWhere(target)
  if ('deviceToken' in where) return where
  return { ...where, deviceToken: { $exists: true } }
}

/** A `datetime-local` value (`2026-12-24T09:00`) as an instant in the browser's zone, ISO with Z. */
export function instantOf(local: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local)) return null
  const d = new Date(local)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** A `datetime-local` value as Parse's local push time: the wall clock text with seconds and no zone. */
export function wallClockOf(local: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local)) return null
  return local.length === 16 ? `${local}:00` : local
}

export type Built = { ok: true; body: Record<string, unknown> } | { ok: false; error: string; field: keyof Compose }

/** The body of `POST /parse/push` for the form, or the first thing to fix in it. The server
 * checks the rest (Parse's 115 messages), which the form shows as it says them. */
export function buildPush(c: Compose): Built {
  const body: Record<string, unknown> = {}
  if (c.target.kind === 'channels') {
    if (c.target.channels.length === 0) return { ok: false, error: 'Name at least one channel.', field: 'target' }
    body.channels = c.target.channels
  } else body.where = targetWhere(c.target)

  let data: Record<string, unknown> = {}
  if (c.custom.trim() !== '') {
    let parsed: unknown
    try {
      parsed = JSON.parse(c.custom)
    } catch (e) {
      return { ok: false, error: `Custom keys: invalid JSON (${e instanceof Error ? e.message : String(e)}).`, field: 'custom' }
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, error: 'Custom keys: write a JSON object, such as {"uri": "app://news/1"}.', field: 'custom' }
    data = { ...(parsed as Record<string, unknown>) }
  }
  if (c.alert.trim() !== '') data.alert = c.alert
  if (c.title.trim() !== '') data.title = c.title
  if (c.sound.trim() !== '') data.sound = c.sound.trim()
  if (c.badge.kind === 'increment') data.badge = 'Increment'
  else if (c.badge.kind === 'set') {
    const n = Number(c.badge.value)
    if (c.badge.value.trim() === '' || !Number.isInteger(n) || n < 0) return { ok: false, error: 'Badge: a whole number, 0 or more.', field: 'badge' }
    data.badge = n
  }
  if (Object.keys(data).length === 0) return { ok: false, error: 'Write a message (or give custom keys for a silent push).', field: 'alert' }
  body.data = data

  if (c.schedule.kind === 'at') {
    const at = instantOf(c.schedule.local)
    if (!at) return { ok: false, error: 'Pick the date and time to send at.', field: 'schedule' }
    body.push_time = at
  } else if (c.schedule.kind === 'local') {
    const at = wallClockOf(c.schedule.local)
    if (!at) return { ok: false, error: "Pick the date and time to send at, in each device's time zone.", field: 'schedule' }
    body.push_time = at
  }

  if (c.expiry.kind === 'at') {
    const at = instantOf(c.expiry.local)
    if (!at) return { ok: false, error: 'Pick the date and time the push expires at.', field: 'expiry' }
    body.expiration_time = at
  } else if (c.expiry.kind === 'after') {
    const n = Number(c.expiry.amount)
    if (c.expiry.amount.trim() === '' || !Number.isFinite(n) || n <= 0) return { ok: false, error: 'Expiry: a number greater than 0.', field: 'expiry' }
    body.expiration_interval = Math.round(n * UNIT_SECONDS[c.expiry.unit])
  }
  return { ok: true, body }
}

// ---------------------------------------------------------------------------------------------
// History

export type PushState = 'scheduled' | 'pending' | 'running' | 'succeeded' | 'failed'

export interface PushStatus {
  objectId: string
  createdAt: string
  updatedAt?: string
  pushTime?: string
  source?: string
  query?: string
  payload?: string
  title?: string
  expiry?: number
  expiration_interval?: number
  status?: PushState | string
  numSent?: number
  numFailed?: number
  numTargeted?: number
  numExpired?: number
  numRetried?: number
  numResent?: number
  sentPerType?: Record<string, number>
  failedPerType?: Record<string, number>
  failedPerReason?: Record<string, number>
  errorMessage?: unknown
}

/** Whether a push is still moving (the history refreshes itself meanwhile). */
export function inFlight(s: PushStatus): boolean {
  return s.status === 'pending' || s.status === 'running'
}

/** The badge class of a status: scheduled and pending are waiting, running is busy, the ends are ok or danger. */
export function statusTone(status: string | undefined): string {
  switch (status) {
    case 'succeeded':
      return 'ok'
    case 'failed':
      return 'danger'
    case 'running':
      return 'run'
    case 'pending':
      return 'warn'
    default:
      return 'wait'
  }
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Who a push was for, in a few words: `channels news, sports`, `everyone`, or the query. */
export function targetSummary(s: PushStatus): string {
  const q = parseJson(s.query)
  if (!q || typeof q !== 'object') return s.query ? s.query : 'unknown'
  const where = { ...(q as Record<string, unknown>) }
  // The server's own condition on tokens says nothing about whom the push was for.
  const token = where.deviceToken as Record<string, unknown> | undefined
  if (token && typeof token === 'object' && Object.keys(token).length === 1 && token.$exists === true) delete where.deviceToken
  const keys = Object.keys(where)
  if (keys.length === 0) return 'everyone'
  const ch = where.channels as { $in?: unknown } | string | undefined
  if (keys.length === 1 && ch && typeof ch === 'object' && Array.isArray(ch.$in)) return `channels ${ch.$in.join(', ')}`
  if (keys.length === 1 && typeof ch === 'string') return `channel ${ch}`
  return JSON.stringify(where)
}

/** The message of a push (its alert, else its title, else its data keys). */
export function messageSummary(s: PushStatus): string {
  const data = parseJson(s.payload)
  if (!data || typeof data !== 'object') return s.payload ?? ''
  const d = data as Record<string, unknown>
  if (typeof d.alert === 'string') return d.alert
  if (d.alert && typeof d.alert === 'object') return JSON.stringify(d.alert)
  if (typeof d.title === 'string') return d.title
  return Object.keys(d).length ? `silent: ${Object.keys(d).join(', ')}` : 'no data'
}

/** A count map (`{"ios": 3, "android": 1}`) as `ios 3 · android 1`, largest first; '' when empty. */
export function perKey(m: Record<string, number> | undefined): string {
  if (!m) return ''
  return Object.entries(m)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`)
    .join(' · ')
}

/** A status's error message, whether the server stored a string or `{message}`. */
export function errorOf(s: PushStatus): string | null {
  const e = s.errorMessage
  if (e === undefined || e === null) return null
  if (typeof e === 'string') return e
  if (typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message
  return JSON.stringify(e)
}

// ---------------------------------------------------------------------------------------------
// Providers

export interface ApnsView {
  teamId: string
  keyId: string
  topic: string
  production: boolean
  fingerprint: string
  updatedAt?: string
}
export interface FcmView {
  projectId: string
  clientEmail: string
  fingerprint: string
  updatedAt?: string
}
export interface HookView {
  url: string
  deviceTypes: string[]
  fingerprint: string
  updatedAt?: string
}
export interface Providers {
  apns: ApnsView | null
  fcm: FcmView | null
  hook: HookView | null
}

/** A service account's JSON text as the object the server takes, or why not. Only the shape is
 * checked here; the server checks the key. */
export function parseServiceAccount(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return { ok: false, error: 'Not JSON: paste the whole service-account file downloaded from the Firebase console.' }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'A service-account file is a JSON object.' }
  const o = v as Record<string, unknown>
  if (o.type !== 'service_account') return { ok: false, error: 'Not a service-account key: its "type" should be "service_account".' }
  return { ok: true, value: o }
}
