// Building Parse queries for the data browser: filters (shown as chips) to a `where`, the sort
// to an `order`, and keyset conditions that page through a class from a known row without
// `skip`. Pure: tested in query.test.ts.
import type { ClassSchema, FieldDef, ParseObject } from './parseTypes'

export type FilterOp =
  | 'eq'
  | 'ne'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'exists'
  | 'notExists'
  | 'in'
  | 'contains'
  | 'startsWith'
  | 'regex'
  | 'relatedTo'

/** One filter. `value` is what the user typed (a string), or for `relatedTo` the owner
 * `{className, objectId}` whose relation field `field` lists the rows. */
export interface Filter {
  field: string
  op: FilterOp
  value?: string
  owner?: { className: string; objectId: string }
}

export const OP_LABELS: Record<FilterOp, string> = {
  eq: 'equals',
  ne: 'does not equal',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  exists: 'exists',
  notExists: 'does not exist',
  in: 'is one of',
  contains: 'contains',
  startsWith: 'starts with',
  regex: 'matches regex',
  relatedTo: 'related to',
}

/** The operators that make sense for a field of this type. */
export function opsFor(def: FieldDef | undefined): FilterOp[] {
  switch (def?.type) {
    case 'String':
      return ['eq', 'ne', 'contains', 'startsWith', 'regex', 'in', 'lt', 'gt', 'exists', 'notExists']
    case 'Number':
    case 'Date':
      return ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'exists', 'notExists']
    case 'Boolean':
      return ['eq', 'ne', 'exists', 'notExists']
    case 'Pointer':
      return ['eq', 'ne', 'in', 'exists', 'notExists']
    case 'Array':
      return ['eq', 'in', 'exists', 'notExists']
    default:
      return ['exists', 'notExists']
  }
}

/** Whether the operator takes a value. */
export function needsValue(op: FilterOp): boolean {
  return op !== 'exists' && op !== 'notExists' && op !== 'relatedTo'
}

export class FilterError extends Error {}

/** The JSON value Parse compares with, from what the user typed, for a field of type `def`. */
export function coerce(text: string, def: FieldDef | undefined, field: string): unknown {
  const t = text.trim()
  if (field === 'objectId') return t
  if (field === 'createdAt' || field === 'updatedAt') return dateValue(t)
  switch (def?.type) {
    case 'Number': {
      const n = Number(t)
      if (t === '' || !Number.isFinite(n)) throw new FilterError(`${field}: "${text}" is not a number`)
      return n
    }
    case 'Boolean':
      if (t === 'true') return true
      if (t === 'false') return false
      throw new FilterError(`${field}: write true or false`)
    case 'Date':
      return dateValue(t)
    case 'Pointer':
      return { __type: 'Pointer', className: def.targetClass, objectId: t }
    default:
      return text
  }
}

function dateValue(t: string) {
  const d = new Date(t)
  if (t === '' || Number.isNaN(d.getTime())) throw new FilterError(`"${t}" is not a date (use 2026-01-31 or 2026-01-31T12:00:00Z)`)
  return { __type: 'Date', iso: d.toISOString() }
}

/** Escapes `s` for a regular expression (contains / starts with are regexes in Parse). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The `where` of a list of filters (all of them hold). Filters on the same field are merged
 * into one operator object. Throws FilterError on a value that does not fit the field's type. */
export function buildWhere(filters: Filter[], schema: ClassSchema | undefined): Record<string, unknown> {
  const where: Record<string, unknown> = {}
  const ops: Record<string, Record<string, unknown>> = {}
  const fields = schema?.fields ?? {}
  for (const f of filters) {
    const def = fields[f.field]
    if (f.op === 'relatedTo') {
      if (!f.owner) throw new FilterError('relatedTo needs the owning object')
      where.$relatedTo = { object: { __type: 'Pointer', className: f.owner.className, objectId: f.owner.objectId }, key: f.field }
      continue
    }
    const o = (ops[f.field] ??= {})
    const v = () => coerce(f.value ?? '', def, f.field)
    switch (f.op) {
      case 'eq':
        o.$eq = v()
        break
      case 'ne':
        o.$ne = v()
        break
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        o[`$${f.op}`] = v()
        break
      case 'exists':
        o.$exists = true
        break
      case 'notExists':
        o.$exists = false
        break
      case 'in':
        o.$in = (f.value ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map((s) => coerce(s, def?.type === 'Array' ? undefined : def, f.field))
        break
      case 'contains':
        o.$regex = escapeRegex(f.value ?? '')
        break
      case 'startsWith':
        o.$regex = `^${escapeRegex(f.value ?? '')}`
        break
      case 'regex':
        try {
          new RegExp(f.value ?? '')
        } catch {
          throw new FilterError(`${f.field}: not a valid regular expression`)
        }
        o.$regex = f.value ?? ''
        break
    }
  }
  for (const [field, o] of Object.entries(ops)) {
    // A single equality is written plainly, as the SDKs write it.
    const keys = Object.keys(o)
    where[field] = keys.length === 1 && keys[0] === '$eq' ? o.$eq : o
  }
  return where
}

/** A filter as a chip's text: `score > 3`. */
export function filterLabel(f: Filter): string {
  if (f.op === 'relatedTo') return `in ${f.owner?.className}.${f.field} of ${f.owner?.objectId}`
  return needsValue(f.op) ? `${f.field} ${OP_LABELS[f.op]} ${f.value}` : `${f.field} ${OP_LABELS[f.op]}`
}

// ---------------------------------------------------------------------------------------------
// Sorting and keyset paging

export interface Sort {
  field: string
  desc: boolean
}

/** The default sort: newest first, as Parse Dashboard shows a class. */
export const DEFAULT_SORT: Sort = { field: 'createdAt', desc: true }

/** Parse's `order` for a sort, with objectId as the tie-breaker that makes it total. */
export function orderOf(sort: Sort): string {
  const d = sort.desc ? '-' : ''
  return sort.field === 'objectId' ? `${d}objectId` : `${d}${sort.field},${d}objectId`
}

/** The reverse order (to read backwards from a row). */
export function reverseOrderOf(sort: Sort): string {
  return orderOf({ ...sort, desc: !sort.desc })
}

/** The value of `row`'s sort field as Parse compares it (dates as Date objects), or null. */
export function sortValue(row: ParseObject, field: string): unknown {
  const v = row[field]
  if (v === undefined || v === null) return null
  if ((field === 'createdAt' || field === 'updatedAt') && typeof v === 'string') return { __type: 'Date', iso: v }
  return v
}

/**
 * The condition for the rows after `row` in the sort (`forward`) or before it (`!forward`), in
 * Parse operators. Nulls sort first in an ascending order and last in a descending one (as the
 * server sorts them), so a row whose sort value is missing has the other missing ones and then
 * all the others on one side. `nullable` is false for fields that are never missing (objectId,
 * createdAt, updatedAt), which keeps the condition a simple range the database can use an index
 * for.
 */
export function keysetCondition(sort: Sort, row: ParseObject, forward: boolean): Record<string, unknown> {
  const id = row.objectId
  // "up": towards larger values.
  const up = forward !== sort.desc
  const gt = up ? '$gt' : '$lt'
  const gte = up ? '$gte' : '$lte'
  if (sort.field === 'objectId') return { objectId: { [gt]: id } }
  const f = sort.field
  const nullable = f !== 'createdAt' && f !== 'updatedAt'
  const v = sortValue(row, f)
  if (v === null) {
    const sameNull = { [f]: { $exists: false }, objectId: { [gt]: id } }
    return up ? { $or: [sameNull, { [f]: { $exists: true } }] } : sameNull
  }
  if (typeof v === 'boolean') {
    // Booleans sort false before true and take no range operators: the rows after are those
    // with the other value on that side, and those with the same value past the tie-breaker.
    const same = { [f]: v, objectId: { [gt]: id } }
    const other = v === !up ? [{ [f]: up }] : []
    return { $or: [...other, same, ...(up ? [] : [{ [f]: { $exists: false } }])] }
  }
  if (up || !nullable) {
    // A range on the field (index-friendly) narrowed by the tie-breaker.
    return { [f]: { [gte]: v }, $or: [{ [f]: { [gt]: v } }, { objectId: { [gt]: id } }] }
  }
  return { $or: [{ [f]: { [gt]: v } }, { [f]: v, objectId: { [gt]: id } }, { [f]: { $exists: false } }] }
}

/** `base` and `extra` both holding. */
export function andWhere(base: Record<string, unknown>, extra: Record<string, unknown> | null): Record<string, unknown> {
  if (!extra) return base
  if (Object.keys(base).length === 0) return extra
  return { $and: [base, extra] }
}

/** Whether an index serves a sort on `field`: every class has one on createdAt, updatedAt and
 * objectId; else a schema index that starts with the field, or holds only the field and objectId
 * (the server lists an index's fields in alphabetical order). */
export function hasIndexFor(schema: ClassSchema, field: string): boolean {
  if (field === 'createdAt' || field === 'updatedAt' || field === 'objectId') return true
  return Object.values(schema.indexes ?? {}).some((spec) => {
    const keys = Object.keys(spec)
    return keys[0] === field || (keys.includes(field) && keys.every((k) => k === field || k === 'objectId'))
  })
}
