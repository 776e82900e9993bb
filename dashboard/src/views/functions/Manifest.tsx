// The active deployment's manifest: its functions (with the types they declare), jobs and
// triggers, and the app's function settings that apply to them.
import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { useApp } from '../../appContext'
import { Empty, ErrorState, Spinner } from '../../ui'
import { functionsPath, useDeployments } from './data'
import { type FunctionType, shortTypeText } from './logic'

export function Manifest() {
  const app = useApp()
  const deployments = useDeployments()
  const base = functionsPath(app.applicationId)
  if (deployments.isPending) return <Spinner />
  if (deployments.isError) return <ErrorState error={deployments.error} retry={() => deployments.refetch()} />
  const active = deployments.data.find((d) => d.active)
  if (!active)
    return (
      <Empty title={deployments.data.length ? 'No active version' : 'No module deployed yet'}>
        Upload a <code>.wasm</code> module in <Link to={`${base}/versions`}>Versions</Link>; the SDKs for AssemblyScript and Rust build one.
      </Empty>
    )
  const settings = (app.settings.functions ?? {}) as Record<string, unknown>
  const m = active.manifest
  return (
    <div className="fn-manifest">
      <div className="fn-manifest-head row">
        <span className="badge ok">active</span>
        <strong>Version {active.version}</strong>
        <span className="muted small">
          deployed {new Date(active.createdAt).toLocaleString()} by {active.createdBy} · {(active.size / 1024).toFixed(1)} KB · sha256{' '}
          <code title={active.sha256}>{active.sha256.slice(0, 12)}…</code>
        </span>
      </div>
      <div className="fn-manifest-grid">
        <Names title="Functions" names={m.functions}>
          {(f) => (
            <>
              <code>{f}</code>
              <Link className="small" to={`${base}/console?fn=${encodeURIComponent(f)}`} aria-label={`Invoke ${f}`}>
                Invoke
              </Link>
            </>
          )}
        </Names>
        <Names title="Jobs" names={m.jobs}>
          {(j) => (
            <>
              <code>{j}</code>
              <Link className="small" to={`${base}/jobs?job=${encodeURIComponent(j)}`} aria-label={`Run ${j}`}>
                Run
              </Link>
            </>
          )}
        </Names>
        <Names title="Triggers" names={m.triggers}>
          {(t) => (
            <>
              <code>{t.split(':')[0]}</code> <span className="muted">on</span> <code>{t.split(':')[1]}</code>
            </>
          )}
        </Names>
      </div>
      {m.functionTypes && Object.keys(m.functionTypes).length > 0 && <Types types={m.functionTypes} />}
      <section className="card fn-settings" aria-label="Function settings">
        <h2>Settings</h2>
        <p className="muted small">
          The limits every call of this app runs under (change them in <Link to={`/apps/${encodeURIComponent(app.applicationId)}/settings`}>Settings</Link>).
        </p>
        <dl>
          {Object.entries(settings)
            .filter(([k]) => k !== 'secrets')
            .map(([k, v]) => (
              <div key={k} className="fn-setting">
                <dt>{k}</dt>
                <dd className="mono">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
              </div>
            ))}
          {'secrets' in settings && (
            <div className="fn-setting">
              <dt>secrets</dt>
              <dd className="mono">{Object.keys((settings.secrets as object) ?? {}).join(', ') || '—'}</dd>
            </div>
          )}
        </dl>
      </section>
    </div>
  )
}

/** The declared parameter and result types, as generated SDKs type their calls (cut short); the schema itself unfolded. */
function Types({ types }: { types: Record<string, FunctionType> }) {
  const cell = (schema: unknown) =>
    schema === undefined ? (
      <span className="muted">not declared</span>
    ) : (
      <details>
        <summary>
          <code>{shortTypeText(schema)}</code>
        </summary>
        <pre className="mono small">{JSON.stringify(schema, null, 2)}</pre>
      </details>
    )
  return (
    <section className="card fn-types" aria-label="Function types">
      <h2>
        Function types <span className="muted small">{Object.keys(types).length}</span>
      </h2>
      <p className="muted small">Declared by the module; generated SDKs type their calls of these functions from them.</p>
      <table className="list">
        <thead>
          <tr>
            <th>Function</th>
            <th>Params</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(types).map(([name, t]) => (
            <tr key={name}>
              <td>
                <code>{name}</code>
              </td>
              <td>{cell(t.params)}</td>
              <td>{cell(t.result)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

/** One card of the manifest: a titled list of names, each shown by `children`. */
function Names({ title, names, children }: { title: string; names: string[]; children: (name: string) => ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <h2>
        {title} <span className="muted small">{names.length}</span>
      </h2>
      {names.length === 0 ? (
        <p className="muted small">None.</p>
      ) : (
        <ul className="fn-names">
          {names.map((n) => (
            <li key={n}>{children(n)}</li>
          ))}
        </ul>
      )}
    </section>
  )
}
