import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, CSRF_HEADER, admin, parse, qs } from './api'

describe('qs', () => {
  it('encodes objects as JSON and skips empty values', () => {
    expect(qs({ where: { a: { $gt: 1 } }, limit: 10, keys: '', order: undefined })).toBe(
      `?where=${encodeURIComponent('{"a":{"$gt":1}}')}&limit=10`,
    )
    expect(qs({})).toBe('')
  })
})

describe('calls', () => {
  afterEach(() => vi.unstubAllGlobals())

  function stubFetch(status: number, body: unknown) {
    const fetch = vi.fn(async () => new Response(JSON.stringify(body), { status }))
    vi.stubGlobal('fetch', fetch)
    return fetch
  }

  it('sends the dashboard header and the app id, never a key', async () => {
    const fetch = stubFetch(200, { results: [] })
    await parse('app1', 'GET', '/classes/A')
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/parse/classes/A')
    const headers = init.headers as Record<string, string>
    expect(headers[CSRF_HEADER]).toBe('1')
    expect(headers['X-Parse-Application-Id']).toBe('app1')
    expect(Object.keys(headers).some((h) => /key/i.test(h))).toBe(false)
    expect(init.credentials).toBe('same-origin')
  })

  it("turns Parse's error body into an ApiError with code and status", async () => {
    stubFetch(400, { code: 142, error: 'name is invalid' })
    const err = (await admin('POST', '/apps', { name: '' }).catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect([err.status, err.code, err.message]).toEqual([400, 142, 'name is invalid'])
  })
})
