// Every app setting the form shows: where it lives in `AppSettings`, how it is edited, what it
// does and its default (as server/src/apps/settings documents them; docs/configuration.md).
// Settings the catalogue does not know (a newer server's) are still shown, as JSON, and saved
// unchanged: `PATCH /admin/v1/apps/{id}` replaces the whole settings document, so the form always
// sends every setting, edited or not.

export type SettingKind = 'boolean' | 'integer' | 'string' | 'optionalString' | 'enum' | 'list' | 'json' | 'classPatterns'

export interface Setting {
  /** Dotted path in AppSettings, e.g. `files.maxUploadSize`. */
  path: string
  label: string
  kind: SettingKind
  /** One line: what it does. */
  doc: string
  /** The server's default (null: not set). */
  default: unknown
  options?: string[]
  /** The default in words, when the value itself says it badly. */
  defaultText?: string
  /** The smallest and largest accepted value (integers). */
  min?: number
  max?: number
}

export interface SettingGroup {
  title: string
  settings: Setting[]
}

const MiB = 1024 * 1024

export const GROUPS: SettingGroup[] = [
  {
    title: 'Data and users',
    settings: [
      { path: 'allowClientClassCreation', label: 'Client class creation', kind: 'boolean', default: false, doc: 'Whether clients (without the master key) may create classes by saving to them.' },
      { path: 'enableAnonymousUsers', label: 'Anonymous users', kind: 'boolean', default: true, doc: 'Whether anonymous users (authData.anonymous) may sign up.' },
      { path: 'enforcePrivateUsers', label: 'Private users', kind: 'boolean', default: true, doc: 'New users readable by themselves only; off makes them publicly readable, as older Parse Servers did.' },
      { path: 'sessionLength', label: 'Session length (seconds)', kind: 'integer', default: 31_536_000, min: 1, doc: 'How long a session lasts (one year by default, as Parse).' },
      { path: 'publicServerUrl', label: 'Public server URL', kind: 'optionalString', default: null, doc: "The address clients reach /parse at; links in emails are built on it. Empty: the instance's public URL." },
    ],
  },
  {
    title: 'Email verification and password policy',
    settings: [
      { path: 'verifyUserEmails', label: 'Verify user emails', kind: 'boolean', default: false, doc: 'Send new users (and users who change their email) a link to verify it. Needs the email settings.' },
      { path: 'preventLoginWithUnverifiedEmail', label: 'Refuse unverified logins', kind: 'boolean', default: false, doc: "Refuse logins (error 205) until the user's email is verified." },
      { path: 'emailVerifyTokenValidityDuration', label: 'Verification link validity (seconds)', kind: 'integer', default: 86_400, min: 1, doc: 'How long an email-verification link works.' },
      { path: 'email', label: 'Email (SMTP)', kind: 'json', default: null, doc: 'The SMTP server of the app\'s emails: {"host", "port" (587), "security" (none, starttls, tls), "username", "password", "from", "templates"}. Empty: no emails.' },
      { path: 'passwordPolicy', label: 'Password policy', kind: 'json', default: null, doc: 'Rules for new passwords: {"minLength", "validatorPattern", "validationError", "doNotAllowUsername", "maxPasswordHistory", "maxPasswordAge", "resetTokenValidityDuration"}. Empty: any password.' },
      { path: 'accountLockout', label: 'Account lockout', kind: 'json', default: null, doc: 'Lock an account after failed logins: {"threshold" (1–999), "duration" (minutes), "unlockOnPasswordReset"}. Empty: never locked.' },
      { path: 'rateLimits', label: 'Rate limits', kind: 'json', default: [{ path: 'login', requests: 100, window: 60, zone: 'ip' }, { path: 'signup', requests: 100, window: 60, zone: 'ip' }, { path: 'passwordReset', requests: 20, window: 60, zone: 'ip' }, { path: 'verificationEmail', requests: 20, window: 60, zone: 'ip' }], defaultText: 'login and signup 100, passwordReset and verificationEmail 20 per 60 s per ip', doc: 'Requests per window (seconds) on login, signup, passwordReset and verificationEmail, per ip or for the whole app.' },
      { path: 'auth', label: 'Sign-in providers', kind: 'json', default: {}, doc: 'authData providers verified by OpenID Connect: {"google": {"clientIds": [...]}, "apple": {...}, "name": {"clientIds", "issuer", "jwksUrl"}}.' },
    ],
  },
  {
    title: 'Files',
    settings: [
      { path: 'files.maxUploadSize', label: 'Largest upload (bytes)', kind: 'integer', default: 20 * MiB, min: 1, doc: 'The largest file a client may upload (20 MiB by default, as Parse Server).' },
      { path: 'files.enableForPublic', label: 'Uploads without a user', kind: 'boolean', default: false, doc: 'Whether clients with no session may upload files (the master key always may).' },
      { path: 'files.enableForAnonymousUser', label: 'Uploads by anonymous users', kind: 'boolean', default: false, doc: 'Whether anonymous users may upload files.' },
      { path: 'files.enableForAuthenticatedUser', label: 'Uploads by signed-in users', kind: 'boolean', default: true, doc: 'Whether signed-in users may upload files.' },
      { path: 'files.allowedContentTypes', label: 'Allowed content types', kind: 'list', default: [], doc: 'Content types accepted (image/png, or image/*), one per line; empty accepts any.' },
      { path: 'files.allowedExtensions', label: 'Allowed extensions', kind: 'list', default: [], doc: 'Extensions accepted (lower case, no dot), one per line; empty accepts any but the blocked ones.' },
      { path: 'files.blockedExtensions', label: 'Blocked extensions', kind: 'list', default: ['html', 'htm', 'xhtml'], doc: 'Extensions refused, one per line (HTML by default, as Parse Server 8).' },
      { path: 'files.private', label: 'Private files', kind: 'boolean', default: false, doc: 'Serve files only with a signed, expiring URL or to the master key; otherwise at stable public URLs.' },
      { path: 'files.privateReaders', label: 'Private file readers', kind: 'enum', options: ['master', 'users'], default: 'master', doc: 'Who else may read private files without a signed URL: the master key only, or any signed-in user too.' },
      { path: 'files.signedUrlTtl', label: 'Signed URL lifetime (seconds)', kind: 'integer', default: 3600, min: 1, max: 604_800, doc: 'How long signed and presigned URLs work.' },
      { path: 'files.cacheControl', label: 'Cache-Control of public files', kind: 'string', default: 'public, max-age=86400', doc: 'The Cache-Control header of public files; private ones get private, max-age=<lifetime>.' },
      { path: 'files.redirect', label: 'Downloads', kind: 'enum', options: ['none', 'presigned', 'public'], default: 'none', doc: 'none: Hearth streams files; presigned: a redirect to a presigned S3 URL; public: a redirect to the public base URL.' },
      { path: 'files.publicBaseUrl', label: 'Public base URL', kind: 'optionalString', default: null, doc: 'For public redirects: the URL (a CDN, a public bucket) file keys are appended to.' },
      { path: 'files.s3', label: "App's own S3 storage", kind: 'json', default: null, doc: "Store this app's files in its own bucket: {\"bucket\", \"region\", \"endpoint\", \"accessKeyId\", \"secretAccessKey\"}. Empty: the instance's storage." },
    ],
  },
  {
    title: 'Cloud functions',
    settings: [
      { path: 'functions.allowMasterKey', label: 'Master key in cloud code', kind: 'boolean', default: true, doc: 'Whether functions may ask for master rights on data (useMasterKey), as Parse allows.' },
      { path: 'functions.timeoutMs', label: 'Call time limit (ms)', kind: 'integer', default: 10_000, min: 1, max: 300_000, doc: 'Wall-clock limit of a function or trigger call.' },
      { path: 'functions.jobTimeoutMs', label: 'Job time limit (ms)', kind: 'integer', default: 900_000, min: 1, max: 86_400_000, doc: 'Wall-clock limit of a job (15 minutes by default).' },
      { path: 'functions.memoryMib', label: 'Memory per call (MiB)', kind: 'integer', default: 64, min: 1, max: 256, doc: 'Linear memory of one call.' },
      { path: 'functions.maxConcurrent', label: 'Concurrent calls', kind: 'integer', default: 16, min: 1, max: 1024, doc: "Calls of this app running at once on one instance; more wait for a free one." },
      { path: 'functions.maxResponseBytes', label: 'Largest answer (bytes)', kind: 'integer', default: 6 * MiB, min: 1, max: 64 * MiB, doc: 'The largest answer a call may give.' },
      { path: 'functions.httpAllow', label: 'Outbound HTTP hosts', kind: 'list', default: [], doc: 'Hosts functions may call (api.example.com or *.example.com), one per line; empty: none.' },
      { path: 'functions.secrets', label: 'Secrets', kind: 'json', default: {}, doc: 'Values functions read by name: {"NAME": "value"}; shown to developers and owners only.' },
      { path: 'functions.webhookKey', label: 'Webhook key', kind: 'optionalString', default: null, doc: 'Sent to webhooks in X-Parse-Webhook-Key so that they know the call is Hearth\'s.' },
    ],
  },
  {
    title: 'Query limits',
    settings: [
      { path: 'queryLimits.maxConditions', label: 'Conditions per query', kind: 'integer', default: 200, min: 1, max: 1000, doc: 'Conditions in a whole where, those inside $or, $and, $nor and sub-queries included.' },
      { path: 'queryLimits.maxOrItems', label: 'Items of $or / $and / $nor', kind: 'integer', default: 100, min: 1, max: 1000, doc: 'Items of one $or, $and or $nor.' },
      { path: 'queryLimits.maxInValues', label: 'Values of $in', kind: 'integer', default: 10_000, min: 1, max: 100_000, doc: 'Values of one $in, $nin, $all or $containedBy, and points of one polygon.' },
      { path: 'queryLimits.maxOrderKeys', label: 'Order fields', kind: 'integer', default: 16, min: 1, max: 64, doc: 'Fields of order.' },
      { path: 'queryLimits.maxKeyEntries', label: 'keys / include entries', kind: 'integer', default: 256, min: 1, max: 1000, doc: 'Entries of keys, excludeKeys or include, and fields of an aggregation stage.' },
      { path: 'queryLimits.maxDepth', label: 'Nesting depth', kind: 'integer', default: 8, min: 1, max: 16, doc: 'How deep $or, $and, $nor and sub-queries may nest.' },
      { path: 'queryLimits.maxParameters', label: 'SQL parameters', kind: 'integer', default: 5000, min: 1, max: 20_000, doc: 'Bind parameters of the compiled statement.' },
    ],
  },
  {
    title: 'LiveQuery',
    settings: [
      {
        path: 'liveQuery.classNames',
        label: 'Live classes',
        kind: 'classPatterns',
        default: [],
        defaultText: 'empty: LiveQuery is off',
        doc: 'The classes clients may subscribe to with query.subscribe(), one entry per line. As in Parse Server, each entry is an anchored regular expression: Message is the class Message only, Chat.* every class whose name starts with Chat. A subscription to any other class is refused.',
      },
      { path: 'liveQuery.maxSubscriptionsPerConnection', label: 'Subscriptions per connection', kind: 'integer', default: 500, min: 1, max: 10_000, doc: 'Subscriptions one client (one WebSocket) may hold at once; more are refused.' },
      { path: 'liveQuery.maxConnections', label: 'Connections per instance', kind: 'integer', default: 10_000, min: 1, max: 100_000, doc: 'LiveQuery connections the app may have open on one Hearth instance; more are refused.' },
    ],
  },
]

export const SETTINGS: Setting[] = GROUPS.flatMap((g) => g.settings)

type Json = Record<string, unknown>

/** The value at a dotted path (undefined when absent). */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined
    cur = (cur as Json)[part]
  }
  return cur
}

/** A copy of `obj` with `value` at `path` (objects on the way created as needed). */
export function setPath(obj: Json, path: string, value: unknown): Json {
  const [head, ...rest] = path.split('.')
  const copy: Json = { ...obj }
  if (rest.length === 0) {
    copy[head] = value
  } else {
    const inner = copy[head]
    copy[head] = setPath(inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Json) : {}, rest.join('.'), value)
  }
  return copy
}

/** Top-level settings the catalogue does not show (shown and saved as JSON). */
export function unknownKeys(settings: Json): string[] {
  const known = new Set(SETTINGS.map((s) => s.path.split('.')[0]))
  return Object.keys(settings).filter((k) => !known.has(k))
}

/** A setting's value as the form edits it (a string, or a boolean for switches). */
export function toDraft(s: Setting, value: unknown): string | boolean {
  const v = value === undefined ? s.default : value
  switch (s.kind) {
    case 'boolean':
      return v === true
    case 'integer':
      return typeof v === 'number' ? String(v) : ''
    case 'string':
    case 'enum':
      return typeof v === 'string' ? v : ''
    case 'optionalString':
      return typeof v === 'string' ? v : ''
    case 'list':
    case 'classPatterns':
      return Array.isArray(v) ? v.join('\n') : ''
    case 'json':
      return v === null || v === undefined ? '' : JSON.stringify(v, null, 2)
  }
}

/** The value to save from a draft, or an error to show next to the field. */
export function fromDraft(s: Setting, draft: string | boolean): { value: unknown } | { error: string } {
  switch (s.kind) {
    case 'boolean':
      return { value: draft === true }
    case 'integer': {
      const text = String(draft).trim()
      if (!/^-?\d+$/.test(text)) return { error: 'A whole number is expected.' }
      const n = Number(text)
      if (!Number.isSafeInteger(n)) return { error: 'This number is too large.' }
      if (s.min !== undefined && n < s.min) return { error: `At least ${s.min}.` }
      if (s.max !== undefined && n > s.max) return { error: `At most ${s.max}.` }
      return { value: n }
    }
    case 'string':
    case 'enum':
      return { value: String(draft) }
    case 'optionalString': {
      const text = String(draft).trim()
      return { value: text === '' ? null : text }
    }
    case 'list':
      return {
        value: String(draft)
          .split(/[\n,]/)
          .map((x) => x.trim())
          .filter(Boolean),
      }
    case 'classPatterns':
      // One per line only: a regular expression may hold a comma (`A{1,3}`).
      return { value: patternLines(String(draft)) }
    case 'json': {
      const text = String(draft).trim()
      if (text === '') return { value: Array.isArray(s.default) ? [] : s.default && typeof s.default === 'object' ? {} : null }
      try {
        return { value: JSON.parse(text) }
      } catch (e) {
        return { error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` }
      }
    }
  }
}

/** Whether a value is the setting's default (the form marks changed ones). */
export function isDefault(s: Setting, value: unknown): boolean {
  const v = value === undefined ? s.default : value
  return JSON.stringify(v ?? null) === JSON.stringify(s.default ?? null)
}

/**
 * The whole settings document to save: the current one with the form's values in place, so
 * that settings the form does not show are kept. `drafts` holds the edited settings only.
 */
export function buildSettings(
  current: Json,
  drafts: Record<string, string | boolean>,
  extra: Record<string, string>,
): { settings: Json; errors: Record<string, string> } {
  let settings: Json = structuredClone(current)
  const errors: Record<string, string> = {}
  for (const s of SETTINGS) {
    if (!(s.path in drafts)) continue
    const parsed = fromDraft(s, drafts[s.path])
    if ('error' in parsed) errors[s.path] = parsed.error
    else settings = setPath(settings, s.path, parsed.value)
  }
  for (const [key, text] of Object.entries(extra)) {
    try {
      settings[key] = JSON.parse(text)
    } catch (e) {
      errors[key] = `Not valid JSON: ${e instanceof Error ? e.message : String(e)}`
    }
  }
  return { settings, errors }
}

/**
 * The setting a refused save is about, from the server's message ("invalid settings:
 * files.maxUploadSize must be at least 1", "passwordPolicy.validatorPattern does not compile"):
 * the longest catalogue path (or unknown key) the message names; undefined when none.
 */
export function settingForError(message: string, extraKeys: string[] = []): string | undefined {
  const paths = [...SETTINGS.map((s) => s.path), ...extraKeys].sort((a, b) => b.length - a.length)
  for (const p of paths) {
    const re = new RegExp(`(^|[^A-Za-z0-9_.])${p.replace(/\./g, '\\.')}(?![A-Za-z0-9_])`)
    if (re.test(message)) return p
  }
  // serde names the field in backquotes: "unknown field `x`", "invalid type ... for `files`".
  const quoted = /`([A-Za-z0-9_]+)`/.exec(message)
  if (quoted) {
    const hit = paths.find((p) => p === quoted[1] || p.endsWith(`.${quoted[1]}`))
    if (hit) return hit
  }
  return undefined
}

/** The entries of a list of class patterns: one per line, trimmed, blank lines dropped. */
export function patternLines(text: string): string[] {
  return text
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean)
}

/**
 * The classes of `classNames` that an entry of `patterns` matches whole, as the server decides
 * (`^(?:pattern)$`). JavaScript's regular expressions stand in for the server's here (they agree
 * on the usual `Name`, `Chat.*`, `(A|B)`); an entry they cannot compile matches nothing (the
 * server says why when the settings are saved).
 */
export function matchingClasses(patterns: string[], classNames: string[]): string[] {
  const compiled = patterns.map(compilePattern).filter((re) => re !== null)
  return classNames.filter((c) => compiled.some((re) => re.test(c)))
}

/** The entries that are not regular expressions (the server refuses them when saving). */
export function invalidPatterns(patterns: string[]): string[] {
  return patterns.filter((p) => compilePattern(p) === null)
}

function compilePattern(p: string): RegExp | null {
  try {
    return new RegExp(`^(?:${p})$`)
  } catch {
    return null
  }
}

/** The app's own classes first, then the system ones (`_User`, `_Session`...). */
export function ownClassesFirst(classNames: string[]): string[] {
  return [...classNames.filter((c) => !c.startsWith('_')), ...classNames.filter((c) => c.startsWith('_'))]
}

/** `text` (one entry per line) with the plain class name `name` added or removed. */
export function toggleLine(text: string, name: string, on: boolean): string {
  const lines = patternLines(text)
  const without = lines.filter((l) => l !== name)
  return (on ? [...without, name] : without).join('\n')
}
