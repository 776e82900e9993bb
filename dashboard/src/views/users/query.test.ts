import { describe, expect, it } from 'vitest'
import { regexEscaped, relationOp, usersWhere } from './query'

describe('usersWhere', () => {
  it('is empty without search or cursor', () => {
    expect(usersWhere('  ')).toEqual({})
  })
  it('searches username and email literally, any case', () => {
    expect(usersWhere('a.b+')).toEqual({
      $or: [{ username: { $regex: 'a\\.b\\+', $options: 'i' } }, { email: { $regex: 'a\\.b\\+', $options: 'i' } }],
    })
  })
  it('pages by createdAt then objectId, and combines with a search', () => {
    const at = { __type: 'Date', iso: '2026-01-01T00:00:00.000Z' }
    const page = { $or: [{ createdAt: { $lt: at } }, { createdAt: at, objectId: { $lt: 'x9' } }] }
    expect(usersWhere('', { createdAt: at.iso, objectId: 'x9' })).toEqual(page)
    const both = usersWhere('ann', { createdAt: at.iso, objectId: 'x9' }) as { $and: unknown[] }
    expect(both.$and).toHaveLength(2)
    expect(both.$and[1]).toEqual(page)
  })
})

describe('relations', () => {
  it('escapes every regex character', () => {
    expect(regexEscaped('(a)[b]{c}*?^$|\\')).toBe('\\(a\\)\\[b\\]\\{c\\}\\*\\?\\^\\$\\|\\\\')
  })
  it('builds AddRelation and RemoveRelation', () => {
    expect(relationOp(true, '_User', ['u1'])).toEqual({ __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: 'u1' }] })
    expect(relationOp(false, '_Role', ['r1']).__op).toBe('RemoveRelation')
  })
})
