// The audit log's filters, as the form holds them and as the management API's query string.

export interface AuditEntry {
  id: number
  at: string
  actor: string
  actorId: number | null
  applicationId: string | null
  action: string
  details: unknown
  requestId: string | null
}

export interface AuditFilters {
  /** An action (`app.update`) or a prefix ending in a dot (`app.`). */
  action: string
  /** An admin's email, `cli` or `system`. */
  actor: string
  /** `datetime-local` values (local time, no zone), or empty. */
  from: string
  to: string
}

export const NO_FILTERS: AuditFilters = { action: '', actor: '', from: '', to: '' }

/** Actions Hearth records, offered as suggestions (any other text is accepted too). */
export const KNOWN_ACTIONS = [
  'app.',
  'app.create',
  'app.update',
  'app.delete',
  'app.key.rotate',
  'member.',
  'member.set',
  'member.remove',
  'invitation.',
  'invitation.create',
  'invitation.accept',
  'invitation.revoke',
  'functions.',
  'functions.deploy',
  'functions.activate',
  'functions.delete',
  'functions.schedule.',
  'files.',
  'data.write',
]

/** A `datetime-local` value (local time) as RFC 3339 in UTC; the text itself when it is no date. */
export function localToIso(value: string): string {
  const t = new Date(value)
  return Number.isNaN(t.getTime()) ? value : t.toISOString()
}

/** The query string of one page: at most `limit` entries older than `before`. */
export function auditQuery(filters: AuditFilters, limit: number, before?: number): string {
  const params = new URLSearchParams()
  params.set('limit', String(limit))
  if (before !== undefined) params.set('before', String(before))
  if (filters.action.trim()) params.set('action', filters.action.trim())
  if (filters.actor.trim()) params.set('actor', filters.actor.trim())
  if (filters.from) params.set('from', localToIso(filters.from))
  if (filters.to) params.set('to', localToIso(filters.to))
  return `?${params.toString()}`
}

/** Which filter an error of the server is about, by the parameter its message names first. */
export function errorField(message: string): keyof AuditFilters | 'other' {
  const first = /^(from|to|action|actor)\b/.exec(message)
  return first ? (first[1] as keyof AuditFilters) : 'other'
}
