// Parse Config: the app's parameters (GET/PUT /parse/config), edited by type, with the
// `masterKeyOnly` flag that hides a parameter from clients.
import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { parse } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Modal, PageHeader, Spinner } from '../../ui'
import { ConfirmAction } from '../../ui/ConfirmAction'
import { checkName, PARAM_TYPES, parseValue, preview, saveBody, toText, typeOf, type ParamType } from './params'
import './config.css'

interface Config {
  params: Record<string, unknown>
  masterKeyOnly?: Record<string, boolean>
}

type Editing = { name: string; value: unknown; masterKeyOnly: boolean } | 'new' | null

export default function ConfigView() {
  const app = useApp()
  const qc = useQueryClient()
  const editable = atLeast(app.role, 'developer')
  const key = ['config', app.applicationId]
  const config = useQuery({ queryKey: key, queryFn: () => parse<Config>(app.applicationId, 'GET', '/config') })
  const [editing, setEditing] = useState<Editing>(null)
  const [deleting, setDeleting] = useState<string | null>(null)
  const [rowError, setRowError] = useState<{ name: string; error: unknown } | null>(null)

  const put = async (body: unknown) => {
    await parse(app.applicationId, 'PUT', '/config', body)
    await qc.invalidateQueries({ queryKey: key })
  }

  let body
  if (config.isPending) body = <Spinner />
  else if (config.isError) body = <ErrorState error={config.error} retry={() => config.refetch()} />
  else {
    const names = Object.keys(config.data.params).sort((a, b) => a.localeCompare(b))
    const flags = config.data.masterKeyOnly ?? {}
    body =
      names.length === 0 ? (
        <Empty title="No parameters yet">
          <p>Config parameters are values your clients read at start-up (feature flags, texts, limits) and change without a release.</p>
          {editable && (
            <button type="button" className="primary" onClick={() => setEditing('new')}>
              Add the first parameter
            </button>
          )}
        </Empty>
      ) : (
        <table className="list config-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Value</th>
              <th title="Readable with the master key only, never by clients">Master key only</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {names.map((name) => {
              const value = config.data.params[name]
              const type = typeOf(value)
              return (
                <tr key={name}>
                  <td className="mono">{name}</td>
                  <td>
                    <span className="badge">{PARAM_TYPES.find((t) => t.type === type)?.label ?? type}</span>
                  </td>
                  <td className="mono config-value">{preview(value)}</td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${name} master key only`}
                      checked={flags[name] === true}
                      disabled={!editable}
                      onChange={async (e) => {
                        setRowError(null)
                        try {
                          await put({ masterKeyOnly: { [name]: e.target.checked } })
                        } catch (err) {
                          setRowError({ name, error: err })
                        }
                      }}
                    />
                  </td>
                  <td className="config-actions">
                    {editable && (
                      <>
                        <button type="button" className="small" aria-label={`Edit ${name}`} onClick={() => setEditing({ name, value, masterKeyOnly: flags[name] === true })}>
                          Edit
                        </button>
                        <button type="button" className="small danger" aria-label={`Delete ${name}`} onClick={() => setDeleting(name)}>
                          Delete
                        </button>
                      </>
                    )}
                    {rowError?.name === name && <ErrorText error={rowError.error} />}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )
  }

  return (
    <div className="config-page">
      <PageHeader title="Config">
        {editable && config.data && Object.keys(config.data.params).length > 0 && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Add parameter
          </button>
        )}
      </PageHeader>
      <p className="muted small">
        Clients read these with <code>GET /parse/config</code> (Parse.Config.get()); parameters marked master key only are left out of their
        answer.
      </p>
      {body}
      {editing && config.data && (
        <ParamEditor
          initial={editing === 'new' ? null : editing}
          taken={Object.keys(config.data.params)}
          onSave={put}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting && (
        <ConfirmAction
          title={`Delete ${deleting}?`}
          action="Delete parameter"
          onClose={() => setDeleting(null)}
          onConfirm={() => put({ params: { [deleting]: { __op: 'Delete' } } })}
        >
          <p>Clients that read this parameter get no value for it from now on.</p>
        </ConfirmAction>
      )}
    </div>
  )
}

function ParamEditor({
  initial,
  taken,
  onSave,
  onClose,
}: {
  initial: { name: string; value: unknown; masterKeyOnly: boolean } | null
  taken: string[]
  onSave: (body: unknown) => Promise<void>
  onClose: () => void
}) {
  const startType = initial ? typeOf(initial.value) : 'string'
  const [name, setName] = useState(initial?.name ?? '')
  const [type, setType] = useState<ParamType>(startType)
  const [text, setText] = useState(initial ? toText(startType, initial.value) : '')
  const [masterKeyOnly, setMasterKeyOnly] = useState(initial?.masterKeyOnly ?? false)
  const [errors, setErrors] = useState<{ name?: unknown; value?: unknown; form?: unknown }>({})
  const [busy, setBusy] = useState(false)

  const changeType = (t: ParamType) => {
    // Keep what converts; start afresh otherwise.
    const parsed = parseValue(type, text)
    setType(t)
    setText('value' in parsed && typeOf(parsed.value) === t ? toText(t, parsed.value) : t === 'boolean' ? 'false' : t === 'object' ? '{}' : t === 'array' ? '[]' : '')
  }

  let editor
  if (type === 'boolean') {
    editor = (
      <select value={text} onChange={(e) => setText(e.target.value)}>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    )
  } else if (type === 'date') {
    editor = <input type="datetime-local" step={1} value={text} onChange={(e) => setText(e.target.value)} />
  } else if (type === 'object' || type === 'array') {
    editor = <textarea rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
  } else {
    editor = <input type="text" inputMode={type === 'number' ? 'decimal' : undefined} value={text} onChange={(e) => setText(e.target.value)} />
  }

  return (
    <Modal title={initial ? `Edit ${initial.name}` : 'New parameter'} onClose={onClose}>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault()
          const found: typeof errors = {}
          const nameError = checkName(name, taken.filter((t) => t !== initial?.name))
          if (nameError) found.name = nameError
          const parsed = parseValue(type, text)
          if ('error' in parsed) found.value = parsed.error
          setErrors(found)
          if (found.name || found.value || !('value' in parsed)) return
          setBusy(true)
          try {
            await onSave(saveBody(name, parsed.value, masterKeyOnly, initial?.name))
            onClose()
          } catch (err) {
            // The server checks the value (a typed object it refuses, a name too long...).
            setErrors({ value: err })
          } finally {
            setBusy(false)
          }
        }}
      >
        <Field label="Parameter name" error={errors.name}>
          <input className="mono" autoFocus={!initial} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Type">
          <select value={type} onChange={(e) => changeType(e.target.value as ParamType)}>
            {PARAM_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Value" hint={type === 'date' ? 'In UTC.' : type === 'object' || type === 'array' ? 'JSON.' : undefined} error={errors.value}>
          {editor}
        </Field>
        <label className="row config-flag">
          <input type="checkbox" checked={masterKeyOnly} onChange={(e) => setMasterKeyOnly(e.target.checked)} />
          Master key only (hidden from clients)
        </label>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save parameter'}
          </button>
        </div>
      </form>
    </Modal>
  )
}
