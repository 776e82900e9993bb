// Class-level permissions: one operation's entry as the editor shows it, back to Parse's shape,
// and what it means in plain words. Pure: tested in clp.test.ts.

export const CLP_OPS = ['find', 'get', 'count', 'create', 'update', 'delete', 'addField'] as const
export type ClpOp = (typeof CLP_OPS)[number]

const VERBS: Record<ClpOp, string> = {
  find: 'query this class (list and search its objects)',
  get: 'fetch one object by its objectId',
  count: 'count its objects',
  create: 'create objects in it',
  update: 'change its objects',
  delete: 'delete its objects',
  addField: 'add a new column by saving an object with a field the class does not have',
}

/** One operation's permission as edited: who, in separate parts. */
export interface OpPermission {
  public: boolean
  requiresAuthentication: boolean
  /** User objectIds and `role:Name` entries. */
  entries: string[]
  /** Pointer fields (to _User, or arrays of them) naming the users allowed on each object. */
  pointerFields: string[]
}

export function readOp(v: unknown): OpPermission {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>
  return {
    public: o['*'] === true,
    requiresAuthentication: o.requiresAuthentication === true,
    entries: Object.keys(o).filter((k) => k !== '*' && k !== 'requiresAuthentication' && k !== 'pointerFields' && o[k] === true),
    pointerFields: Array.isArray(o.pointerFields) ? o.pointerFields.map(String) : [],
  }
}

export function writeOp(p: OpPermission): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (p.public) out['*'] = true
  if (p.requiresAuthentication) out.requiresAuthentication = true
  for (const e of p.entries) if (e.trim()) out[e.trim()] = true
  if (p.pointerFields.length) out.pointerFields = p.pointerFields
  return out
}

/** "role:Admin, abc123" → entries. */
export function parseList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
}

/** What the permission does, in a sentence. */
export function explain(op: ClpOp, p: OpPermission): string {
  const verb = VERBS[op]
  if (p.public) {
    if (p.requiresAuthentication) return `Any signed-in user can ${verb}; clients without a session are refused.`
    return `Anyone with the app's client keys can ${verb}, signed in or not${op === 'update' || op === 'delete' ? ' (each object\'s ACL still applies)' : ''}.`
  }
  const who: string[] = []
  if (p.requiresAuthentication) who.push('signed-in users')
  const users = p.entries.filter((e) => !e.startsWith('role:'))
  const roles = p.entries.filter((e) => e.startsWith('role:')).map((e) => e.slice(5))
  if (users.length) who.push(`the user${users.length > 1 ? 's' : ''} ${users.join(', ')}`)
  if (roles.length) who.push(`members of the role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}`)
  if (p.pointerFields.length) who.push(`the users each object's ${p.pointerFields.join(' or ')} field points to`)
  if (!who.length) return `Only the master key (and this dashboard) can ${verb}: every client is refused.`
  return `Only ${joinWords(who)} can ${verb}; everyone else is refused (the master key always can).`
}

function joinWords(parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`
}

/** Protected fields: scope (`*`, `authenticated`, `role:X`, a user id, `userField:owner`) → fields. */
export function readProtected(v: unknown): { scope: string; fields: string[] }[] {
  if (!v || typeof v !== 'object') return []
  return Object.entries(v as Record<string, unknown>).map(([scope, fields]) => ({ scope, fields: Array.isArray(fields) ? fields.map(String) : [] }))
}

export function writeProtected(rows: { scope: string; fields: string[] }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const r of rows) if (r.scope.trim()) out[r.scope.trim()] = r.fields
  return out
}

export function explainProtected(scope: string, fields: string[]): string {
  if (!fields.length) return 'No field is hidden from this scope yet.'
  const list = fields.join(', ')
  const who =
    scope === '*'
      ? 'everyone'
      : scope === 'authenticated'
        ? 'signed-in users'
        : scope.startsWith('role:')
          ? `members of ${scope.slice(5)}`
          : scope.startsWith('userField:')
            ? `the user in each object's ${scope.slice(10)} field`
            : `user ${scope}`
  return `${list} ${fields.length === 1 ? 'is' : 'are'} hidden from ${who} in every answer (the master key sees all).`
}
