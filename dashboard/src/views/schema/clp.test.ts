import { describe, expect, it } from 'vitest'
import { explain, explainProtected, parseList, readOp, readProtected, writeOp, writeProtected } from './clp'

describe('class-level permissions', () => {
  it('reads and writes an operation', () => {
    const v = { '*': true, requiresAuthentication: true, 'role:Admin': true, u1: true, pointerFields: ['owner'] }
    const p = readOp(v)
    expect(p).toEqual({ public: true, requiresAuthentication: true, entries: ['role:Admin', 'u1'], pointerFields: ['owner'] })
    expect(writeOp(p)).toEqual(v)
    expect(readOp(undefined)).toEqual({ public: false, requiresAuthentication: false, entries: [], pointerFields: [] })
    expect(writeOp(readOp({}))).toEqual({})
    expect(parseList(' role:A, b ,,')).toEqual(['role:A', 'b'])
  })
  it('explains in words', () => {
    expect(explain('find', readOp({ '*': true }))).toMatch(/^Anyone with the app's client keys can query/)
    expect(explain('delete', readOp({}))).toMatch(/^Only the master key .* every client is refused/)
    expect(explain('update', readOp({ 'role:Admin': true, pointerFields: ['owner'] }))).toBe(
      "Only members of the role Admin and the users each object's owner field points to can change its objects; everyone else is refused (the master key always can).",
    )
    expect(explain('create', readOp({ requiresAuthentication: true }))).toMatch(/^Only signed-in users can create/)
  })
  it('protected fields', () => {
    const rows = readProtected({ '*': ['email'], 'role:Staff': [] })
    expect(rows).toEqual([
      { scope: '*', fields: ['email'] },
      { scope: 'role:Staff', fields: [] },
    ])
    expect(writeProtected(rows)).toEqual({ '*': ['email'], 'role:Staff': [] })
    expect(explainProtected('*', ['email'])).toBe('email is hidden from everyone in every answer (the master key sees all).')
  })
})
