// Webhooks: cloud functions and triggers served by an external URL (Parse's Hooks API): list,
// register, change the URL, remove.
import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { parse } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Spinner } from '../../ui'
import { fieldOf } from './logic'

interface Hook {
  functionName?: string
  className?: string
  triggerName?: string
  url: string
}

const TRIGGERS = ['beforeSave', 'afterSave', 'beforeDelete', 'afterDelete', 'beforeFind', 'afterFind', 'beforeLogin', 'afterLogin', 'afterLogout']

function hookPath(h: Hook) {
  return h.functionName !== undefined
    ? `/hooks/functions/${encodeURIComponent(h.functionName)}`
    : `/hooks/triggers/${encodeURIComponent(h.className ?? '')}/${encodeURIComponent(h.triggerName ?? '')}`
}

export function Webhooks() {
  const app = useApp()
  const canWrite = atLeast(app.role, 'developer')
  const functions = useQuery({ queryKey: ['hooks', app.applicationId, 'functions'], queryFn: () => parse<Hook[]>(app.applicationId, 'GET', '/hooks/functions') })
  const triggers = useQuery({ queryKey: ['hooks', app.applicationId, 'triggers'], queryFn: () => parse<Hook[]>(app.applicationId, 'GET', '/hooks/triggers') })
  const all = [...(functions.data ?? []), ...(triggers.data ?? [])]
  return (
    <div className="fn-hooks">
      <p className="muted small">
        A webhook is a function or trigger that Hearth calls over HTTP (a POST with the request as JSON), as Parse Server's Hooks API does.
      </p>
      {canWrite && <NewHook />}
      {functions.isPending || triggers.isPending ? (
        <Spinner />
      ) : functions.isError || triggers.isError ? (
        <ErrorState error={functions.error ?? triggers.error} retry={() => (functions.refetch(), triggers.refetch())} />
      ) : all.length === 0 ? (
        <Empty title="No webhooks">Register one above.</Empty>
      ) : (
        <table className="list fn-hooks-table">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Name</th>
              <th>URL</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {all.map((h) => (
              <HookRow key={hookPath(h)} hook={h} canWrite={canWrite} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

function HookRow({ hook, canWrite }: { hook: Hook; canWrite: boolean }) {
  const app = useApp()
  const qc = useQueryClient()
  const [url, setUrl] = useState(hook.url)
  const done = () => qc.invalidateQueries({ queryKey: ['hooks', app.applicationId] })
  const save = useMutation({ mutationFn: () => parse(app.applicationId, 'PUT', hookPath(hook), { url }), onSuccess: done })
  const del = useMutation({ mutationFn: () => parse(app.applicationId, 'PUT', hookPath(hook), { __op: 'Delete' }), onSuccess: done })
  const name = hook.functionName ?? `${hook.triggerName} on ${hook.className}`
  return (
    <tr>
      <td>
        <span className="badge">{hook.functionName !== undefined ? 'function' : 'trigger'}</span>
      </td>
      <td>
        <code>{name}</code>
      </td>
      <td className="fn-hook-url">
        {canWrite ? <input aria-label={`URL of ${name}`} value={url} onChange={(e) => setUrl(e.target.value)} /> : <code>{hook.url}</code>}
        <ErrorText error={save.error ?? del.error} />
      </td>
      <td className="fn-row-actions">
        {canWrite && (
          <div className="row">
            <button type="button" className="small" disabled={url === hook.url || save.isPending} onClick={() => save.mutate()}>
              Save
            </button>
            <button type="button" className="small danger" disabled={del.isPending} onClick={() => del.mutate()} aria-label={`Remove ${name}`}>
              Remove
            </button>
          </div>
        )}
      </td>
    </tr>
  )
}

function NewHook() {
  const app = useApp()
  const qc = useQueryClient()
  const [kind, setKind] = useState<'function' | 'trigger'>('function')
  const [name, setName] = useState('')
  const [className, setClassName] = useState('')
  const [trigger, setTrigger] = useState('beforeSave')
  const [url, setUrl] = useState('https://')
  const create = useMutation({
    mutationFn: () =>
      kind === 'function'
        ? parse(app.applicationId, 'POST', '/hooks/functions', { functionName: name, url })
        : parse(app.applicationId, 'POST', '/hooks/triggers', { className, triggerName: trigger, url }),
    onSuccess: () => {
      setName('')
      setUrl('https://')
      qc.invalidateQueries({ queryKey: ['hooks', app.applicationId] })
    },
  })
  // The server's error goes next to the field it is about, else under the form.
  const field = fieldOf(create.error?.message, [
    ['url', 'url'],
    ['function name', 'name'],
    ['class name', 'class'],
    ['trigger name', 'trigger'],
  ])
  const at = (f: string) => (field === f ? create.error : null)
  return (
    <form
      className="card fn-new-hook"
      onSubmit={(e) => {
        e.preventDefault()
        create.mutate()
      }}
    >
      <div className="row fn-hook-form">
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind(e.target.value as 'function' | 'trigger')}>
            <option value="function">Function</option>
            <option value="trigger">Trigger</option>
          </select>
        </Field>
        {kind === 'function' ? (
          <Field label="Function name" error={at('name')}>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="sendInvoice" />
          </Field>
        ) : (
          <>
            <Field label="Class" error={at('class')}>
              <input value={className} onChange={(e) => setClassName(e.target.value)} placeholder="Order" />
            </Field>
            <Field label="Trigger" error={at('trigger')}>
              <select value={trigger} onChange={(e) => setTrigger(e.target.value)}>
                {TRIGGERS.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </Field>
          </>
        )}
        <Field label="Webhook URL" error={at('url')}>
          <input className="fn-url-input" value={url} onChange={(e) => setUrl(e.target.value)} />
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          Register
        </button>
      </div>
      <ErrorText error={field ? null : create.error} />
    </form>
  )
}
