// The invoke console: pick a function, type its params as JSON (checked before sending), call it
// with the app's rights, see its result, how long it took and the log lines of that very call
// (matched by the request id the console sends).
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { admin, ApiError, parseCall, qs } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorText, Field } from '../../ui'
import { parseParams, type LogLine } from './logic'
import { useDeployments } from './data'
import { LogTable } from './Logs'

interface Outcome {
  name: string
  requestId: string
  ok: boolean
  status: number
  ms: number
  body: unknown
  at: number
}

/** A request id the server accepts (letters, digits, `-`, up to 64). */
function newRequestId(): string {
  const c = globalThis.crypto
  return 'dash-' + (typeof c?.randomUUID === 'function' ? c.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`)
}

export function Console() {
  const app = useApp()
  const deployments = useDeployments()
  const [search] = useSearchParams()
  const functions = deployments.data?.find((d) => d.active)?.manifest.functions ?? []
  const [picked, setPicked] = useState(search.get('fn') ?? '')
  const name = picked || functions[0] || ''
  const [params, setParams] = useState('{}')
  const [paramsError, setParamsError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  // Calling a function needs write rights only if it writes; the server decides. Viewers' calls
  // run with read-only master rights.
  const invoke = async () => {
    const parsed = parseParams(params)
    if (!parsed.ok) {
      setParamsError(parsed.error)
      return
    }
    setParamsError(null)
    setBusy(true)
    const requestId = newRequestId()
    const started = performance.now()
    try {
      const res = await parseCall<{ result?: unknown }>(app.applicationId, 'POST', `/functions/${encodeURIComponent(name)}`, parsed.value, {
        headers: { 'X-Request-Id': requestId },
      })
      setOutcome({ name, requestId, ok: true, status: res.status, ms: res.ms, body: res.data?.result, at: Date.now() })
    } catch (e) {
      const ms = performance.now() - started
      const status = e instanceof ApiError ? e.status : 0
      setOutcome({ name, requestId, ok: false, status, ms, body: e, at: Date.now() })
    } finally {
      setBusy(false)
    }
  }
  return (
    <div className="fn-console">
      <form
        className="card fn-console-form"
        onSubmit={(e) => {
          e.preventDefault()
          void invoke()
        }}
      >
        <div className="fn-console-grid">
          <Field label="Function" hint={functions.length ? 'From the active version; or type any name.' : 'No active version lists functions: type a name.'}>
            <input list="fn-console-names" aria-label="Function name" value={name} onChange={(e) => setPicked(e.target.value)} placeholder="hello" />
            <datalist id="fn-console-names">
              {functions.map((f) => (
                <option key={f} value={f} />
              ))}
            </datalist>
          </Field>
          <Field label="Params (JSON)" error={paramsError}>
            <textarea
              aria-label="Params (JSON)"
              rows={5}
              value={params}
              spellCheck={false}
              onChange={(e) => {
                setParams(e.target.value)
                setParamsError(null)
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault()
                  void invoke()
                }
              }}
            />
          </Field>
        </div>
        <div className="row">
          <span className="muted small">
            Runs as <code>POST /parse/functions/{name || 'NAME'}</code> with the app's {atLeast(app.role, 'developer') ? 'master' : 'read-only master'} rights. Ctrl+Enter sends.
          </span>
          <span className="spacer" />
          <button type="submit" className="primary" disabled={!name || busy}>
            {busy ? 'Running…' : 'Invoke'}
          </button>
        </div>
      </form>
      {outcome ? <Result outcome={outcome} key={outcome.requestId} /> : <Empty title="No call yet">The result, duration and log lines of the call show here.</Empty>}
    </div>
  )
}

function Result({ outcome }: { outcome: Outcome }) {
  const app = useApp()
  const lines = useQuery({
    queryKey: ['fn-call-logs', app.applicationId, outcome.requestId],
    queryFn: () => admin<LogLine[]>('GET', `/apps/${encodeURIComponent(app.applicationId)}/functions/logs${qs({ requestId: outcome.requestId, limit: 200 })}`),
    // Lines are written in the background: asked again until the call's outcome line is there,
    // for ten seconds at most.
    refetchInterval: (q) => {
      const data = q.state.data
      const finished = data?.some((l) => l.durationUs !== null)
      return finished || Date.now() - outcome.at > 10_000 ? false : 500
    },
  })
  const waiting = !lines.data?.some((l) => l.durationUs !== null) && Date.now() - outcome.at <= 10_000
  return (
    <section className="card fn-result" aria-label="Result">
      <div className="row fn-result-head">
        <h2>
          {outcome.ok ? <span className="badge ok">ok</span> : <span className="badge danger">error</span>} <code>{outcome.name}</code>
        </h2>
        <span className="spacer" />
        <span className="small">
          HTTP {outcome.status || '—'} · <strong>{outcome.ms.toFixed(0)} ms</strong>
        </span>
        <span className="muted small mono" title="X-Request-Id">
          {outcome.requestId}
        </span>
      </div>
      {outcome.ok ? (
        <pre className="fn-result-body" aria-label="Result value">
          {JSON.stringify(outcome.body, null, 2) ?? 'undefined'}
        </pre>
      ) : (
        <ErrorText error={outcome.body} />
      )}
      <h3>Log lines of this call</h3>
      {lines.isError ? (
        <ErrorText error={lines.error} />
      ) : lines.data && lines.data.length > 0 ? (
        <LogTable lines={[...lines.data].reverse()} />
      ) : waiting ? (
        <p className="muted small">Waiting for the log…</p>
      ) : (
        <p className="muted small">This call wrote no line: a successful call that logs nothing is summed up with others in the log.</p>
      )}
    </section>
  )
}
