// Jobs: run one with params, and the `_JobStatus` of recent runs (status, progress, message),
// asked again every second while one is running.
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { parse, parseCall, qs } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, Field, Spinner } from '../../ui'
import { parseParams, type JobStatus } from './logic'
import { useDeployments } from './data'

function when(v: JobStatus['finishedAt'] | string | undefined): string {
  if (!v) return ''
  const iso = typeof v === 'string' ? v : v.iso
  return new Date(iso).toLocaleString()
}

export function Jobs() {
  const app = useApp()
  const qc = useQueryClient()
  const canWrite = atLeast(app.role, 'developer')
  const deployments = useDeployments()
  const [search] = useSearchParams()
  const jobs = deployments.data?.find((d) => d.active)?.manifest.jobs ?? []
  const [picked, setPicked] = useState(search.get('job') ?? '')
  const job = picked || jobs[0] || ''
  const [params, setParams] = useState('{}')
  const [paramsError, setParamsError] = useState<string | null>(null)
  const runs = useQuery({
    queryKey: ['job-status', app.applicationId],
    queryFn: () =>
      parse<{ results: JobStatus[] }>(app.applicationId, 'GET', `/classes/_JobStatus${qs({ order: '-createdAt', limit: 50 })}`).then((r) => r.results),
    refetchInterval: (q) => (q.state.data?.some((r) => r.status === 'running') ? 1000 : false),
  })
  const run = useMutation({
    mutationFn: async (value: Record<string, unknown>) => {
      const res = await parseCall(app.applicationId, 'POST', `/jobs/${encodeURIComponent(job)}`, value)
      return res.headers.get('X-Parse-Job-Status-Id')
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ['job-status', app.applicationId] }),
  })
  return (
    <div className="fn-jobs">
      {canWrite && (
        <form
          className="card fn-run-job"
          onSubmit={(e) => {
            e.preventDefault()
            const parsed = parseParams(params)
            if (!parsed.ok) return setParamsError(parsed.error)
            setParamsError(null)
            run.mutate(parsed.value)
          }}
        >
          <div className="fn-console-grid">
            <Field label="Job" error={run.error}>
              <select aria-label="Job" value={job} onChange={(e) => setPicked(e.target.value)} disabled={jobs.length === 0}>
                {jobs.length === 0 && <option value="">No job in the active version</option>}
                {jobs.map((j) => (
                  <option key={j} value={j}>
                    {j}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Job params (JSON)" error={paramsError}>
              <textarea aria-label="Job params (JSON)" rows={2} value={params} spellCheck={false} onChange={(e) => setParams(e.target.value)} />
            </Field>
          </div>
          <div className="row">
            <span className="muted small">Runs in the background on whichever instance takes it; its status is below.</span>
            <span className="spacer" />
            <button type="submit" className="primary" disabled={!job || run.isPending}>
              Run job
            </button>
          </div>
        </form>
      )}
      <h2 className="fn-subhead">Recent runs</h2>
      {runs.isPending ? (
        <Spinner />
      ) : runs.isError ? (
        <ErrorState error={runs.error} retry={() => runs.refetch()} />
      ) : runs.data.length === 0 ? (
        <Empty title="No run yet">Runs started here, by the API or by a schedule are listed with their status.</Empty>
      ) : (
        <table className="list fn-runs" aria-label="Job runs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Message</th>
              <th>Started</th>
              <th>Finished</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.map((r) => (
              <tr key={r.objectId} aria-label={`Run ${r.objectId}`}>
                <td>
                  <code>{r.jobName}</code>
                  <div className="muted small">{r.source}</div>
                </td>
                <td>
                  <span className={`badge ${r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'danger' : 'warn'}`}>{r.status}</span>
                </td>
                <td className="fn-progress-cell">
                  {typeof r.progress === 'number' ? (
                    <div className="fn-progress" role="progressbar" aria-valuenow={Math.round(r.progress * 100)} aria-valuemin={0} aria-valuemax={100}>
                      <span style={{ width: `${Math.min(100, Math.max(0, r.progress * 100))}%` }} />
                    </div>
                  ) : r.status === 'succeeded' ? (
                    <span className="small muted">done</span>
                  ) : (
                    ''
                  )}
                </td>
                <td className="small fn-message">{r.message}</td>
                <td className="small nowrap">{when(r.createdAt)}</td>
                <td className="small nowrap">{when(r.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
