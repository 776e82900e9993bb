// The API console: any Parse call with the app's rights (the admin's role: no key leaves the
// server), its status, duration, headers and answer, the equivalent curl command, and the
// session's history.
import { useState } from 'react'
import { ApiError, parseCall } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { CopyButton, ErrorText, Field, PageHeader } from '../../ui'
import { checkBody, checkPath, curlCommand, EXAMPLES, METHODS, remember, type HistoryEntry, type Method } from './request'
import './console.css'

interface Answer {
  status: number
  ms: number
  data: unknown
  headers: [string, string][]
}

function loadHistory(appId: string): HistoryEntry[] {
  try {
    return JSON.parse(sessionStorage.getItem(`hearth-console:${appId}`) ?? '[]') as HistoryEntry[]
  } catch {
    return []
  }
}

export default function ConsoleView() {
  const app = useApp()
  const canWrite = atLeast(app.role, 'developer')
  const methods = canWrite ? METHODS : (['GET'] as Method[])
  const [method, setMethod] = useState<Method>('GET')
  const [path, setPath] = useState('/classes/_User?limit=10')
  const [body, setBody] = useState('')
  const [errors, setErrors] = useState<{ path?: string; body?: string }>({})
  const [answer, setAnswer] = useState<Answer | null>(null)
  const [failure, setFailure] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [history, setHistory] = useState<HistoryEntry[]>(() => loadHistory(app.applicationId))

  const checkedPath = checkPath(path)
  const checkedBody = checkBody(method, body)
  const curl =
    'path' in checkedPath && 'body' in checkedBody ? curlCommand(location.origin, app.applicationId, method, checkedPath.path, checkedBody.body) : null

  const send = async () => {
    const found: typeof errors = {}
    if ('error' in checkedPath) found.path = checkedPath.error
    if ('error' in checkedBody) found.body = checkedBody.error
    setErrors(found)
    if (!('path' in checkedPath) || !('body' in checkedBody)) return
    setBusy(true)
    setFailure(null)
    const started = performance.now()
    let status = 0
    try {
      const res = await parseCall<unknown>(app.applicationId, method, checkedPath.path, checkedBody.body)
      status = res.status
      setAnswer({ status: res.status, ms: res.ms, data: res.data, headers: [...res.headers.entries()] })
    } catch (e) {
      const ms = performance.now() - started
      if (e instanceof ApiError) {
        status = e.status
        setAnswer({ status: e.status, ms, data: { code: e.code, error: e.message }, headers: [] })
      } else {
        setAnswer(null)
        setFailure(e)
      }
    } finally {
      setBusy(false)
    }
    const entry: HistoryEntry = {
      id: Date.now(),
      method,
      path: checkedPath.path,
      body: method === 'GET' || method === 'DELETE' ? '' : body,
      status,
      ms: Math.round(performance.now() - started),
      at: new Date().toISOString(),
    }
    setHistory((h) => {
      const next = remember(h, entry)
      // Kept for the tab's life, but never a body that holds a password or a session token.
      const kept = next.map((e) => (/password|sessionToken/i.test(e.body) ? { ...e, body: '' } : e))
      sessionStorage.setItem(`hearth-console:${app.applicationId}`, JSON.stringify(kept))
      return next
    })
  }

  const load = (m: Method, p: string, b = '') => {
    setMethod(methods.includes(m) ? m : 'GET')
    setPath(p)
    setBody(b)
    setErrors({})
  }

  return (
    <div className="console-page">
      <PageHeader title="API console" />
      <p className="muted small">
        Calls go to <code>/parse</code> with this app&apos;s rights for your role ({app.role}
        {canWrite ? ': master rights' : ': read-only'}); no key is sent from the browser.
      </p>
      <div className="console-grid">
        <div className="console-main">
          <form
            className="card console-form"
            aria-label="Request"
            noValidate
            onSubmit={(e) => {
              e.preventDefault()
              send()
            }}
          >
            <div className="console-line">
              <Field label="Method">
                <select value={method} onChange={(e) => setMethod(e.target.value as Method)}>
                  {methods.map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </Field>
              <Field label="Path" hint="Below /parse, with its query string." error={errors.path}>
                <div className="console-path">
                  <span className="muted mono">/parse</span>
                  <input className="mono" value={path} onChange={(e) => setPath(e.target.value)} spellCheck={false} />
                </div>
              </Field>
            </div>
            {method !== 'GET' && method !== 'DELETE' && (
              <Field label="Body (JSON)" error={errors.body}>
                <textarea
                  rows={8}
                  value={body}
                  onChange={(e) => setBody(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                      e.preventDefault()
                      send()
                    }
                  }}
                  spellCheck={false}
                  placeholder="{}"
                />
              </Field>
            )}
            <div className="row">
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Sending…' : 'Send'}
              </button>
              {method !== 'GET' && method !== 'DELETE' && <span className="muted small">Ctrl+Enter in the body sends too.</span>}
            </div>
          </form>
          <ErrorText error={failure} />
          {answer && (
            <section className="card console-answer" aria-label="Response">
              <div className="row">
                <h2>Response</h2>
                <span className={`badge ${answer.status < 300 ? 'ok' : 'danger'}`} aria-label="Status">
                  {answer.status}
                </span>
                <span className="muted small">{answer.ms.toFixed(0)} ms</span>
              </div>
              {answer.headers.length > 0 && (
                <details className="small">
                  <summary>Headers ({answer.headers.length})</summary>
                  <table className="console-headers">
                    <tbody>
                      {answer.headers.map(([k, v]) => (
                        <tr key={k}>
                          <th className="mono">{k}</th>
                          <td className="mono">{v}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              )}
              <pre className="console-json" aria-label="Response body">
                {typeof answer.data === 'string' ? answer.data : JSON.stringify(answer.data, null, 2)}
              </pre>
            </section>
          )}
          {curl && (
            <section className="card console-curl" aria-label="curl">
              <div className="row">
                <h2>curl</h2>
                <span className="spacer" />
                <CopyButton text={curl} />
              </div>
              <pre>{curl}</pre>
              <p className="muted small">Set MASTER_KEY in your shell (<code>hearth app keys</code> prints it on the server) or use a client key header instead.</p>
            </section>
          )}
        </div>
        <aside className="console-side">
          <section className="card">
            <h2>Examples</h2>
            <ul className="console-list">
              {EXAMPLES.filter((x) => methods.includes(x.method)).map((x) => (
                <li key={x.label}>
                  <button type="button" className="ghost console-item" onClick={() => load(x.method, x.path, x.body)}>
                    <span className="console-method">{x.method}</span> {x.label}
                  </button>
                </li>
              ))}
            </ul>
          </section>
          <section className="card">
            <div className="row">
              <h2>History</h2>
              <span className="spacer" />
              {history.length > 0 && (
                <button
                  type="button"
                  className="small ghost"
                  onClick={() => {
                    sessionStorage.removeItem(`hearth-console:${app.applicationId}`)
                    setHistory([])
                  }}
                >
                  Clear
                </button>
              )}
            </div>
            {history.length === 0 ? (
              <p className="muted small">The calls of this session appear here.</p>
            ) : (
              <ul className="console-list" aria-label="History">
                {history.map((h) => (
                  <li key={h.id}>
                    <button type="button" className="ghost console-item" onClick={() => load(h.method, h.path, h.body)} title={h.at}>
                      <span className="console-method">{h.method}</span> <span className="mono console-item-path">{h.path}</span>
                      <span className={`badge ${h.status >= 200 && h.status < 300 ? 'ok' : 'danger'}`}>{h.status || 'failed'}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </aside>
      </div>
    </div>
  )
}
