// The dashboard's only way to the server: the management API (/admin/v1) and the Parse API
// (/parse), on the same origin, authenticated by the admin's HttpOnly session cookie. No key is
// ever sent from the browser: on /parse the server maps the admin's role on the app to the
// app's rights (owner and developer: master; viewer: read-only master). Every call carries the
// `X-Hearth-Dashboard` header, which a cross-site form cannot set (CSRF; the server also checks
// `Origin` on state-changing calls and the cookie is SameSite=Strict).

export const CSRF_HEADER = 'X-Hearth-Dashboard'

/** A Parse-style error: `{code, error}` and the HTTP status. */
export class ApiError extends Error {
  readonly code: number
  readonly status: number
  constructor(status: number, code: number, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** Called when the server says the admin session is gone (expired, logged out elsewhere). */
let onSignedOut: () => void = () => {}
export function setSignedOutHandler(handler: () => void) {
  onSignedOut = handler
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface CallOptions {
  /** Extra headers (for example X-Parse-Session-Token is never needed: the cookie is the identity). */
  headers?: Record<string, string>
  /** A raw body (file uploads) sent as is, with its content type. */
  raw?: { body: Blob | ArrayBuffer | Uint8Array; contentType: string }
  signal?: AbortSignal
}

/** What one call did, for the API console: status, duration and the parsed answer. */
export interface CallResult<T> {
  status: number
  ms: number
  data: T
  headers: Headers
}

async function send<T>(method: Method, url: string, body: unknown, opts: CallOptions = {}): Promise<CallResult<T>> {
  const headers: Record<string, string> = { [CSRF_HEADER]: '1', ...opts.headers }
  let payload: BodyInit | undefined
  if (opts.raw) {
    headers['Content-Type'] = opts.raw.contentType
    payload = opts.raw.body as BodyInit
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const started = performance.now()
  const res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal })
  const text = await res.text()
  const ms = performance.now() - started
  let data: unknown = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (!res.ok) {
    const err = (data && typeof data === 'object' ? data : {}) as { code?: number; error?: string }
    const code = typeof err.code === 'number' ? err.code : -1
    const message = typeof err.error === 'string' ? err.error : `${res.status} ${res.statusText}`
    // 209 on the management API: the admin session is gone.
    // (Not for the calls that ask whether there is a session at all.)
    if (code === 209 && url.startsWith('/admin/v1/') && !url.startsWith('/admin/v1/auth/') && url !== '/admin/v1/me') onSignedOut()
    throw new ApiError(res.status, code, message)
  }
  return { status: res.status, ms, data: data as T, headers: res.headers }
}

/** A management API call: `path` is relative to /admin/v1 (starting with `/`). */
export async function admin<T>(method: Method, path: string, body?: unknown, opts?: CallOptions): Promise<T> {
  return (await send<T>(method, `/admin/v1${path}`, body, opts)).data
}

/** A management API file download (`path` relative to /admin/v1): the body as a Blob and the
 * file name the server suggests in `Content-Disposition`. Errors are thrown as `ApiError`. */
export async function adminDownload(path: string, signal?: AbortSignal): Promise<{ blob: Blob; fileName: string | null }> {
  const url = `/admin/v1${path}`
  const res = await fetch(url, { headers: { [CSRF_HEADER]: '1' }, credentials: 'same-origin', signal })
  if (!res.ok) {
    let err: { code?: number; error?: string } = {}
    try {
      err = JSON.parse(await res.text())
    } catch {}
    const code = typeof err.code === 'number' ? err.code : -1
    if (code === 209) onSignedOut()
    throw new ApiError(res.status, code, typeof err.error === 'string' ? err.error : `${res.status} ${res.statusText}`)
  }
  const disposition = res.headers.get('Content-Disposition') ?? ''
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? null
  return { blob: await res.blob(), fileName }
}

/** A Parse API call for `appId`: `path` is relative to /parse (starting with `/`). */
export async function parse<T>(appId: string, method: Method, path: string, body?: unknown, opts?: CallOptions): Promise<T> {
  return (await parseCall<T>(appId, method, path, body, opts)).data
}

/** A Parse API call with its status, duration and headers (the API console shows them). */
export function parseCall<T>(appId: string, method: Method, path: string, body?: unknown, opts: CallOptions = {}) {
  return send<T>(method, `/parse${path}`, body, { ...opts, headers: { 'X-Parse-Application-Id': appId, ...opts.headers } })
}

/** A query string from parameters; objects (where, ...) are sent as JSON, as Parse expects. */
export function qs(params: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v))}`)
  }
  return parts.length ? `?${parts.join('&')}` : ''
}
