import { describe, expect, it } from 'vitest'
import { NO_FILTERS, auditQuery, errorField, localToIso } from './query'

describe('auditQuery', () => {
  it('sends only the filters that are set', () => {
    expect(auditQuery(NO_FILTERS, 50)).toBe('?limit=50')
    expect(auditQuery({ ...NO_FILTERS, action: ' app. ', actor: 'a@b.c' }, 50, 123)).toBe('?limit=50&before=123&action=app.&actor=a%40b.c')
  })

  it('sends times in UTC', () => {
    const q = new URLSearchParams(auditQuery({ ...NO_FILTERS, from: '2026-12-07T10:00' }, 10).slice(1))
    expect(q.get('from')).toBe(new Date('2026-12-07T10:00').toISOString())
    expect(q.get('to')).toBeNull()
  })
})

describe('localToIso', () => {
  it('leaves text that is no date for the server to refuse', () => {
    expect(localToIso('soon')).toBe('soon')
  })
})

describe('errorField', () => {
  it('finds the filter a message is about', () => {
    expect(errorField('from must be before to')).toBe('from')
    expect(errorField('to must be a date and time in RFC 3339 form')).toBe('to')
    expect(errorField('limit must be between 1 and 1000')).toBe('other')
  })
})
