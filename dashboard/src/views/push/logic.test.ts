import { describe, expect, it } from 'vitest'
import { buildPush, countWhere, EMPTY_COMPOSE, errorOf, instantOf, messageSummary, parseChannels, parseServiceAccount, perKey, statusTone, targetSummary, wallClockOf, type Compose } from './logic'

const form = (over: Partial<Compose>): Compose => ({ ...EMPTY_COMPOSE, alert: 'Hello', target: { kind: 'channels', channels: ['news'] }, ...over })

describe('parseChannels', () => {
  it('splits on commas and spaces, without blanks or repeats', () => {
    expect(parseChannels(' news, sports ,,news  weather')).toEqual(['news', 'sports', 'weather'])
    expect(parseChannels('  ')).toEqual([])
  })
})

describe('countWhere', () => {
  it('counts only installations with a token', () => {
    expect(countWhere({ kind: 'everyone' })).toEqual({ deviceToken: { $exists: true } })
    expect(countWhere({ kind: 'channels', channels: ['a', 'b'] })).toEqual({ channels: { $in: ['a', 'b'] }, deviceToken: { $exists: true } })
    expect(countWhere({ kind: 'query', where: { deviceType: 'ios' } })).toEqual({ deviceType: 'ios', deviceToken: { $exists: true } })
  })
  it('leaves a query that names deviceToken as it is', () => {
    expect(countWhere({ kind: 'query', where: { deviceToken: 'abc' } })).toEqual({ deviceToken: 'abc' })
  })
})

describe('buildPush', () => {
  it('sends channels, or a where for everyone and for filters', () => {
    expect(buildPush(form({}))).toEqual({ ok: true, body: { channels: ['news'], data: { alert: 'Hello' } } })
    expect(buildPush(form({ target: { kind: 'everyone' } }))).toEqual({ ok: true, body: { where: {}, data: { alert: 'Hello' } } })
    expect(buildPush(form({ target: { kind: 'query', where: { deviceType: 'ios' } } }))).toEqual({ ok: true, body: { where: { deviceType: 'ios' }, data: { alert: 'Hello' } } })
  })
  it('asks for a channel and for something to send', () => {
    expect(buildPush(form({ target: { kind: 'channels', channels: [] } }))).toMatchObject({ ok: false, field: 'target' })
    expect(buildPush(form({ alert: '  ' }))).toMatchObject({ ok: false, field: 'alert' })
  })
  it('puts title, sound, badge and custom keys in data', () => {
    const b = buildPush(form({ title: 'T', sound: ' default ', badge: { kind: 'increment' }, custom: '{"uri": "app://x", "alert": "overridden"}' }))
    expect(b).toEqual({ ok: true, body: { channels: ['news'], data: { uri: 'app://x', alert: 'Hello', title: 'T', sound: 'default', badge: 'Increment' } } })
    expect(buildPush(form({ badge: { kind: 'set', value: '3' } }))).toMatchObject({ ok: true, body: { data: { badge: 3 } } })
  })
  it('refuses a bad badge and custom keys that are not a JSON object', () => {
    for (const value of ['', '-1', '1.5', 'x']) expect(buildPush(form({ badge: { kind: 'set', value } }))).toMatchObject({ ok: false, field: 'badge' })
    expect(buildPush(form({ custom: '{uri: 1}' }))).toMatchObject({ ok: false, field: 'custom' })
    expect(buildPush(form({ custom: '[1]' }))).toMatchObject({ ok: false, field: 'custom' })
  })
  it('allows a silent push of custom keys only', () => {
    expect(buildPush(form({ alert: '', custom: '{"content-available": 1}' }))).toEqual({ ok: true, body: { channels: ['news'], data: { 'content-available': 1 } } })
  })
  it('schedules at an instant, or at a wall clock time without a zone', () => {
    const at = buildPush(form({ schedule: { kind: 'at', local: '2030-01-02T09:30' } }))
    expect(at).toMatchObject({ ok: true, body: { push_time: new Date('2030-01-02T09:30').toISOString() } })
    expect(buildPush(form({ schedule: { kind: 'local', local: '2030-01-02T09:30' } }))).toMatchObject({ ok: true, body: { push_time: '2030-01-02T09:30:00' } })
    expect(buildPush(form({ schedule: { kind: 'at', local: '' } }))).toMatchObject({ ok: false, field: 'schedule' })
  })
  it('expires at an instant or after an interval in seconds', () => {
    expect(buildPush(form({ expiry: { kind: 'after', amount: '2', unit: 'hours' } }))).toMatchObject({ ok: true, body: { expiration_interval: 7200 } })
    expect(buildPush(form({ expiry: { kind: 'at', local: '2030-01-02T10:00' } }))).toMatchObject({ ok: true, body: { expiration_time: new Date('2030-01-02T10:00').toISOString() } })
    expect(buildPush(form({ expiry: { kind: 'after', amount: '0', unit: 'days' } }))).toMatchObject({ ok: false, field: 'expiry' })
  })
})

describe('times', () => {
  it('reads datetime-local values only', () => {
    expect(instantOf('nonsense')).toBeNull()
    expect(wallClockOf('2030-01-02T09:30:15')).toBe('2030-01-02T09:30:15')
    expect(wallClockOf('2030-01-02')).toBeNull()
  })
})

describe('history summaries', () => {
  const base = { objectId: 'p1', createdAt: '2026-12-07T10:00:00.000Z' }
  it('names the audience without the server’s token condition', () => {
    expect(targetSummary({ ...base, query: '{"channels":{"$in":["news","sports"]},"deviceToken":{"$exists":true}}' })).toBe('channels news, sports')
    expect(targetSummary({ ...base, query: '{"deviceToken":{"$exists":true}}' })).toBe('everyone')
    expect(targetSummary({ ...base, query: '{}' })).toBe('everyone')
    expect(targetSummary({ ...base, query: '{"deviceType":"ios"}' })).toBe('{"deviceType":"ios"}')
    expect(targetSummary({ ...base, query: 'not json' })).toBe('not json')
  })
  it('shows the alert, else the title, else the keys', () => {
    expect(messageSummary({ ...base, payload: '{"alert":"Hi","badge":"Increment"}' })).toBe('Hi')
    expect(messageSummary({ ...base, payload: '{"title":"T"}' })).toBe('T')
    expect(messageSummary({ ...base, payload: '{"content-available":1}' })).toBe('silent: content-available')
  })
  it('lists counts largest first and skips zeros', () => {
    expect(perKey({ android: 1, ios: 3, web: 0 })).toBe('ios 3 · android 1')
    expect(perKey(undefined)).toBe('')
  })
  it('colours statuses and reads error messages', () => {
    expect(['scheduled', 'pending', 'running', 'succeeded', 'failed'].map(statusTone)).toEqual(['wait', 'warn', 'run', 'ok', 'danger'])
    expect(errorOf({ ...base, errorMessage: { message: 'Missing push configuration' } })).toBe('Missing push configuration')
    expect(errorOf({ ...base, errorMessage: 'boom' })).toBe('boom')
    expect(errorOf(base)).toBeNull()
  })
})

describe('parseServiceAccount', () => {
  it('takes a service-account object and refuses anything else', () => {
    expect(parseServiceAccount('{"type":"service_account","project_id":"p"}')).toEqual({ ok: true, value: { type: 'service_account', project_id: 'p' } })
    expect(parseServiceAccount('{"type":"authorized_user"}').ok).toBe(false)
    expect(parseServiceAccount('-----BEGIN').ok).toBe(false)
    expect(parseServiceAccount('[]').ok).toBe(false)
  })
})
