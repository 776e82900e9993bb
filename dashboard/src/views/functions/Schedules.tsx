// Schedules: jobs run on a cron expression (UTC); list, create, edit (also switch on and off),
// delete.
import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { admin } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Modal, Spinner } from '../../ui'
import { ConfirmButton } from '../../ui/ConfirmButton'
import { fieldOf, parseParams, type Schedule } from './logic'
import { useDeployments } from './data'

export function Schedules() {
  const app = useApp()
  const canWrite = atLeast(app.role, 'developer')
  const base = `/apps/${encodeURIComponent(app.applicationId)}/functions/schedules`
  const schedules = useQuery({ queryKey: ['schedules', app.applicationId], queryFn: () => admin<Schedule[]>('GET', base) })
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null)
  return (
    <div className="fn-schedules">
      <div className="row fn-filters">
        <span className="muted small">Cron expressions are in UTC: 5 fields (minute first) or 6 (seconds first).</span>
        <span className="spacer" />
        {canWrite && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New schedule
          </button>
        )}
      </div>
      {schedules.isPending ? (
        <Spinner />
      ) : schedules.isError ? (
        <ErrorState error={schedules.error} retry={() => schedules.refetch()} />
      ) : schedules.data.length === 0 ? (
        <Empty title="No schedules">A schedule runs one of the app's jobs at the times its cron expression names.</Empty>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th>Job</th>
              <th>Cron (UTC)</th>
              <th>Params</th>
              <th>Next run</th>
              <th>Last run</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {schedules.data.map((s) => (
              <ScheduleRow key={s.id} s={s} base={base} canWrite={canWrite} onEdit={() => setEditing(s)} />
            ))}
          </tbody>
        </table>
      )}
      {editing && <ScheduleForm base={base} schedule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </div>
  )
}

function ScheduleRow({ s, base, canWrite, onEdit }: { s: Schedule; base: string; canWrite: boolean; onEdit: () => void }) {
  const app = useApp()
  const qc = useQueryClient()
  const done = () => qc.invalidateQueries({ queryKey: ['schedules', app.applicationId] })
  const toggle = useMutation({ mutationFn: () => admin('PATCH', `${base}/${s.id}`, { enabled: !s.enabled }), onSuccess: done })
  const del = useMutation({ mutationFn: () => admin('DELETE', `${base}/${s.id}`), onSuccess: done })
  return (
    <tr>
      <td>
        <code>{s.job}</code> {!s.enabled && <span className="badge">off</span>}
        {s.description && <div className="muted small">{s.description}</div>}
      </td>
      <td className="mono">{s.cron}</td>
      <td className="mono small">{JSON.stringify(s.params)}</td>
      <td className="small">{s.enabled ? new Date(s.nextRun).toLocaleString() : '—'}</td>
      <td className="small">{s.lastRun ? new Date(s.lastRun).toLocaleString() : 'never'}</td>
      <td className="fn-row-actions">
        {canWrite && (
          <div className="row">
            <button type="button" className="small" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
              {s.enabled ? 'Pause' : 'Resume'}
            </button>
            <button type="button" className="small" onClick={onEdit}>
              Edit
            </button>
            <ConfirmButton label="Delete" confirmLabel="Confirm delete" ariaLabel={`Delete the schedule of ${s.job}`} busy={del.isPending} onConfirm={() => del.mutate()} />
          </div>
        )}
        <ErrorText error={toggle.error ?? del.error} />
      </td>
    </tr>
  )
}

function ScheduleForm({ base, schedule, onClose }: { base: string; schedule: Schedule | null; onClose: () => void }) {
  const app = useApp()
  const qc = useQueryClient()
  const jobs = useDeployments().data?.find((d) => d.active)?.manifest.jobs ?? []
  const [job, setJob] = useState(schedule?.job ?? jobs[0] ?? '')
  const [cron, setCron] = useState(schedule?.cron ?? '0 * * * *')
  const [params, setParams] = useState(JSON.stringify(schedule?.params ?? {}))
  const [description, setDescription] = useState(schedule?.description ?? '')
  const [enabled, setEnabled] = useState(schedule?.enabled ?? true)
  const [paramsError, setParamsError] = useState<string | null>(null)
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => (schedule ? admin('PATCH', `${base}/${schedule.id}`, body) : admin('POST', base, body)),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['schedules', app.applicationId] })
      onClose()
    },
  })
  // The server names the field at fault in its message: the error goes next to it (the first
  // field named), else under the form.
  const field = fieldOf(save.error?.message, [
    ['cron', 'cron'],
    ['job', 'job'],
    ['param', 'param'],
  ])
  const about = (word: string) => (save.error && field === word ? save.error : null)
  const general = save.error && !field ? save.error : null
  return (
    <Modal title={schedule ? `Edit schedule of ${schedule.job}` : 'New schedule'} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          const parsed = parseParams(params)
          if (!parsed.ok) return setParamsError(parsed.error)
          setParamsError(null)
          save.mutate({ job, cron, params: parsed.value, description, enabled })
        }}
      >
        <Field label="Job" error={about('job')}>
          <input list="fn-schedule-jobs" value={job} onChange={(e) => setJob(e.target.value)} />
          <datalist id="fn-schedule-jobs">
            {jobs.map((j) => (
              <option key={j} value={j} />
            ))}
          </datalist>
        </Field>
        <Field label="Cron expression (UTC)" hint="minute hour day month weekday, e.g. */15 * * * *" error={about('cron')}>
          <input className="mono" value={cron} onChange={(e) => setCron(e.target.value)} />
        </Field>
        <Field label="Schedule params (JSON)" error={paramsError ?? about('param')}>
          <textarea rows={3} value={params} onChange={(e) => setParams(e.target.value)} />
        </Field>
        <Field label="Description">
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <label className="row">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
        </label>
        <ErrorText error={general} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  )
}
