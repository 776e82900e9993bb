import { describe, expect, it } from 'vitest'
import { checkBody, checkPath, curlCommand, remember, type HistoryEntry } from './request'

describe('API console requests', () => {
  it('takes paths below /parse, and drops a leading /parse', () => {
    expect(checkPath('/classes/Foo?limit=1')).toEqual({ path: '/classes/Foo?limit=1' })
    expect(checkPath('classes/Foo')).toEqual({ path: '/classes/Foo' })
    expect(checkPath('/parse/classes/Foo')).toEqual({ path: '/classes/Foo' })
    expect(checkPath('/parsed/x')).toEqual({ path: '/parsed/x' })
    expect(checkPath('')).toHaveProperty('error')
    expect(checkPath('https://example.com/parse/x')).toHaveProperty('error')
    expect(checkPath('/classes/a b')).toHaveProperty('error')
    expect(checkPath('/classes/../../admin/v1/apps')).toHaveProperty('error')
  })

  it('checks the JSON body before sending', () => {
    expect(checkBody('POST', '{"a": 1}')).toEqual({ body: { a: 1 } })
    expect(checkBody('POST', '  ')).toEqual({ body: undefined })
    expect(checkBody('GET', '{not json')).toEqual({ body: undefined })
    const bad = checkBody('PUT', '{"a": }')
    expect('error' in bad && bad.error).toMatch(/^Invalid JSON/)
  })

  it('writes the curl command with a placeholder for the master key', () => {
    const cmd = curlCommand('https://h.example', 'myApp', 'POST', '/classes/A', { name: "O'Brien" })
    expect(cmd).toBe(
      [
        "curl -X POST 'https://h.example/parse/classes/A'",
        "-H 'X-Parse-Application-Id: myApp'",
        '-H "X-Parse-Master-Key: $MASTER_KEY"',
        "-H 'Content-Type: application/json'",
        `-d '{"name":"O'\\''Brien"}'`,
      ].join(' \\\n  '),
    )
    expect(curlCommand('http://x', 'a', 'GET', '/config', undefined)).not.toContain('Content-Type')
  })

  it('keeps the latest calls first', () => {
    const e = (id: number): HistoryEntry => ({ id, method: 'GET', path: '/x', body: '', status: 200, ms: 1, at: '' })
    let h: HistoryEntry[] = []
    for (let i = 0; i < 5; i++) h = remember(h, e(i), 3)
    expect(h.map((x) => x.id)).toEqual([4, 3, 2])
  })
})
