import { describe, expect, it } from 'vitest'
import { buildSettings, fromDraft, getPath, invalidPatterns, isDefault, matchingClasses, ownClassesFirst, patternLines, SETTINGS, setPath, settingForError, toDraft, toggleLine, unknownKeys } from './catalog'

const setting = (path: string) => SETTINGS.find((s) => s.path === path)!

// What a new app's GET /admin/v1/apps/{id} answers (settings).
const fresh = {
  allowClientClassCreation: false,
  enableAnonymousUsers: true,
  enforcePrivateUsers: true,
  sessionLength: 31536000,
  verifyUserEmails: false,
  preventLoginWithUnverifiedEmail: false,
  emailVerifyTokenValidityDuration: 86400,
  rateLimits: [
    { path: 'login', requests: 100, window: 60, zone: 'ip' },
    { path: 'signup', requests: 100, window: 60, zone: 'ip' },
    { path: 'passwordReset', requests: 20, window: 60, zone: 'ip' },
    { path: 'verificationEmail', requests: 20, window: 60, zone: 'ip' },
  ],
  files: {
    maxUploadSize: 20971520,
    allowedContentTypes: [],
    allowedExtensions: [],
    blockedExtensions: ['html', 'htm', 'xhtml'],
    enableForPublic: false,
    enableForAnonymousUser: false,
    enableForAuthenticatedUser: true,
    private: false,
    privateReaders: 'master',
    signedUrlTtl: 3600,
    cacheControl: 'public, max-age=86400',
    redirect: 'none',
    publicBaseUrl: null,
    s3: null,
  },
  functions: { timeoutMs: 10000, jobTimeoutMs: 900000, memoryMib: 64, maxConcurrent: 16, maxResponseBytes: 6291456, allowMasterKey: true, httpAllow: [] },
  queryLimits: { maxConditions: 200, maxOrItems: 100, maxInValues: 10000, maxOrderKeys: 16, maxKeyEntries: 256, maxDepth: 8, maxParameters: 5000 },
  liveQuery: { classNames: [], maxSubscriptionsPerConnection: 500, maxConnections: 10000 },
}

describe('settings catalogue', () => {
  it("knows every setting of a new app, and each one's default is the server's", () => {
    expect(unknownKeys(fresh)).toEqual([])
    for (const s of SETTINGS) {
      const value = getPath(fresh, s.path)
      if (value !== undefined) expect(isDefault(s, value), s.path).toBe(true)
    }
  })

  it('sets a dotted path without touching the rest', () => {
    const out = setPath(fresh, 'files.enableForPublic', true)
    expect(getPath(out, 'files.enableForPublic')).toBe(true)
    expect(getPath(out, 'files.maxUploadSize')).toBe(20971520)
    expect(fresh.files.enableForPublic).toBe(false)
    expect(setPath({}, 'a.b', 1)).toEqual({ a: { b: 1 } })
  })

  it('turns drafts into values, or errors', () => {
    expect(fromDraft(setting('sessionLength'), '  3600 ')).toEqual({ value: 3600 })
    expect(fromDraft(setting('sessionLength'), '1.5')).toEqual({ error: 'A whole number is expected.' })
    expect(fromDraft(setting('functions.memoryMib'), '512')).toEqual({ error: 'At most 256.' })
    expect(fromDraft(setting('files.allowedExtensions'), 'png\n jpg, gif\n\n')).toEqual({ value: ['png', 'jpg', 'gif'] })
    expect(fromDraft(setting('publicServerUrl'), ' ')).toEqual({ value: null })
    expect(fromDraft(setting('passwordPolicy'), '')).toEqual({ value: null })
    expect(fromDraft(setting('auth'), '')).toEqual({ value: {} })
    expect(fromDraft(setting('passwordPolicy'), '{"minLength": 8}')).toEqual({ value: { minLength: 8 } })
    expect('error' in fromDraft(setting('passwordPolicy'), '{minLength: 8}')).toBe(true)
    expect(toDraft(setting('files.blockedExtensions'), undefined)).toBe('html\nhtm\nxhtml')
    expect(toDraft(setting('passwordPolicy'), null)).toBe('')
  })

  it('keeps every setting the form does not show when saving', () => {
    const current = { ...fresh, futureSetting: { x: 1 }, functions: { ...fresh.functions, secrets: { A: 'b' } } }
    const { settings, errors } = buildSettings(current, { 'files.enableForPublic': true }, {})
    expect(errors).toEqual({})
    expect(settings.futureSetting).toEqual({ x: 1 })
    expect(getPath(settings, 'functions.secrets')).toEqual({ A: 'b' })
    expect(getPath(settings, 'files.enableForPublic')).toBe(true)
    expect(getPath(settings, 'files.maxUploadSize')).toBe(20971520)
  })

  it('reports bad drafts by setting and saves nothing of them', () => {
    const { errors } = buildSettings(fresh, { sessionLength: 'soon' }, { futureSetting: '{' })
    expect(Object.keys(errors).sort()).toEqual(['futureSetting', 'sessionLength'])
  })

  it("finds the setting a server's refusal is about", () => {
    expect(settingForError('invalid settings: files.maxUploadSize must be at least 1')).toBe('files.maxUploadSize')
    expect(settingForError('invalid settings: passwordPolicy.validatorPattern does not compile: x')).toBe('passwordPolicy')
    expect(settingForError('invalid settings: verifyUserEmails needs the email settings')).toBe('verifyUserEmails')
    expect(settingForError('invalid settings: sessionLength and emailVerifyTokenValidityDuration must be positive')).toBe(
      'emailVerifyTokenValidityDuration',
    )
    expect(settingForError('invalid settings: auth.google needs at least one client id')).toBe('auth')
    expect(settingForError('invalid settings: invalid type: string "x", expected u32 for `memoryMib`')).toBe('functions.memoryMib')
    expect(settingForError('invalid settings: a rate limit needs at least one request')).toBeUndefined()
  })

  it('edits live classes as anchored patterns, one per line', () => {
    const live = setting('liveQuery.classNames')
    expect(fromDraft(live, ' Message \n\nA{1,3}\n')).toEqual({ value: ['Message', 'A{1,3}'] })
    expect(toDraft(live, undefined)).toBe('')
    expect(toDraft(live, ['Message', 'Chat.*'])).toBe('Message\nChat.*')
    expect(patternLines('a\n b \n')).toEqual(['a', 'b'])
    const classes = ['Chat', 'ChatRoom', 'Message', 'MyMessage', 'Messages', '_User']
    expect(matchingClasses(['Message', 'Chat.*'], classes)).toEqual(['Chat', 'ChatRoom', 'Message'])
    expect(matchingClasses(['(', '_User|Messages'], classes)).toEqual(['Messages', '_User'])
    expect(matchingClasses([], classes)).toEqual([])
    expect(invalidPatterns(['Message', 'Chat(', '(A|B)'])).toEqual(['Chat('])
    expect(ownClassesFirst(['_Role', '_User', 'Chat', 'Message'])).toEqual(['Chat', 'Message', '_Role', '_User'])
    expect(toggleLine('Chat.*\nMessage', 'Post', true)).toBe('Chat.*\nMessage\nPost')
    expect(toggleLine('Chat.*\nMessage\n', 'Message', false)).toBe('Chat.*')
    expect(toggleLine('Message', 'Message', true)).toBe('Message')
    expect(settingForError('invalid settings: liveQuery.classNames: "(" is not a regular expression: x')).toBe('liveQuery.classNames')
    expect(settingForError('invalid settings: liveQuery.maxConnections must be 1 to 100000')).toBe('liveQuery.maxConnections')
  })
})
