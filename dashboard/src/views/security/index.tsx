// The security check: the app's risky settings and class permissions, each with a one-click fix
// that applies the change and checks again.
import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { admin, parse } from '../../api'
import { useApp } from '../../appContext'
import { atLeast, type AppView } from '../../types'
import { ErrorState, ErrorText, PageHeader, Spinner } from '../../ui'
import { ConfirmAction } from '../../ui/ConfirmAction'
import { setPath } from '../settings/catalog'
import { runChecks, type ClassInfo, type Finding, type Fix } from './checks'
import './security.css'

interface AuditEntry {
  action: string
  at: string
  details: { key?: string }
}

export default function SecurityView() {
  const app = useApp()
  const id = encodeURIComponent(app.applicationId)
  const schemas = useQuery({
    // Not ['schemas', id]: the data browser keeps that key for its own (sorted list) shape.
    queryKey: ['security-schemas', app.applicationId],
    queryFn: () => parse<{ results: ClassInfo[] }>(app.applicationId, 'GET', '/schemas'),
  })
  const audit = useQuery({
    queryKey: ['audit', app.applicationId, 'security'],
    // Only key rotations: other entries (every dashboard write is one) would push them out.
    queryFn: () => admin<{ results: AuditEntry[] }>('GET', `/apps/${id}/audit?action=app.key.rotate&limit=1000`),
  })
  if (schemas.isPending || audit.isPending) return <Spinner label="Checking…" />
  const report = runChecks({
    settings: app.settings,
    classes: schemas.data?.results ?? null,
    rotations: audit.data
      ? audit.data.results.filter((e) => e.action === 'app.key.rotate' && e.details?.key).map((e) => ({ key: e.details.key!, at: e.at }))
      : null,
    keys: { ...app.keys },
    createdAt: app.createdAt,
    now: new Date(),
  })
  return (
    <div className="security-page">
      <PageHeader title="Security check">
        <button
          type="button"
          onClick={() => {
            schemas.refetch()
            audit.refetch()
          }}
        >
          Check again
        </button>
      </PageHeader>
      {schemas.isError && <ErrorState error={schemas.error} retry={() => schemas.refetch()} />}
      {report.findings.length === 0 ? (
        <div className="card security-clear" role="status">
          <strong>No risky setting found.</strong>
        </div>
      ) : (
        <>
          <p className="muted">
            {report.findings.length} finding{report.findings.length > 1 ? 's' : ''} ({summary(report.findings)}). Each fix changes one setting or one class&apos;s permissions and
            checks again.
          </p>
          <ul className="findings" aria-label="Findings">
            {report.findings.map((f) => (
              <FindingItem key={f.id} app={app} finding={f} />
            ))}
          </ul>
        </>
      )}
      {report.notes.map((n) => (
        <p key={n} className="muted small">
          {n}
        </p>
      ))}
      {report.passed.length > 0 && (
        <section className="card passed" aria-label="Passed checks">
          <h2>Passed</h2>
          <ul>
            {report.passed.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </section>
      )}
      <p className="muted small">
        Checked: the app&apos;s settings, the class-level permissions of every class (GET /parse/schemas), and the keys&apos; age since the
        app&apos;s creation or their last rotation in the audit log (its latest 1,000 entries).
      </p>
    </div>
  )
}

/** "2 high, 1 medium": the findings by severity. */
function summary(findings: Finding[]): string {
  return (['high', 'medium', 'low'] as const)
    .map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ')
}

function FindingItem({ app, finding }: { app: AppView; finding: Finding }) {
  const qc = useQueryClient()
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const fix = finding.fix
  const allowed = fix.type === 'rotate' ? atLeast(app.role, 'owner') : atLeast(app.role, 'developer')

  async function apply(f: Fix) {
    setBusy(true)
    setError(null)
    const id = encodeURIComponent(app.applicationId)
    try {
      if (f.type === 'setting') {
        // The server replaces the settings whole: send them all, with the one changed.
        const view = await admin<AppView>('PATCH', `/apps/${id}`, { settings: setPath(app.settings, f.path, f.value) })
        qc.setQueryData(['app', app.applicationId], view)
      } else if (f.type === 'clp') {
        await parse(app.applicationId, 'PUT', `/schemas/${encodeURIComponent(f.className)}`, { className: f.className, classLevelPermissions: f.clp })
        await qc.invalidateQueries({ queryKey: ['security-schemas', app.applicationId] })
        await qc.invalidateQueries({ queryKey: ['schemas', app.applicationId] })
      } else {
        const view = await admin<AppView>('POST', `/apps/${id}/keys/${f.key}/rotate`)
        qc.setQueryData(['app', app.applicationId], view)
        await qc.invalidateQueries({ queryKey: ['audit', app.applicationId] })
      }
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <li className={`card finding finding-${finding.severity}`} aria-label={finding.title}>
      <div className="finding-head">
        <span className={`badge ${finding.severity === 'low' ? '' : finding.severity === 'high' ? 'danger' : 'warn'}`}>{finding.severity}</span>
        <h3>{finding.title}</h3>
      </div>
      <p>{finding.why}</p>
      {fix.type === 'clp' && (
        <details className="small">
          <summary>The class-level permissions after the fix</summary>
          <pre>{JSON.stringify(fix.clp, null, 2)}</pre>
        </details>
      )}
      <div className="row">
        {allowed ? (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => (fix.type === 'rotate' ? setConfirming(true) : apply(fix))}
          >
            {busy ? 'Fixing…' : `Fix: ${fix.label}`}
          </button>
        ) : (
          <span className="muted small">
            Fix: {fix.label} (needs the {fix.type === 'rotate' ? 'owner' : 'developer'} role)
          </span>
        )}
      </div>
      <ErrorText error={error} />
      {confirming && (
        <ConfirmAction title="Rotate the key?" action="Rotate key" onClose={() => setConfirming(false)} onConfirm={() => apply(fix)}>
          <p>
            A new random value replaces the key. <strong>The old key stops working at once</strong>: update your clients and servers right after.
          </p>
        </ConfirmAction>
      )}
    </li>
  )
}
