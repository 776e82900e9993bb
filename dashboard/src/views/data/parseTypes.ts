// Parse's schema and object shapes as the data browser and the schema view read them, and how a
// value is shown in a cell.

export const FIELD_TYPES = [
  'String',
  'Number',
  'Boolean',
  'Date',
  'Object',
  'Array',
  'Pointer',
  'Relation',
  'File',
  'GeoPoint',
  'Polygon',
  'Bytes',
  'ACL',
] as const
export type FieldType = (typeof FIELD_TYPES)[number]

export interface FieldDef {
  type: FieldType
  targetClass?: string
  required?: boolean
  defaultValue?: unknown
}

export type Clp = Record<string, unknown>

export interface ClassSchema {
  className: string
  fields: Record<string, FieldDef>
  classLevelPermissions?: Clp
  indexes?: Record<string, Record<string, unknown>>
}

export type ParseObject = Record<string, unknown> & { objectId: string; createdAt?: string; updatedAt?: string }

/** Fields every object has, kept apart from the others in the grid (first, fixed order). */
export const BUILTIN = ['objectId', 'createdAt', 'updatedAt', 'ACL'] as const

/** Fields the server writes itself: never edited in a cell. */
export const READ_ONLY = new Set(['objectId', 'createdAt', 'updatedAt'])

/** The columns of a class in the grid's order: objectId, the class's own fields, dates, ACL. */
export function columnsOf(schema: ClassSchema): { name: string; def: FieldDef }[] {
  const fields = schema.fields ?? {}
  const own = Object.keys(fields)
    .filter((k) => !(BUILTIN as readonly string[]).includes(k))
    .sort((a, b) => a.localeCompare(b))
  const def = (name: string, fallback: FieldType): FieldDef => fields[name] ?? { type: fallback }
  return [
    { name: 'objectId', def: def('objectId', 'String') },
    ...own.map((name) => ({ name, def: fields[name] })),
    { name: 'createdAt', def: def('createdAt', 'Date') },
    { name: 'updatedAt', def: def('updatedAt', 'Date') },
    { name: 'ACL', def: def('ACL', 'ACL') },
  ]
}

/** A type as the grid's header shows it: `Pointer<_User>`. */
export function typeLabel(def: FieldDef): string {
  return def.targetClass ? `${def.type}<${def.targetClass}>` : def.type
}

/** A value as one line of a cell. */
export function formatValue(value: unknown, def?: FieldDef): string {
  if (value === undefined) return ''
  if (value === null) return 'null'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>
    switch (v.__type) {
      case 'Date':
        return formatDate(String(v.iso))
      case 'Pointer':
        return String(v.objectId)
      case 'File':
        return String(v.name ?? '')
      case 'GeoPoint':
        return `(${v.latitude}, ${v.longitude})`
      case 'Relation':
        return `Relation<${v.className ?? def?.targetClass ?? ''}>`
      case 'Bytes':
        return `Bytes(${String(v.base64 ?? '').length} b64)`
      case 'Polygon':
        return `Polygon(${Array.isArray(v.coordinates) ? v.coordinates.length : 0} points)`
    }
    if (def?.type === 'ACL') return aclSummary(v)
  }
  return JSON.stringify(value)
}

/** A date (ISO 8601) as `2026-12-07 03:50:12.345Z`: sortable, unambiguous. */
export function formatDate(iso: string): string {
  if (!iso) return ''
  return iso.replace('T', ' ')
}

/** An ACL in a few words: `Public read, 2 users, 1 role`. */
export function aclSummary(acl: Record<string, unknown>): string {
  const parts: string[] = []
  const pub = acl['*'] as { read?: boolean; write?: boolean } | undefined
  if (pub?.read && pub?.write) parts.push('Public read+write')
  else if (pub?.read) parts.push('Public read')
  else if (pub?.write) parts.push('Public write')
  const users = Object.keys(acl).filter((k) => k !== '*' && !k.startsWith('role:')).length
  const roles = Object.keys(acl).filter((k) => k.startsWith('role:')).length
  if (users) parts.push(`${users} user${users > 1 ? 's' : ''}`)
  if (roles) parts.push(`${roles} role${roles > 1 ? 's' : ''}`)
  return parts.length ? parts.join(', ') : 'Master key only'
}

/** Whether a column of this type can be sorted with keyset paging (see query.ts). */
export function sortable(name: string, def: FieldDef): boolean {
  if (name === 'objectId' || name === 'createdAt' || name === 'updatedAt') return true
  return def.type === 'String' || def.type === 'Number' || def.type === 'Date' || def.type === 'Boolean'
}
