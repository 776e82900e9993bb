// Versions: upload a module (it becomes the active version), make an earlier one active again
// (roll back), delete one.
import { useRef, useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { admin } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Spinner } from '../../ui'
import { ConfirmButton } from '../../ui/ConfirmButton'
import type { Deployment } from './logic'
import { useDeployments } from './data'

export function Versions() {
  const app = useApp()
  const canWrite = atLeast(app.role, 'developer')
  const deployments = useDeployments()
  return (
    <div className="fn-versions">
      {canWrite && <Upload />}
      {deployments.isPending ? (
        <Spinner />
      ) : deployments.isError ? (
        <ErrorState error={deployments.error} retry={() => deployments.refetch()} />
      ) : deployments.data.length === 0 ? (
        <Empty title="No versions yet">Each uploaded module is a version; the newest becomes active.</Empty>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th>Version</th>
              <th>Offers</th>
              <th>Size</th>
              <th>Deployed</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {deployments.data.map((d) => (
              <VersionRow key={d.version} d={d} canWrite={canWrite} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

function VersionRow({ d, canWrite }: { d: Deployment; canWrite: boolean }) {
  const app = useApp()
  const qc = useQueryClient()
  const [confirm, setConfirm] = useState(false)
  const base = `/apps/${encodeURIComponent(app.applicationId)}/functions/${d.version}`
  const done = () => qc.invalidateQueries({ queryKey: ['deployments', app.applicationId] })
  const activate = useMutation({ mutationFn: () => admin('POST', `${base}/activate`), onSuccess: done })
  const del = useMutation({ mutationFn: () => admin('DELETE', base), onSuccess: done })
  const m = d.manifest
  return (
    <tr aria-label={`Version ${d.version}`}>
      <td>
        <strong>v{d.version}</strong> {d.active && <span className="badge ok">active</span>}
        <div className="muted small mono" title={d.sha256}>
          {d.sha256.slice(0, 12)}
        </div>
      </td>
      <td className="small">
        {m.functions.length} function{m.functions.length === 1 ? '' : 's'}, {m.jobs.length} job{m.jobs.length === 1 ? '' : 's'}, {m.triggers.length}{' '}
        trigger{m.triggers.length === 1 ? '' : 's'}
        <div className="muted fn-offers">{[...m.functions, ...m.jobs.map((j) => `job:${j}`), ...m.triggers].join(', ')}</div>
      </td>
      <td className="small">{(d.size / 1024).toFixed(1)} KB</td>
      <td className="small">
        {new Date(d.createdAt).toLocaleString()}
        <div className="muted">{d.createdBy}</div>
      </td>
      <td className="fn-row-actions">
        {canWrite && (
          <div className="row">
            {!d.active && (
              <button type="button" className="small" onClick={() => activate.mutate()} disabled={activate.isPending} aria-label={`Activate version ${d.version}`}>
                Activate
              </button>
            )}
            <ConfirmButton
              label="Delete"
              confirmLabel="Confirm delete"
              ariaLabel={`Delete version ${d.version}`}
              busy={del.isPending}
              onConfirm={() => del.mutate()}
              onArm={setConfirm}
            />
          </div>
        )}
        {confirm && d.active && <div className="muted small">Deleting the active version leaves the app without functions.</div>}
        <ErrorText error={activate.error ?? del.error} />
      </td>
    </tr>
  )
}

function Upload() {
  const app = useApp()
  const qc = useQueryClient()
  const input = useRef<HTMLInputElement>(null)
  const [file, setFile] = useState<File | null>(null)
  const upload = useMutation({
    mutationFn: (f: File) =>
      admin<Deployment>('POST', `/apps/${encodeURIComponent(app.applicationId)}/functions`, undefined, { raw: { body: f, contentType: 'application/wasm' } }),
    onSuccess: () => {
      setFile(null)
      if (input.current) input.current.value = ''
      qc.invalidateQueries({ queryKey: ['deployments', app.applicationId] })
    },
  })
  return (
    <form
      className="card fn-upload"
      onSubmit={(e) => {
        e.preventDefault()
        if (file) upload.mutate(file)
      }}
    >
      <Field
        label="Upload a module"
        error={upload.error}
        hint="A .wasm file built with Hearth's function SDK. It is checked, becomes the next version and is active at once on every instance."
      >
        <div className="row">
          <input
            ref={input}
            type="file"
            accept=".wasm,application/wasm"
            aria-label="Module file"
            onChange={(e) => {
              upload.reset()
              setFile(e.target.files?.[0] ?? null)
            }}
          />
          <button type="submit" className="primary" disabled={!file || upload.isPending}>
            {upload.isPending ? 'Deploying…' : 'Deploy'}
          </button>
        </div>
      </Field>
      {upload.data && (
        <p className="small" role="status">
          Deployed version {upload.data.version}: it is active now.
        </p>
      )}
    </form>
  )
}
