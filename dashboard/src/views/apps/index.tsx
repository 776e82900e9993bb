// The apps list: the first view after sign in (kept light: it counts in the first view's
// budget). Search by name or id, create an app, open one.
import { useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { admin } from '../../api'
import type { AppSummary, AppView } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Modal, PageHeader, Spinner } from '../../ui'
import { checkNewApp, errorField, filterApps, newAppBody, type FormErrors } from './create'
import './apps.css'

/** An app in the list; `requests24h` when the server counts requests. */
type AppRow = AppSummary & { requests24h?: number }

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const countFormat = new Intl.NumberFormat()

export default function AppsView() {
  const apps = useQuery({ queryKey: ['apps'], queryFn: () => admin<{ results: AppRow[] }>('GET', '/apps') })
  const [query, setQuery] = useState('')
  const [creating, setCreating] = useState(false)

  let body
  if (apps.isPending) body = <Spinner label="Loading apps…" />
  else if (apps.isError) body = <ErrorState error={apps.error} retry={() => apps.refetch()} />
  else if (apps.data.results.length === 0)
    body = (
      <Empty title="No apps yet">
        <p>An app has its own data, users, files, functions and keys.</p>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          Create your first app
        </button>
      </Empty>
    )
  else {
    const rows = filterApps(apps.data.results, query)
    const withCounts = apps.data.results.some((a) => typeof a.requests24h === 'number')
    body = (
      <>
        <div className="row apps-tools">
          <input
            type="search"
            aria-label="Search apps"
            placeholder="Search by name or id"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <span className="muted small">
            {rows.length === apps.data.results.length
              ? `${rows.length} app${rows.length === 1 ? '' : 's'}`
              : `${rows.length} of ${apps.data.results.length} apps`}
          </span>
        </div>
        {rows.length === 0 ? (
          <Empty title="No app matches">Try another part of the name or the id.</Empty>
        ) : (
          <table className="list apps-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Application id</th>
                <th>Your role</th>
                <th>Created</th>
                {withCounts && <th className="num">Requests (24 h)</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.applicationId}>
                  <td>
                    <Link to={`/apps/${encodeURIComponent(a.applicationId)}/data`} className="app-name">
                      {a.name}
                    </Link>
                  </td>
                  <td className="mono muted app-id">{a.applicationId}</td>
                  <td>
                    <span className={a.role === 'owner' ? 'badge ok' : 'badge'}>{a.role}</span>
                  </td>
                  <td>{dateFormat.format(new Date(a.createdAt))}</td>
                  {withCounts && <td className="num">{typeof a.requests24h === 'number' ? countFormat.format(a.requests24h) : '–'}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>
    )
  }

  return (
    <main className="apps-page">
      <PageHeader title="Apps">
        {apps.data && apps.data.results.length > 0 && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New app
          </button>
        )}
      </PageHeader>
      {body}
      {creating && <CreateApp onClose={() => setCreating(false)} />}
    </main>
  )
}

function CreateApp({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [name, setName] = useState('')
  const [applicationId, setApplicationId] = useState('')
  const [errors, setErrors] = useState<FormErrors>({})
  const [busy, setBusy] = useState(false)
  return (
    <Modal title="New app" onClose={onClose}>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault()
          const form = { name, applicationId }
          const found = checkNewApp(form)
          setErrors(found)
          if (Object.keys(found).length) return
          setBusy(true)
          try {
            const app = await admin<AppView>('POST', '/apps', newAppBody(form))
            qc.setQueryData(['app', app.applicationId], app)
            await qc.invalidateQueries({ queryKey: ['apps'] })
            onClose()
            navigate(`/apps/${encodeURIComponent(app.applicationId)}/settings`)
          } catch (err) {
            setErrors(errorField(err))
          } finally {
            setBusy(false)
          }
        }}
      >
        <Field label="App name" error={errors.name}>
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field
          label="Application id (optional)"
          hint="Keep an existing Parse or Back4App app's id so its clients work unchanged; left empty, one is generated."
          error={errors.applicationId}
        >
          <input className="mono" value={applicationId} onChange={(e) => setApplicationId(e.target.value)} />
        </Field>
        <ErrorText error={errors.form} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create app'}
          </button>
        </div>
      </form>
    </Modal>
  )
}
