// Parse Config parameters: the type of a value, its text in the editor, and the value from the
// editor's text (or the error to show next to the field).

export type ParamType = 'string' | 'number' | 'boolean' | 'date' | 'object' | 'array'

export const PARAM_TYPES: { type: ParamType; label: string }[] = [
  { type: 'string', label: 'String' },
  { type: 'number', label: 'Number' },
  { type: 'boolean', label: 'Boolean' },
  { type: 'date', label: 'Date' },
  { type: 'object', label: 'Object (JSON)' },
  { type: 'array', label: 'Array (JSON)' },
]

/** The editor's type for a stored value. Typed values other than dates (GeoPoint, File...) are
 * edited as JSON objects. */
export function typeOf(value: unknown): ParamType {
  if (typeof value === 'string') return 'string'
  if (typeof value === 'number') return 'number'
  if (typeof value === 'boolean') return 'boolean'
  if (Array.isArray(value)) return 'array'
  if (value && typeof value === 'object' && (value as { __type?: unknown }).__type === 'Date') return 'date'
  return 'object'
}

/** The editor's text of a value: a date as `YYYY-MM-DDTHH:mm:ss` (UTC, for a datetime-local
 * input), JSON pretty-printed. */
export function toText(type: ParamType, value: unknown): string {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : ''
    case 'number':
      return typeof value === 'number' ? String(value) : ''
    case 'boolean':
      return value === true ? 'true' : 'false'
    case 'date': {
      const iso = value && typeof value === 'object' ? (value as { iso?: unknown }).iso : undefined
      return typeof iso === 'string' ? iso.slice(0, 19) : ''
    }
    case 'object':
    case 'array':
      return value === undefined ? (type === 'array' ? '[]' : '{}') : JSON.stringify(value, null, 2)
  }
}

/** The value to store from the editor's text, or why it cannot be. */
export function parseValue(type: ParamType, text: string): { value: unknown } | { error: string } {
  switch (type) {
    case 'string':
      return { value: text }
    case 'number': {
      const t = text.trim()
      const n = Number(t)
      if (t === '' || !Number.isFinite(n)) return { error: 'A number is expected (for example 42 or 3.5).' }
      return { value: n }
    }
    case 'boolean':
      return { value: text === 'true' }
    case 'date': {
      const t = text.trim()
      if (!t) return { error: 'Pick a date and time.' }
      const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(t) ? t : `${t}Z`)
      if (Number.isNaN(ms)) return { error: 'Not a date.' }
      return { value: { __type: 'Date', iso: new Date(ms).toISOString() } }
    }
    case 'object':
    case 'array': {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (e) {
        return { error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` }
      }
      if (type === 'array' && !Array.isArray(value)) return { error: 'A JSON array is expected ([...]).' }
      if (type === 'object' && (!value || typeof value !== 'object' || Array.isArray(value))) return { error: 'A JSON object is expected ({...}).' }
      return { value }
    }
  }
}

/** A parameter's name, checked when added: not empty, no space at either end, not taken. */
export function checkName(name: string, taken: string[]): string | undefined {
  if (!name) return 'A parameter needs a name.'
  if (name !== name.trim()) return 'No space at the start or the end of a name.'
  if (taken.includes(name)) return `There is already a parameter named ${name}.`
  return undefined
}

/**
 * The body of PUT /parse/config that saves one parameter: its value and flag, and the removal of
 * its old name when it was renamed (in the same call, so nothing is half-applied).
 */
export function saveBody(name: string, value: unknown, masterKeyOnly: boolean, oldName?: string) {
  const params: Record<string, unknown> = { [name]: value }
  if (oldName !== undefined && oldName !== name) params[oldName] = { __op: 'Delete' }
  return { params, masterKeyOnly: { [name]: masterKeyOnly } }
}

/** A short text of a value for the list. */
export function preview(value: unknown): string {
  const type = typeOf(value)
  if (type === 'date') return toText('date', value).replace('T', ' ') + ' UTC'
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > 120 ? `${text.slice(0, 117)}…` : text
}
