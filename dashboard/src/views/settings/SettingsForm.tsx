// Every app setting, with its documentation inline, saved as one document (the server replaces
// the settings whole: `buildSettings` keeps what the form does not show).
import { useEffect, useMemo, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { admin } from '../../api'
import { atLeast, type AppView } from '../../types'
import { ErrorText } from '../../ui'
import { LiveClassesControl } from './LiveClasses'
import { buildSettings, getPath, GROUPS, isDefault, settingForError, toDraft, unknownKeys, type Setting } from './catalog'

type Drafts = Record<string, string | boolean>

function describeDefault(s: Setting): string {
  const d = s.default
  if (s.defaultText) return s.defaultText
  if (d === null) return 'not set'
  if (typeof d === 'boolean') return d ? 'on' : 'off'
  if (Array.isArray(d)) return d.length === 0 ? 'empty' : s.kind === 'list' ? d.join(', ') : JSON.stringify(d)
  if (typeof d === 'object') return Object.keys(d).length === 0 ? 'empty' : JSON.stringify(d)
  if (typeof d === 'number') return d.toLocaleString()
  return String(d)
}

const groupId = (title: string) => `settings-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`

export function SettingsForm({ app }: { app: AppView }) {
  const qc = useQueryClient()
  const editable = atLeast(app.role, 'developer')
  const [drafts, setDrafts] = useState<Drafts>({})
  const [extra, setExtra] = useState<Record<string, string>>({})
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [saved, setSaved] = useState(false)
  const others = useMemo(() => unknownKeys(app.settings), [app.settings])
  const changed = Object.keys(drafts).length + Object.keys(extra).length

  // A link to a group (`settings#settings-livequery`, from the Realtime view) opens on it.
  useEffect(() => {
    const target = window.location.hash.slice(1)
    if (target.startsWith('settings-')) document.getElementById(target)?.scrollIntoView({ block: 'start' })
  }, [])

  const draftOf = (s: Setting) => (s.path in drafts ? drafts[s.path] : toDraft(s, getPath(app.settings, s.path)))
  const edit = (path: string, value: string | boolean) => {
    setSaved(false)
    setDrafts((d) => ({ ...d, [path]: value }))
  }

  return (
    <form
      className="settings-form"
      aria-label="App settings"
      onSubmit={async (e) => {
        e.preventDefault()
        setFormError(null)
        setSaved(false)
        const built = buildSettings(app.settings, drafts, extra)
        setErrors(built.errors)
        if (Object.keys(built.errors).length) return
        setBusy(true)
        try {
          const view = await admin<AppView>('PATCH', `/apps/${encodeURIComponent(app.applicationId)}`, { settings: built.settings })
          qc.setQueryData(['app', app.applicationId], view)
          setDrafts({})
          setExtra({})
          setSaved(true)
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err)
          const path = settingForError(message, others)
          if (path) setErrors({ [path]: message })
          else setFormError(err)
        } finally {
          setBusy(false)
        }
      }}
    >
      <nav className="settings-jump" aria-label="Setting groups">
        {GROUPS.map((g) => (
          <button key={g.title} type="button" className="small ghost" onClick={() => document.getElementById(groupId(g.title))?.scrollIntoView({ block: 'start' })}>
            {g.title}
          </button>
        ))}
      </nav>
      {GROUPS.map((g) => (
        <fieldset key={g.title} id={groupId(g.title)} className="card settings-card settings-group" disabled={!editable}>
          <legend>{g.title}</legend>
          {g.settings.map((s) => (
            <SettingField
              key={s.path}
              appId={app.applicationId}
              setting={s}
              draft={draftOf(s)}
              changed={s.path in drafts}
              isDefault={isDefault(s, getPath(app.settings, s.path))}
              error={errors[s.path]}
              onChange={(v) => edit(s.path, v)}
            />
          ))}
        </fieldset>
      ))}
      {others.length > 0 && (
        <fieldset className="card settings-card settings-group" disabled={!editable}>
          <legend>Other settings</legend>
          <p className="muted small">Settings this dashboard has no form for, as JSON; they are saved as they are.</p>
          {others.map((key) => (
            <label key={key} className="setting setting-json">
              <span className="setting-head">
                <span className="field-label mono">{key}</span>
              </span>
              <textarea
                rows={4}
                value={key in extra ? extra[key] : JSON.stringify(app.settings[key], null, 2)}
                onChange={(e) => setExtra((x) => ({ ...x, [key]: e.target.value }))}
              />
              <ErrorText error={errors[key]} />
            </label>
          ))}
        </fieldset>
      )}
      {editable ? (
        <div className="settings-save">
          <ErrorText error={formError} />
          {saved && (
            <span className="ok-text" role="status">
              Settings saved.
            </span>
          )}
          <span className="muted small">{changed ? `${changed} unsaved change${changed > 1 ? 's' : ''}` : 'No changes'}</span>
          <button
            type="button"
            disabled={!changed || busy}
            onClick={() => {
              setDrafts({})
              setExtra({})
              setErrors({})
              setFormError(null)
            }}
          >
            Discard
          </button>
          <button type="submit" className="primary" disabled={!changed || busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      ) : (
        <p className="muted small">You are a viewer of this app: settings are read-only.</p>
      )}
    </form>
  )
}

function SettingField({
  appId,
  setting: s,
  draft,
  changed,
  isDefault,
  error,
  onChange,
}: {
  appId: string
  setting: Setting
  draft: string | boolean
  changed: boolean
  isDefault: boolean
  error?: string
  onChange: (v: string | boolean) => void
}) {
  const id = `setting-${s.path}`
  const doc = (
    <span className="field-hint" id={`${id}-doc`}>
      {s.doc} <span className="setting-default">Default: {describeDefault(s)}.</span>
      <span className="mono setting-path"> {s.path}</span>
    </span>
  )
  const badge = changed ? <span className="badge warn">unsaved</span> : !isDefault ? <span className="badge">changed from default</span> : null
  if (s.kind === 'boolean') {
    return (
      <div className="setting setting-bool">
        <label className="setting-head">
          <input id={id} type="checkbox" checked={draft === true} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-doc`} />
          <span className="field-label">{s.label}</span>
          {badge}
        </label>
        {doc}
        <ErrorText error={error} />
      </div>
    )
  }
  let control
  if (s.kind === 'enum') {
    control = (
      <select id={id} value={String(draft)} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-doc`}>
        {s.options!.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    )
  } else if (s.kind === 'classPatterns') {
    control = <LiveClassesControl appId={appId} id={id} draft={String(draft)} error={error} onChange={onChange} />
  } else if (s.kind === 'json' || s.kind === 'list') {
    control = (
      <textarea
        id={id}
        rows={s.kind === 'list' ? 3 : Math.min(10, Math.max(3, String(draft).split('\n').length))}
        value={String(draft)}
        placeholder={s.kind === 'list' ? 'one per line' : 'not set'}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-doc`}
        aria-invalid={error ? true : undefined}
      />
    )
  } else {
    control = (
      <input
        id={id}
        type="text"
        inputMode={s.kind === 'integer' ? 'numeric' : undefined}
        className={s.kind === 'integer' ? 'setting-number' : undefined}
        value={String(draft)}
        placeholder={s.kind === 'optionalString' ? 'not set' : undefined}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={`${id}-doc`}
        aria-invalid={error ? true : undefined}
      />
    )
  }
  return (
    <div className="setting">
      <div className="setting-head">
        <label className="field-label" htmlFor={id}>
          {s.label}
        </label>
        {badge}
      </div>
      {control}
      {doc}
      <ErrorText error={error} />
    </div>
  )
}
