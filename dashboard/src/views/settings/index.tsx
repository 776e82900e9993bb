// Settings & keys: the app's name, its keys, every setting with its documentation, and (for
// owners) deleting the app.
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { admin } from '../../api'
import { useApp } from '../../appContext'
import { atLeast, type AppView } from '../../types'
import { Field, PageHeader, TypedConfirm } from '../../ui'
import { KeysSection } from './Keys'
import { SdkSection } from './Sdk'
import { SettingsForm } from './SettingsForm'
import './settings.css'

export default function SettingsView() {
  const app = useApp()
  return (
    <div className="settings-page">
      <PageHeader title="Settings & keys" />
      <GeneralSection app={app} key={`${app.applicationId}:${app.name}`} />
      <KeysSection app={app} />
      <SdkSection app={app} />
      <h2 className="settings-title">App settings</h2>
      <SettingsForm app={app} key={app.applicationId} />
      {atLeast(app.role, 'owner') && <DangerZone app={app} />}
    </div>
  )
}

function GeneralSection({ app }: { app: AppView }) {
  const qc = useQueryClient()
  const editable = atLeast(app.role, 'developer')
  const [name, setName] = useState(app.name)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const date = (iso: string) => new Date(iso).toLocaleString()
  return (
    <section className="card settings-card" aria-labelledby="general-title">
      <h2 id="general-title">General</h2>
      <form
        className="rename-form"
        onSubmit={async (e) => {
          e.preventDefault()
          setError(null)
          if (!name.trim()) {
            setError(new Error('An app needs a name.'))
            return
          }
          setBusy(true)
          try {
            const view = await admin<AppView>('PATCH', `/apps/${encodeURIComponent(app.applicationId)}`, { name })
            qc.setQueryData(['app', app.applicationId], view)
            await qc.invalidateQueries({ queryKey: ['apps'] })
          } catch (err) {
            setError(err)
          } finally {
            setBusy(false)
          }
        }}
      >
        <Field label="App name" error={error}>
          <div className="row">
            <input value={name} readOnly={!editable} onChange={(e) => setName(e.target.value)} />
            {editable && (
              <button type="submit" disabled={busy || name === app.name}>
                {busy ? 'Renaming…' : 'Rename'}
              </button>
            )}
          </div>
        </Field>
      </form>
      <dl className="facts">
        <dt>Your role</dt>
        <dd>{app.role}</dd>
        <dt>Data source</dt>
        <dd className="mono">{app.dataSource}</dd>
        <dt>Created</dt>
        <dd>{date(app.createdAt)}</dd>
        <dt>Last changed</dt>
        <dd>{date(app.updatedAt)}</dd>
      </dl>
    </section>
  )
}

function DangerZone({ app }: { app: AppView }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [open, setOpen] = useState(false)
  return (
    <section className="card settings-card danger-zone" aria-labelledby="danger-title">
      <h2 id="danger-title">Delete this app</h2>
      <p className="small">Deletes the app with all its data, users, files, functions and keys. This cannot be undone.</p>
      <button type="button" className="danger" onClick={() => setOpen(true)}>
        Delete app…
      </button>
      {open && (
        <TypedConfirm
          title={`Delete ${app.name}?`}
          word={app.name}
          action="Delete app"
          onClose={() => setOpen(false)}
          onConfirm={async () => {
            await admin('DELETE', `/apps/${encodeURIComponent(app.applicationId)}`)
            qc.removeQueries({ queryKey: ['app', app.applicationId] })
            await qc.invalidateQueries({ queryKey: ['apps'] })
            navigate('/')
          }}
        >
          <p>
            Every object, user, file and function of <strong>{app.name}</strong> (<code>{app.applicationId}</code>) is deleted, and its keys
            stop working.
          </p>
        </TypedConfirm>
      )}
    </section>
  )
}
