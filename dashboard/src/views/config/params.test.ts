import { describe, expect, it } from 'vitest'
import { checkName, parseValue, preview, saveBody, toText, typeOf } from './params'

describe('config parameters', () => {
  it('knows the type of every stored value', () => {
    expect(typeOf('a')).toBe('string')
    expect(typeOf(1.5)).toBe('number')
    expect(typeOf(false)).toBe('boolean')
    expect(typeOf([1])).toBe('array')
    expect(typeOf({ __type: 'Date', iso: '2026-12-07T10:00:00.000Z' })).toBe('date')
    expect(typeOf({ a: 1 })).toBe('object')
    expect(typeOf({ __type: 'GeoPoint', latitude: 1, longitude: 2 })).toBe('object')
  })

  it('round-trips each type through the editor', () => {
    const values: [string, unknown][] = [
      ['string', 'hello'],
      ['number', 42.5],
      ['boolean', true],
      ['date', { __type: 'Date', iso: '2026-12-07T10:11:12.000Z' }],
      ['object', { a: [1, 2] }],
      ['array', ['x', 1]],
    ]
    for (const [type, value] of values) {
      const t = typeOf(value)
      expect(t).toBe(type)
      expect(parseValue(t, toText(t, value))).toEqual({ value })
    }
  })

  it('refuses what is not of the type, with a message for the field', () => {
    expect(parseValue('number', 'abc')).toHaveProperty('error')
    expect(parseValue('number', '')).toHaveProperty('error')
    expect(parseValue('object', '{a:1}')).toHaveProperty('error')
    expect(parseValue('object', '[1]')).toEqual({ error: 'A JSON object is expected ({...}).' })
    expect(parseValue('array', '{}')).toEqual({ error: 'A JSON array is expected ([...]).' })
    expect(parseValue('date', '')).toHaveProperty('error')
    expect(parseValue('date', 'not a date')).toEqual({ error: 'Not a date.' })
    expect(parseValue('date', '2026-12-07T10:00')).toEqual({ value: { __type: 'Date', iso: '2026-12-07T10:00:00.000Z' } })
  })

  it('checks names when adding', () => {
    expect(checkName('', [])).toBeTruthy()
    expect(checkName(' a', [])).toBeTruthy()
    expect(checkName('a', ['a'])).toMatch(/already/)
    expect(checkName('featureFlag', ['a'])).toBeUndefined()
  })

  it('saves a renamed parameter in one call', () => {
    expect(saveBody('b', 1, true, 'a')).toEqual({ params: { b: 1, a: { __op: 'Delete' } }, masterKeyOnly: { b: true } })
    expect(saveBody('b', 1, false, 'b')).toEqual({ params: { b: 1 }, masterKeyOnly: { b: false } })
  })

  it('previews values briefly', () => {
    expect(preview({ __type: 'Date', iso: '2026-12-07T10:11:12.000Z' })).toBe('2026-12-07 10:11:12 UTC')
    expect(preview('x'.repeat(200))).toHaveLength(118)
    expect(preview({ a: 1 })).toBe('{"a":1}')
  })
})
