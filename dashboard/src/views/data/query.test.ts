import { describe, expect, it } from 'vitest'
import { andWhere, buildWhere, FilterError, hasIndexFor, keysetCondition, orderOf, reverseOrderOf } from './query'
import type { ClassSchema } from './parseTypes'

const schema: ClassSchema = {
  className: 'Game',
  fields: {
    score: { type: 'Number' },
    name: { type: 'String' },
    done: { type: 'Boolean' },
    at: { type: 'Date' },
    owner: { type: 'Pointer', targetClass: '_User' },
    tags: { type: 'Array' },
  },
}

describe('buildWhere', () => {
  it('writes one equality plainly and merges operators on one field', () => {
    expect(buildWhere([{ field: 'name', op: 'eq', value: 'x' }], schema)).toEqual({ name: 'x' })
    expect(
      buildWhere(
        [
          { field: 'score', op: 'gt', value: '3' },
          { field: 'score', op: 'lte', value: '10' },
        ],
        schema,
      ),
    ).toEqual({ score: { $gt: 3, $lte: 10 } })
  })
  it('coerces values by the field type', () => {
    expect(buildWhere([{ field: 'done', op: 'eq', value: 'true' }], schema)).toEqual({ done: true })
    expect(buildWhere([{ field: 'at', op: 'lt', value: '2026-01-02' }], schema)).toEqual({ at: { $lt: { __type: 'Date', iso: '2026-01-02T00:00:00.000Z' } } })
    expect(buildWhere([{ field: 'owner', op: 'eq', value: 'u1' }], schema)).toEqual({ owner: { __type: 'Pointer', className: '_User', objectId: 'u1' } })
    expect(buildWhere([{ field: 'score', op: 'in', value: '1, 2,3' }], schema)).toEqual({ score: { $in: [1, 2, 3] } })
    expect(buildWhere([{ field: 'tags', op: 'in', value: 'a,b' }], schema)).toEqual({ tags: { $in: ['a', 'b'] } })
    expect(buildWhere([{ field: 'createdAt', op: 'gte', value: '2026-01-01T00:00:00Z' }], schema)).toEqual({
      createdAt: { $gte: { __type: 'Date', iso: '2026-01-01T00:00:00.000Z' } },
    })
  })
  it('escapes contains and starts with', () => {
    expect(buildWhere([{ field: 'name', op: 'contains', value: 'a.b' }], schema)).toEqual({ name: { $regex: 'a\\.b' } })
    expect(buildWhere([{ field: 'name', op: 'startsWith', value: '(x' }], schema)).toEqual({ name: { $regex: '^\\(x' } })
  })
  it('exists, not exists, ne, relatedTo', () => {
    expect(
      buildWhere(
        [
          { field: 'name', op: 'exists' },
          { field: 'score', op: 'notExists' },
          { field: 'done', op: 'ne', value: 'false' },
        ],
        schema,
      ),
    ).toEqual({ name: { $exists: true }, score: { $exists: false }, done: { $ne: false } })
    expect(buildWhere([{ field: 'players', op: 'relatedTo', owner: { className: 'Team', objectId: 't1' } }], schema)).toEqual({
      $relatedTo: { object: { __type: 'Pointer', className: 'Team', objectId: 't1' }, key: 'players' },
    })
  })
  it('refuses values that do not fit', () => {
    expect(() => buildWhere([{ field: 'score', op: 'gt', value: 'abc' }], schema)).toThrow(FilterError)
    expect(() => buildWhere([{ field: 'done', op: 'eq', value: 'yes' }], schema)).toThrow(FilterError)
    expect(() => buildWhere([{ field: 'at', op: 'eq', value: 'soon' }], schema)).toThrow(FilterError)
    expect(() => buildWhere([{ field: 'name', op: 'regex', value: '(' }], schema)).toThrow(FilterError)
  })
})

describe('keyset paging', () => {
  const row = { objectId: 'm', createdAt: '2026-01-01T00:00:00.000Z', score: 5 }
  it('orders with objectId as tie-breaker', () => {
    expect(orderOf({ field: 'createdAt', desc: true })).toBe('-createdAt,-objectId')
    expect(reverseOrderOf({ field: 'createdAt', desc: true })).toBe('createdAt,objectId')
    expect(orderOf({ field: 'objectId', desc: false })).toBe('objectId')
  })
  it('objectId alone', () => {
    expect(keysetCondition({ field: 'objectId', desc: false }, row, true)).toEqual({ objectId: { $gt: 'm' } })
    expect(keysetCondition({ field: 'objectId', desc: true }, row, true)).toEqual({ objectId: { $lt: 'm' } })
    expect(keysetCondition({ field: 'objectId', desc: true }, row, false)).toEqual({ objectId: { $gt: 'm' } })
  })
  it('a boolean: equalities only, false before true, missing values first ascending and last descending', () => {
    const f = { ...row, done: false }
    const t = { ...row, done: true }
    // Ascending, forward: after false come the other falses past the tie-breaker, then every true.
    expect(keysetCondition({ field: 'done', desc: false }, f, true)).toEqual({ $or: [{ done: true }, { done: false, objectId: { $gt: 'm' } }] })
    expect(keysetCondition({ field: 'done', desc: false }, t, true)).toEqual({ $or: [{ done: true, objectId: { $gt: 'm' } }] })
    // Descending, forward: after true come the falses and the missing ones.
    expect(keysetCondition({ field: 'done', desc: true }, t, true)).toEqual({
      $or: [{ done: false }, { done: true, objectId: { $lt: 'm' } }, { done: { $exists: false } }],
    })
    expect(keysetCondition({ field: 'done', desc: true }, f, true)).toEqual({ $or: [{ done: false, objectId: { $lt: 'm' } }, { done: { $exists: false } }] })
  })
  it('a date, newest first: a range narrowed by the tie-breaker', () => {
    const d = { __type: 'Date', iso: row.createdAt }
    expect(keysetCondition({ field: 'createdAt', desc: true }, row, true)).toEqual({
      createdAt: { $lte: d },
      $or: [{ createdAt: { $lt: d } }, { objectId: { $lt: 'm' } }],
    })
    expect(keysetCondition({ field: 'createdAt', desc: true }, row, false)).toEqual({
      createdAt: { $gte: d },
      $or: [{ createdAt: { $gt: d } }, { objectId: { $gt: 'm' } }],
    })
  })
  it('a nullable field: nulls first ascending, last descending', () => {
    expect(keysetCondition({ field: 'score', desc: false }, row, true)).toEqual({ score: { $gte: 5 }, $or: [{ score: { $gt: 5 } }, { objectId: { $gt: 'm' } }] })
    expect(keysetCondition({ field: 'score', desc: true }, row, true)).toEqual({
      $or: [{ score: { $lt: 5 } }, { score: 5, objectId: { $lt: 'm' } }, { score: { $exists: false } }],
    })
    const none = { objectId: 'n' }
    expect(keysetCondition({ field: 'score', desc: false }, none, true)).toEqual({
      $or: [{ score: { $exists: false }, objectId: { $gt: 'n' } }, { score: { $exists: true } }],
    })
    expect(keysetCondition({ field: 'score', desc: true }, none, true)).toEqual({ score: { $exists: false }, objectId: { $lt: 'n' } })
  })
  it('and', () => {
    expect(andWhere({}, { a: 1 })).toEqual({ a: 1 })
    expect(andWhere({ b: 2 }, null)).toEqual({ b: 2 })
    expect(andWhere({ b: 2 }, { a: 1 })).toEqual({ $and: [{ b: 2 }, { a: 1 }] })
  })
})

describe('indexes that serve a sort', () => {
  it('starts with the field, or holds only it and objectId in any order', () => {
    const s = (indexes: Record<string, Record<string, unknown>>): ClassSchema => ({ className: 'C', fields: {}, indexes })
    expect(hasIndexFor(s({ _id_: { _id: 1 } }), 'createdAt')).toBe(true)
    expect(hasIndexFor(s({ _id_: { _id: 1 } }), 'score')).toBe(false)
    expect(hasIndexFor(s({ i: { createdAt: -1, objectId: -1 } }), 'createdAt')).toBe(true)
    expect(hasIndexFor(s({ i: { objectId: -1, createdAt: -1 } }), 'createdAt')).toBe(true)
    expect(hasIndexFor(s({ i: { name: 1, score: 1 } }), 'score')).toBe(false)
    expect(hasIndexFor(s({ i: { score: 1 } }), 'score')).toBe(true)
  })
})
