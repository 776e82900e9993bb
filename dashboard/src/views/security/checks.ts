// The security check: risky settings and class-level permissions of one app, each with why it
// is risky and the change that fixes it. Pure: the view fetches the app, its schemas and its
// audit log, and applies the fixes.

export type Severity = 'high' | 'medium' | 'low'

/** A fix: a setting to change (PATCH of the settings), a class's permissions to replace (PUT of
 * the schema), or a key to rotate. */
export type Fix =
  | { type: 'setting'; path: string; value: unknown; label: string }
  | { type: 'clp'; className: string; clp: Record<string, unknown>; label: string }
  | { type: 'rotate'; key: string; label: string }

export interface Finding {
  id: string
  severity: Severity
  title: string
  why: string
  fix: Fix
}

export interface ClassInfo {
  className: string
  classLevelPermissions?: Record<string, unknown>
}

export interface SecurityInput {
  settings: Record<string, unknown>
  /** GET /parse/schemas' results; null when they could not be read. */
  classes: ClassInfo[] | null
  /** Key rotations from the audit log (action `app.key.rotate`); null when it could not be read. */
  rotations: { key: string; at: string }[] | null
  /** The keys the app has (null: not set). */
  keys: Record<string, string | null | undefined>
  createdAt: string
  now: Date
}

export interface CheckReport {
  findings: Finding[]
  /** What was checked and found fine, in words. */
  passed: string[]
  /** What could not be checked, and why. */
  notes: string[]
}

/** Keys older than this (since creation or their last rotation) are reported. */
export const KEY_MAX_AGE_DAYS = 180

const KEY_NAMES: Record<string, string> = {
  masterKey: 'master key',
  readOnlyMasterKey: 'read-only master key',
  restApiKey: 'REST API key',
  javascriptKey: 'JavaScript key',
  clientKey: 'client key',
}

function setting(settings: Record<string, unknown>, path: string, fallback: unknown): unknown {
  let cur: unknown = settings
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return fallback
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur === undefined ? fallback : cur
}

type Op = 'create' | 'update' | 'delete' | 'addField'

/** The write operations whose public access is a risk, per class. Users sign up (public create
 * on _User) and installations register themselves by design; the server guards sessions itself;
 * any client creating a role could take a role name that permissions rely on. */
function watchedOps(className: string): Op[] {
  if (!className.startsWith('_')) return ['create', 'update', 'delete', 'addField']
  if (className === '_Role') return ['create', 'addField']
  if (className === '_User' || className === '_Installation') return ['addField']
  return []
}

/** The operations of `clp` open to everyone (`"*": true`), of those watched. A class without
 * class-level permissions is open, as in Parse. */
export function publicWrites(className: string, clp: Record<string, unknown> | undefined): Op[] {
  const open = !clp || Object.keys(clp).length === 0
  return watchedOps(className).filter((op) => {
    if (open) return true
    const entry = clp[op]
    return !!entry && typeof entry === 'object' && (entry as Record<string, unknown>)['*'] === true
  })
}

const FULL_OPEN = { find: { '*': true }, count: { '*': true }, get: { '*': true }, create: { '*': true }, update: { '*': true }, delete: { '*': true }, addField: { '*': true }, protectedFields: { '*': [] } }

/** The permissions with `ops` closed to the public: writes need a signed-in user (roles and
 * users named stay as they are); adding fields (and creating roles) needs the master key. */
export function closedClp(className: string, clp: Record<string, unknown> | undefined, ops: Op[]): Record<string, unknown> {
  const base: Record<string, unknown> = structuredClone(clp && Object.keys(clp).length ? clp : FULL_OPEN)
  for (const op of ops) {
    const entry: Record<string, unknown> = { ...(base[op] as Record<string, unknown> | undefined) }
    delete entry['*']
    if (op !== 'addField' && className !== '_Role') entry.requiresAuthentication = true
    base[op] = entry
  }
  return base
}

const OP_WORDS: Record<Op, string> = { create: 'create', update: 'update', delete: 'delete', addField: 'add fields to' }

function list(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

/** Settings that are risky when on, each fixed by turning it off. */
const SWITCHES: {
  id: string
  path: string
  byDefault: boolean
  severity: Severity
  title: string
  why: string | ((settings: Record<string, unknown>) => [Severity, string])
  fix: string
  passed: string
}[] = [
  {
    id: 'client-class-creation',
    path: 'allowClientClassCreation',
    byDefault: false,
    severity: 'high',
    title: 'Clients may create classes',
    why: 'Anyone holding a client key (every copy of your app has one) can create new classes by saving to them: tables you never designed, open to all, and a schema that grows without bound.',
    fix: 'Turn client class creation off',
    passed: 'Clients cannot create classes.',
  },
  {
    id: 'public-file-upload',
    path: 'files.enableForPublic',
    byDefault: false,
    severity: 'high',
    title: 'Anyone may upload files without signing in',
    why: 'Any client can store files on your storage without an account: a free file host for strangers, and a bill for you.',
    fix: 'Refuse uploads without a signed-in user',
    passed: 'Clients without a user cannot upload files.',
  },
  {
    id: 'anonymous-file-upload',
    path: 'files.enableForAnonymousUser',
    byDefault: false,
    severity: 'medium',
    title: 'Anonymous users may upload files',
    why: (settings) =>
      setting(settings, 'enableAnonymousUsers', true) === true
        ? ['high', 'Anonymous sign-up is open, so anyone can get an anonymous session in one call and upload files with it.']
        : ['medium', 'Users who signed in anonymously can upload files without any account of their own.'],
    fix: 'Refuse uploads by anonymous users',
    passed: 'Anonymous users cannot upload files.',
  },
  {
    id: 'master-key-in-cloud-code',
    path: 'functions.allowMasterKey',
    byDefault: true,
    severity: 'medium',
    title: 'Cloud code may use the master key',
    why: 'Any function or trigger can ask for master rights (useMasterKey) and bypass every ACL and class permission: one careless function exposes all data. Functions that need it stop working when this is off.',
    fix: 'Refuse master rights to cloud code',
    passed: 'Cloud code cannot use the master key.',
  },
]

export function runChecks(input: SecurityInput): CheckReport {
  const { settings } = input
  const findings: Finding[] = []
  const passed: string[] = []
  const notes: string[] = []

  for (const rule of SWITCHES) {
    if (setting(settings, rule.path, rule.byDefault) !== true) {
      passed.push(rule.passed)
      continue
    }
    const [severity, why] = typeof rule.why === 'string' ? [rule.severity, rule.why] : rule.why(settings)
    findings.push({ id: rule.id, severity, title: rule.title, why, fix: { type: 'setting', path: rule.path, value: false, label: rule.fix } })
  }

  const policy = setting(settings, 'passwordPolicy', null)
  if (!policy || typeof policy !== 'object') {
    findings.push({
      id: 'no-password-policy',
      severity: 'medium',
      title: 'No password policy',
      why: 'Users may choose any password, even a single character or their own username, which makes accounts easy to guess.',
      fix: {
        type: 'setting',
        path: 'passwordPolicy',
        value: { minLength: 8, doNotAllowUsername: true },
        label: 'Require 8 characters or more, not the username',
      },
    })
  } else passed.push('A password policy is set.')

  if (input.classes === null) {
    notes.push('The classes could not be read, so their permissions were not checked.')
  } else {
    let openClasses = 0
    for (const c of input.classes) {
      const ops = publicWrites(c.className, c.classLevelPermissions)
      if (ops.length === 0) continue
      openClasses++
      const system = c.className.startsWith('_')
      const writes = ops.filter((o) => o !== 'addField')
      const fixWords: string[] = []
      if (writes.length) fixWords.push(c.className === '_Role' ? `${list(writes)} with the master key only` : `a signed-in user to ${list(writes)}`)
      if (ops.includes('addField')) fixWords.push('the master key to add fields')
      const after = ops.includes('addField') ? ' Once fixed, new fields are added in the Schema view (or with the master key) before clients save them.' : ''
      findings.push({
        id: `public-write:${c.className}`,
        severity: ops.includes('update') || ops.includes('delete') ? 'high' : 'medium',
        title: `${c.className}: anyone may ${list(ops.map((o) => OP_WORDS[o]))} it`,
        why: system
          ? `Any client, signed in or not, can ${list(ops.map((o) => OP_WORDS[o]))} ${c.className}${ops.includes('addField') ? ', adding whatever fields it likes to it' : ''}${ops.includes('create') ? '; a role created by a stranger can take a name your permissions rely on' : ''}.${after}`
          : `Any client, signed in or not, can ${list(ops.map((o) => OP_WORDS[o]))} objects of ${c.className}. ACLs still guard objects that have one; objects saved without an ACL are open to everyone.${after}`,
        fix: { type: 'clp', className: c.className, clp: closedClp(c.className, c.classLevelPermissions, ops), label: `Require ${fixWords.join('; ')}` },
      })
    }
    if (openClasses === 0) passed.push(`No class is open to public writes (${input.classes.length} classes checked).`)
  }

  if (input.rotations === null) {
    notes.push('The audit log could not be read, so key rotations were not checked.')
  } else {
    const day = 86_400_000
    let old = 0
    for (const [key, name] of Object.entries(KEY_NAMES)) {
      // The master keys are never in the dashboard's answers, but every app has them.
      if (key !== 'masterKey' && key !== 'readOnlyMasterKey' && !input.keys[key]) continue
      const times = input.rotations.filter((r) => r.key === key).map((r) => Date.parse(r.at))
      const last = times.length ? Math.max(...times) : null
      const since = last ?? Date.parse(input.createdAt)
      const days = Math.floor((input.now.getTime() - since) / day)
      if (days < KEY_MAX_AGE_DAYS) continue
      old++
      findings.push({
        id: `key-age:${key}`,
        severity: key === 'masterKey' || key === 'readOnlyMasterKey' ? 'medium' : 'low',
        title: last === null ? `The ${name} was never rotated (${days} days old)` : `The ${name} was last rotated ${days} days ago`,
        why: `A key that leaked (in a repository, a log, a former teammate's laptop) works until it is rotated. Rotate keys every ${KEY_MAX_AGE_DAYS} days or sooner; the old value stops working at once, so update your clients and servers right after.`,
        fix: { type: 'rotate', key, label: `Rotate the ${name}` },
      })
    }
    if (old === 0) passed.push(`Every key was created or rotated in the last ${KEY_MAX_AGE_DAYS} days (from the audit log's key rotations and the app's creation date).`)
  }

  const rank: Record<Severity, number> = { high: 0, medium: 1, low: 2 }
  findings.sort((a, b) => rank[a.severity] - rank[b.severity])
  return { findings, passed, notes }
}
