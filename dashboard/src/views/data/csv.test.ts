import { describe, expect, it } from 'vitest'
import { convert, csvField, inferColumn, inferValue, parseCsv, planCsvImport, planJsonImport, toCsv } from './csv'

describe('csv', () => {
  it('parses quotes, commas and newlines', () => {
    expect(parseCsv('a,b\r\n"x, y","he said ""hi"""\n1,"two\nlines"\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'he said "hi"'],
      ['1', 'two\nlines'],
    ])
    expect(() => parseCsv('a\n"open')).toThrow()
  })
  it('writes what it reads', () => {
    const text = toCsv(['objectId', 'n', 's', 'd', 'p'], [
      { objectId: 'a', n: 1, s: 'x,"y"', d: { __type: 'Date', iso: '2026-01-01T00:00:00.000Z' }, p: { __type: 'Pointer', className: 'C', objectId: 'z' } },
    ])
    expect(parseCsv(text)).toEqual([
      ['objectId', 'n', 's', 'd', 'p'],
      ['a', '1', 'x,"y"', '2026-01-01T00:00:00.000Z', 'z'],
    ])
    expect(csvField(' lead')).toBe('" lead"')
  })
})

describe('type inference', () => {
  it('infers one value', () => {
    expect(inferValue('12')).toBe('Number')
    expect(inferValue('-1.5e3')).toBe('Number')
    expect(inferValue('TRUE')).toBe('Boolean')
    expect(inferValue('2026-01-31')).toBe('Date')
    expect(inferValue('2026-01-31T10:00:00Z')).toBe('Date')
    expect(inferValue('[1,2]')).toBe('Array')
    expect(inferValue('{"a":1}')).toBe('Object')
    expect(inferValue('{"__type":"GeoPoint","latitude":1,"longitude":2}')).toBe('GeoPoint')
    expect(inferValue('{oops')).toBe('String')
    expect(inferValue('hello')).toBe('String')
    expect(inferValue('12abc')).toBe('String')
  })
  it('a column takes the type its non-empty values share, else String', () => {
    expect(inferColumn(['1', '', '2.5'])).toBe('Number')
    expect(inferColumn(['1', 'x'])).toBe('String')
    expect(inferColumn(['', ''])).toBe('String')
  })
  it('converts', () => {
    expect(convert('2026-01-31', 'Date')).toEqual({ __type: 'Date', iso: '2026-01-31T00:00:00.000Z' })
    expect(() => convert('x', 'Number')).toThrow('not a number')
    expect(() => convert('{', 'Object')).toThrow('not JSON')
  })
  it('plans a CSV import with per-row errors and the class types winning', () => {
    const plan = planCsvImport(parseCsv('name,score,at,objectId\nA,1,2026-01-01,zz\nB,oops,,\n'), {
      className: 'C',
      fields: { score: { type: 'Number' } },
    })
    expect(plan.columns.map((c) => [c.name, c.type, c.existing])).toEqual([
      ['name', 'String', false],
      ['score', 'Number', true],
      ['at', 'Date', false],
      ['objectId', 'String', false],
    ])
    expect(plan.objects).toEqual([{ line: 2, body: { name: 'A', score: 1, at: { __type: 'Date', iso: '2026-01-01T00:00:00.000Z' } } }])
    expect(plan.errors).toEqual([{ line: 3, message: 'score: "oops" is not a number' }])
  })
  it('plans a JSON import', () => {
    const plan = planJsonImport({ results: [{ objectId: 'x', a: 1, b: { __type: 'Date', iso: 'z' } }, 5] }, undefined)
    expect(plan.columns).toEqual([
      { name: 'a', type: 'Number', existing: false },
      { name: 'b', type: 'Date', existing: false },
    ])
    expect(plan.objects.length).toBe(1)
    expect(plan.errors).toEqual([{ line: 2, message: 'not an object' }])
    expect(() => planJsonImport({ a: 1 }, undefined)).toThrow()
  })
})
