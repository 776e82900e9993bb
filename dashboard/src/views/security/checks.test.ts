import { describe, expect, it } from 'vitest'
import { closedClp, publicWrites, runChecks, type SecurityInput } from './checks'

const open = { find: { '*': true }, count: { '*': true }, get: { '*': true }, create: { '*': true }, update: { '*': true }, delete: { '*': true }, addField: { '*': true }, protectedFields: { '*': [] } }
const closed = { find: { '*': true }, count: { '*': true }, get: { '*': true }, create: {}, update: { requiresAuthentication: true }, delete: {}, addField: {}, protectedFields: {} }

function input(over: Partial<SecurityInput> = {}): SecurityInput {
  return {
    settings: { allowClientClassCreation: false, passwordPolicy: { minLength: 8 }, functions: { allowMasterKey: false }, files: { enableForPublic: false, enableForAnonymousUser: false } },
    classes: [],
    rotations: [],
    keys: { javascriptKey: 'js', restApiKey: 'rest', clientKey: null },
    createdAt: '2026-12-01T00:00:00Z',
    now: new Date('2026-12-07T00:00:00Z'),
    ...over,
  }
}

const ids = (i: SecurityInput) => runChecks(i).findings.map((f) => f.id)

describe('security check', () => {
  it('finds nothing in a careful app, and says what it checked', () => {
    const r = runChecks(input())
    expect(r.findings).toEqual([])
    expect(r.passed.length).toBeGreaterThanOrEqual(6)
    expect(r.notes).toEqual([])
  })

  it('reads absent settings as their defaults (master key in cloud code on, no password policy)', () => {
    expect(ids(input({ settings: {} })).sort()).toEqual(['master-key-in-cloud-code', 'no-password-policy'])
  })

  it('finds risky settings, each with the setting that fixes it', () => {
    const r = runChecks(
      input({
        settings: { allowClientClassCreation: true, files: { enableForPublic: true, enableForAnonymousUser: true }, functions: { allowMasterKey: true }, passwordPolicy: null },
      }),
    )
    const byId = Object.fromEntries(r.findings.map((f) => [f.id, f]))
    expect(byId['client-class-creation'].fix).toMatchObject({ type: 'setting', path: 'allowClientClassCreation', value: false })
    expect(byId['public-file-upload'].fix).toMatchObject({ path: 'files.enableForPublic', value: false })
    expect(byId['anonymous-file-upload'].severity).toBe('high')
    expect(byId['anonymous-file-upload'].fix).toMatchObject({ path: 'files.enableForAnonymousUser', value: false })
    expect(byId['master-key-in-cloud-code'].fix).toMatchObject({ path: 'functions.allowMasterKey', value: false })
    expect(byId['no-password-policy'].fix).toMatchObject({ path: 'passwordPolicy', value: { minLength: 8, doNotAllowUsername: true } })
    // High first.
    expect(r.findings[0].severity).toBe('high')
    expect(r.findings.at(-1)!.severity).toBe('medium')
  })

  it('finds classes open to public writes, by the operations that matter for each', () => {
    expect(publicWrites('Post', open)).toEqual(['create', 'update', 'delete', 'addField'])
    expect(publicWrites('Post', closed)).toEqual([])
    expect(publicWrites('Post', undefined)).toEqual(['create', 'update', 'delete', 'addField'])
    expect(publicWrites('Post', { ...closed, delete: { '*': true, 'role:admin': true } })).toEqual(['delete'])
    expect(publicWrites('_User', open)).toEqual(['addField'])
    expect(publicWrites('_Role', open)).toEqual(['create', 'addField'])
    expect(publicWrites('_Session', open)).toEqual([])
    const r = runChecks(input({ classes: [{ className: 'Post', classLevelPermissions: open }, { className: 'Safe', classLevelPermissions: closed }] }))
    expect(r.findings.map((f) => f.id)).toEqual(['public-write:Post'])
    expect(r.findings[0].severity).toBe('high')
    expect(r.findings[0].title).toBe('Post: anyone may create, update, delete and add fields to it')
  })

  it('closes public writes to signed-in users and adding fields to the master key, keeping the rest', () => {
    const clp = { ...open, update: { '*': true, 'role:editors': true } }
    const fixed = closedClp('Post', clp, ['create', 'update', 'delete', 'addField'])
    expect(fixed).toEqual({
      ...open,
      create: { requiresAuthentication: true },
      update: { 'role:editors': true, requiresAuthentication: true },
      delete: { requiresAuthentication: true },
      addField: {},
    })
    expect(publicWrites('Post', fixed)).toEqual([])
    expect(clp.update).toEqual({ '*': true, 'role:editors': true })
    // Roles are created with the master key only.
    expect(closedClp('_Role', open, ['create', 'addField'])).toMatchObject({ create: {}, addField: {} })
    // A class without permissions starts from Parse's open default.
    expect(closedClp('Post', {}, ['delete'])).toMatchObject({ find: { '*': true }, delete: { requiresAuthentication: true } })
  })

  it('reports keys not rotated for 180 days, from the audit log or the app creation date', () => {
    const old = input({ createdAt: '2026-01-01T00:00:00Z' })
    expect(ids(old)).toEqual(['key-age:masterKey', 'key-age:readOnlyMasterKey', 'key-age:restApiKey', 'key-age:javascriptKey'])
    const rotated = input({
      createdAt: '2026-01-01T00:00:00Z',
      rotations: ['masterKey', 'readOnlyMasterKey', 'restApiKey'].map((key) => ({ key, at: '2026-11-01T00:00:00Z' })),
    })
    const r = runChecks(rotated)
    expect(r.findings.map((f) => f.id)).toEqual(['key-age:javascriptKey'])
    expect(r.findings[0]).toMatchObject({ severity: 'low', fix: { type: 'rotate', key: 'javascriptKey' } })
    expect(r.findings[0].title).toMatch(/never rotated \(340 days old\)/)
  })

  it('says what it could not check', () => {
    const r = runChecks(input({ classes: null, rotations: null }))
    expect(r.notes).toHaveLength(2)
    expect(r.findings).toEqual([])
  })
})
