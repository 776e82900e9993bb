// The API console's requests: checking the path and the JSON body before sending, the
// equivalent curl command (with a placeholder for the master key, never a real key), examples.

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
export const METHODS: Method[] = ['GET', 'POST', 'PUT', 'DELETE']

/** The path below /parse, or why it is not one. A leading `/parse` is dropped. */
export function checkPath(input: string): { path: string } | { error: string } {
  let path = input.trim()
  if (!path) return { error: 'A path is needed, for example /classes/GameScore.' }
  if (/^[a-z]+:\/\//i.test(path)) return { error: 'Only the path below /parse, for example /classes/GameScore.' }
  if (!path.startsWith('/')) path = `/${path}`
  if (path === '/parse' || path.startsWith('/parse/') || path.startsWith('/parse?')) path = path.slice('/parse'.length) || '/'
  if (/\s/.test(path)) return { error: 'A path has no spaces: encode them as %20.' }
  if (path.split(/[?#]/)[0].split('/').includes('..')) return { error: 'A path cannot climb out of /parse.' }
  return { path }
}

/** The body to send: none for GET and DELETE or when empty, else parsed JSON (or the error). */
export function checkBody(method: Method, text: string): { body: unknown } | { error: string } {
  if (method === 'GET' || method === 'DELETE' || text.trim() === '') return { body: undefined }
  try {
    return { body: JSON.parse(text) }
  } catch (e) {
    return { error: `Invalid JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
}

/** Quotes a word for a POSIX shell. */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/**
 * The curl command doing what the console does, with the master key from the shell's
 * `$MASTER_KEY` (the console acts with the admin's role; a script needs the key).
 */
export function curlCommand(origin: string, appId: string, method: Method, path: string, body: unknown): string {
  const lines = [`curl -X ${method} ${sq(`${origin}/parse${path}`)}`, `-H ${sq(`X-Parse-Application-Id: ${appId}`)}`, `-H "X-Parse-Master-Key: $MASTER_KEY"`]
  if (body !== undefined) {
    lines.push(`-H 'Content-Type: application/json'`)
    lines.push(`-d ${sq(JSON.stringify(body))}`)
  }
  return lines.join(' \\\n  ')
}

export interface Example {
  label: string
  method: Method
  path: string
  body?: string
}

export const EXAMPLES: Example[] = [
  { label: 'Server info', method: 'GET', path: '/serverInfo' },
  { label: 'Class schemas', method: 'GET', path: '/schemas' },
  { label: 'Latest users', method: 'GET', path: '/users?order=-createdAt&limit=10' },
  { label: 'Query a class', method: 'GET', path: '/classes/GameScore?where=%7B%22score%22%3A%7B%22%24gte%22%3A10%7D%7D&limit=20' },
  { label: 'Count objects', method: 'GET', path: '/classes/GameScore?count=1&limit=0' },
  { label: 'Create an object', method: 'POST', path: '/classes/GameScore', body: '{\n  "score": 1337,\n  "playerName": "Sean Plott"\n}' },
  { label: 'Call a function', method: 'POST', path: '/functions/hello', body: '{\n  "name": "world"\n}' },
  { label: 'Config', method: 'GET', path: '/config' },
]

export interface HistoryEntry {
  id: number
  method: Method
  path: string
  body: string
  status: number
  ms: number
  at: string
}

/** The history with `entry` first, at most `max` entries. */
export function remember(history: HistoryEntry[], entry: HistoryEntry, max = 50): HistoryEntry[] {
  return [entry, ...history].slice(0, max)
}
