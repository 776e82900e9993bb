// Queries of the users and roles views: keyset pages of users (newest first), search by
// username or email, pointers.

/** A Parse pointer. */
export function pointer(className: string, objectId: string) {
  return { __type: 'Pointer', className, objectId }
}

/** `text` as a regular expression matching it literally. */
export function regexEscaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The last row of a page: where the next page starts. */
export interface Cursor {
  createdAt: string
  objectId: string
}

/**
 * The `where` of a page of users, newest first: those after `cursor` (older, or as old with a
 * smaller id) whose username or email contains `search` (any case).
 */
export function usersWhere(search: string, cursor?: Cursor): Record<string, unknown> {
  const parts: Record<string, unknown>[] = []
  const q = search.trim()
  if (q) {
    const re = { $regex: regexEscaped(q), $options: 'i' }
    parts.push({ $or: [{ username: re }, { email: re }] })
  }
  if (cursor) {
    const at = { __type: 'Date', iso: cursor.createdAt }
    parts.push({ $or: [{ createdAt: { $lt: at } }, { createdAt: at, objectId: { $lt: cursor.objectId } }] })
  }
  if (parts.length === 0) return {}
  if (parts.length === 1) return parts[0]
  return { $and: parts }
}

/** Users of a role (`key` "users") or its child roles (`key` "roles"). */
export function relatedTo(roleId: string, key: 'users' | 'roles') {
  return { $relatedTo: { object: pointer('_Role', roleId), key } }
}

/** A Relation operation adding or removing `objects` (pointers) on a relation field. */
export function relationOp(add: boolean, className: string, ids: string[]) {
  return { __op: add ? 'AddRelation' : 'RemoveRelation', objects: ids.map((id) => pointer(className, id)) }
}
