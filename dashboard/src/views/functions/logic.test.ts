import { describe, expect, it } from 'vitest'
import { CUSTOM, fieldOf, formatMicros, logParams, parseParams, shortTypeText, sourcesOf, TYPE_TEXT_MAX, typeText } from './logic'

describe('parseParams', () => {
  it('takes empty text as {}', () => {
    expect(parseParams('  ')).toEqual({ ok: true, value: {} })
  })
  it('takes an object', () => {
    expect(parseParams('{"name":"Ada"}')).toEqual({ ok: true, value: { name: 'Ada' } })
  })
  it('refuses invalid JSON and what is not an object', () => {
    const bad = parseParams('{name: Ada}')
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error).toMatch(/^Invalid JSON/)
    for (const t of ['[1]', '3', 'null', '"x"']) expect(parseParams(t).ok).toBe(false)
  })
})

describe('fieldOf', () => {
  const fields: [string, string][] = [['cron', 'cron'], ['job', 'job'], ['url', 'url']]
  it('finds the first field the message names', () => {
    expect(fieldOf('cron expression "x" has 1 fields', fields)).toBe('cron')
    expect(fieldOf('job must be a job\'s name', fields)).toBe('job')
    expect(fieldOf('invalid webhook URL "ftp://x": only https', fields)).toBe('url')
  })
  it('leaves other errors to the form', () => {
    expect(fieldOf('an app has at most 100 schedules', fields)).toBeUndefined()
    expect(fieldOf(undefined, fields)).toBeUndefined()
  })
})

describe('logParams', () => {
  it('sends only the filters set', () => {
    const now = new Date('2026-01-01T01:00:00.000Z')
    expect(logParams({ level: '', source: '', minutes: 0 }, now)).toEqual({
      level: undefined, source: undefined, since: undefined, until: undefined, requestId: undefined, before: undefined, limit: 200,
    })
    const p = logParams({ level: 'error', source: 'function:hello', minutes: 60, requestId: 'r1', limit: 50 }, now)
    expect(p).toMatchObject({ level: 'error', source: 'function:hello', since: '2026-01-01T00:00:00.000Z', requestId: 'r1', limit: 50 })
  })
})

describe('a custom time range', () => {
  it('sends both ends as instants, and leaves out an empty or invalid one', () => {
    const now = new Date()
    const p = logParams({ level: '', source: '', minutes: CUSTOM, from: '2026-01-01T10:00', until: '' }, now)
    expect(p.since).toBe(new Date('2026-01-01T10:00').toISOString())
    expect(p.until).toBeUndefined()
    expect(logParams({ level: '', source: '', minutes: CUSTOM, from: 'nonsense' }, now).since).toBeUndefined()
  })
})

describe('formatting', () => {
  it('formats durations', () => {
    expect(formatMicros(12)).toBe('12 µs')
    expect(formatMicros(1500)).toBe('1.50 ms')
    expect(formatMicros(250_000)).toBe('250.0 ms')
    expect(formatMicros(2_500_000)).toBe('2.50 s')
  })
  it('lists the sources of a manifest', () => {
    expect(sourcesOf({ functions: ['a'], jobs: ['j'], triggers: ['beforeSave:X'] })).toEqual(['function:a', 'job:j', 'beforeSave:X'])
  })
})

describe('typeText', () => {
  it('spells objects with their required properties first, each group by name', () => {
    const params = {
      type: 'object',
      properties: { bonus: { type: 'number' }, zone: { type: 'string' }, playerId: { type: 'string' }, at: { type: 'string' } },
      required: ['zone', 'playerId'],
      additionalProperties: false,
    }
    expect(typeText(params)).toBe('{ playerId: string; zone: string; at?: string; bonus?: number }')
  })
  it('spells arrays, enums, nullable types and maps', () => {
    expect(typeText({ type: 'array', items: { type: 'string', enum: ['a', 'b'] } })).toBe('("a" | "b")[]')
    expect(typeText({ type: ['integer', 'null'] })).toBe('integer | null')
    expect(typeText({ type: 'object', additionalProperties: { type: 'boolean' } })).toBe('{ [key: string]: boolean }')
    expect(typeText({ type: 'object' })).toBe('object')
  })
  it('writes any where no type is declared, and stops spelling deep objects', () => {
    expect(typeText(undefined)).toBe('any')
    expect(typeText({ description: 'x' })).toBe('any')
    let deep: unknown = { type: 'string' }
    for (let i = 0; i < 5; i++) deep = { type: 'object', properties: { a: deep }, required: ['a'] }
    expect(typeText(deep)).toBe('{ a: { a: { a: {…} } } }')
  })
  it('quotes property names that are not identifiers', () => {
    expect(typeText({ type: 'object', properties: { 'say "hi"': { type: 'string' }, ok: { type: 'string' } } })).toBe('{ ok?: string; "say \\"hi\\""?: string }')
  })
})

describe('shortTypeText', () => {
  it('cuts long enums and wide objects to TYPE_TEXT_MAX characters, the last one …', () => {
    const values = Array.from({ length: 1000 }, (_, i) => `value${i}`)
    const long = shortTypeText({ type: 'array', items: { type: 'string', enum: values } })
    expect(long.length).toBe(TYPE_TEXT_MAX)
    expect(long.startsWith('("value0" | "value1"')).toBe(true)
    expect(long.endsWith('…')).toBe(true)
    const props = Object.fromEntries(values.map((v) => [v, { type: 'object', additionalProperties: { type: 'string' } }]))
    expect(shortTypeText({ type: 'object', properties: props }).length).toBe(TYPE_TEXT_MAX)
    expect(shortTypeText({ type: 'string' })).toBe('string')
  })
})
