// CSV (RFC 4180) reading and writing, and the per-column type inference of an import. Pure:
// tested in csv.test.ts.
import type { ClassSchema, FieldDef, FieldType, ParseObject } from './parseTypes'

/** Rows of fields from CSV text: quotes, doubled quotes, commas and newlines inside quotes,
 * CRLF or LF line ends. A trailing empty line is ignored. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  if (text.charCodeAt(0) === 0xfeff) i = 1
  for (; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (quoted) throw new Error('The CSV ends inside a quoted field')
  if (field !== '' || row.length) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** One CSV field, quoted when it must be. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A cell's value as CSV text: strings as they are, dates as ISO, pointers as their objectId,
 * files as their URL, everything else as JSON. */
export function csvValue(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  const o = v as Record<string, unknown>
  if (o.__type === 'Date') return String(o.iso)
  if (o.__type === 'Pointer') return String(o.objectId)
  if (o.__type === 'File') return String(o.url ?? o.name)
  return JSON.stringify(v)
}

export function csvLine(values: string[]): string {
  return values.map(csvField).join(',') + '\r\n'
}

// ---------------------------------------------------------------------------------------------
// Import

/** Types an import can create from text. */
export type ImportType = 'String' | 'Number' | 'Boolean' | 'Date' | 'Object' | 'Array' | 'GeoPoint' | 'Pointer'

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** The type of one non-empty text value. */
export function inferValue(s: string): ImportType {
  const t = s.trim()
  if (NUMBER.test(t)) return 'Number'
  if (/^(true|false)$/i.test(t)) return 'Boolean'
  if (ISO_DATE.test(t) && !Number.isNaN(new Date(t).getTime())) return 'Date'
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      const v = JSON.parse(t)
      if (Array.isArray(v)) return 'Array'
      if (v && typeof v === 'object') {
        if (v.__type === 'GeoPoint') return 'GeoPoint'
        if (v.__type === 'Pointer') return 'Pointer'
        if (v.__type === 'Date') return 'Date'
        return 'Object'
      }
    } catch {
      return 'String'
    }
  }
  return 'String'
}

/** The type of a column: the one all its non-empty values share, else String. */
export function inferColumn(values: string[]): ImportType {
  let found: ImportType | null = null
  for (const v of values) {
    if (v.trim() === '') continue
    const t = inferValue(v)
    if (found === null) found = t
    else if (found !== t) return 'String'
  }
  return found ?? 'String'
}

/** A JSON value's type (imports of JSON files). */
export function jsonType(v: unknown): ImportType | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return 'Number'
  if (typeof v === 'boolean') return 'Boolean'
  if (typeof v === 'string') return ISO_DATE.test(v) ? 'String' : 'String'
  if (Array.isArray(v)) return 'Array'
  const o = v as Record<string, unknown>
  if (o.__type === 'Date') return 'Date'
  if (o.__type === 'GeoPoint') return 'GeoPoint'
  if (o.__type === 'Pointer') return 'Pointer'
  return 'Object'
}

/** Converts one text value to the JSON Parse stores for `type`; throws with a message. */
export function convert(s: string, type: ImportType | FieldType): unknown {
  const t = s.trim()
  switch (type) {
    case 'Number': {
      if (!NUMBER.test(t)) throw new Error(`"${s}" is not a number`)
      return Number(t)
    }
    case 'Boolean':
      if (/^true$/i.test(t)) return true
      if (/^false$/i.test(t)) return false
      throw new Error(`"${s}" is not true or false`)
    case 'Date': {
      if (t.startsWith('{')) return JSON.parse(t)
      const d = new Date(t)
      if (Number.isNaN(d.getTime())) throw new Error(`"${s}" is not a date`)
      return { __type: 'Date', iso: d.toISOString() }
    }
    case 'Object':
    case 'Array':
    case 'GeoPoint':
    case 'Pointer': {
      let v: unknown
      try {
        v = JSON.parse(t)
      } catch {
        throw new Error(`"${s.slice(0, 40)}" is not JSON`)
      }
      if (type === 'Array' && !Array.isArray(v)) throw new Error('not a JSON array')
      if (type !== 'Array' && (typeof v !== 'object' || v === null || Array.isArray(v))) throw new Error('not a JSON object')
      return v
    }
    default:
      return s
  }
}

export interface ImportColumn {
  name: string
  type: ImportType
  /** Whether the class already has the field (its type then wins). */
  existing: boolean
}

export interface ImportPlan {
  columns: ImportColumn[]
  /** Objects to create, each with its source line (1-based, the header is line 1 for CSV). */
  objects: { line: number; body: Record<string, unknown> }[]
  /** Rows that could not be converted, with why. */
  errors: { line: number; message: string }[]
}

/** Names an import never writes (the server sets them). */
const SKIPPED = new Set(['objectId', 'createdAt', 'updatedAt'])

/** The objects of a CSV (header row first) for `schema`: per-column types inferred from the
 * values, or the class's own type for a field it has. */
export function planCsvImport(rows: string[][], schema: ClassSchema | undefined, overrides: Record<string, ImportType> = {}): ImportPlan {
  const [header = [], ...body] = rows
  const fields = schema?.fields ?? {}
  const columns: ImportColumn[] = header.map((raw, i) => {
    const name = raw.trim()
    const existing = fields[name]
    const type = (existing && importable(existing)) || overrides[name] || inferColumn(body.map((r) => r[i] ?? ''))
    return { name, type, existing: !!existing }
  })
  const objects: ImportPlan['objects'] = []
  const errors: ImportPlan['errors'] = []
  body.forEach((r, n) => {
    const line = n + 2
    if (r.length === 1 && r[0] === '') return
    const obj: Record<string, unknown> = {}
    try {
      columns.forEach((c, i) => {
        if (!c.name || SKIPPED.has(c.name)) return
        const v = r[i] ?? ''
        if (v === '') return
        try {
          obj[c.name] = convert(v, c.type)
        } catch (e) {
          throw new Error(`${c.name}: ${(e as Error).message}`, { cause: e })
        }
      })
      objects.push({ line, body: obj })
    } catch (e) {
      errors.push({ line, message: (e as Error).message })
    }
  })
  return { columns, objects, errors }
}

/** The objects of a JSON import: an array of objects, or Parse's export shape `{results: [...]}`. */
export function planJsonImport(value: unknown, schema: ClassSchema | undefined): ImportPlan {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as { results?: unknown }).results) ? (value as { results: unknown[] }).results : null
  if (!list) throw new Error('A JSON import is an array of objects (or {"results": [...]})')
  const fields = schema?.fields ?? {}
  const types = new Map<string, ImportType>()
  const objects: ImportPlan['objects'] = []
  const errors: ImportPlan['errors'] = []
  list.forEach((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ line: i + 1, message: 'not an object' })
      return
    }
    const obj: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      if (SKIPPED.has(k)) continue
      obj[k] = v
      const t = jsonType(v)
      if (t && !types.has(k)) types.set(k, t)
    }
    objects.push({ line: i + 1, body: obj })
  })
  const columns = [...types.entries()].map(([name, type]) => ({ name, type: (fields[name] && importable(fields[name])) || type, existing: !!fields[name] }))
  return { columns, objects, errors }
}

function importable(def: FieldDef): ImportType | null {
  const t = def.type
  return t === 'String' || t === 'Number' || t === 'Boolean' || t === 'Date' || t === 'Object' || t === 'Array' || t === 'GeoPoint' || t === 'Pointer' ? t : null
}

/** Objects as a CSV export writes them (a header of `columns`, then one line each). */
export function toCsv(columns: string[], objects: ParseObject[]): string {
  return csvLine(columns) + objects.map((o) => csvLine(columns.map((c) => csvValue(o[c])))).join('')
}
