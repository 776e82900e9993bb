// Providers: how the app's pushes reach devices. APNs (a .p8 token key), FCM (a service-account
// file) and a push hook (a signed HTTPS POST to the app's own URL). Stored secrets never come
// back: each provider shows a fingerprint of its key. The hook's signing secret is shown once,
// when it is created or rotated. Viewers see the settings; owners and developers change them.
import { useState, type ReactNode } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { ConfirmAction } from '../../ui/ConfirmAction'
import { CopyButton, ErrorState, ErrorText, Field, Spinner } from '../../ui'
import { deleteProvider, providersKey, rotateHookSecret, saveProvider, useProviders, type ProviderName } from './data'
import { parseChannels, parseServiceAccount, type ApnsView, type FcmView, type HookView } from './logic'

const NAMES: Record<ProviderName, string> = { apns: 'Apple Push Notification service', fcm: 'Firebase Cloud Messaging', hook: 'Push hook' }

export function ProvidersView() {
  const app = useApp()
  const providers = useProviders(app.applicationId)
  const canWrite = atLeast(app.role, 'developer')
  if (providers.isPending) return <Spinner />
  if (providers.isError) return <ErrorState error={providers.error} retry={() => providers.refetch()} />
  const p = providers.data
  return (
    <div className="push-providers">
      <p className="muted small">
        A push goes to each device through the provider of its <code>deviceType</code>: APNs for <code>ios</code>, <code>osx</code> and{' '}
        <code>tvos</code>, FCM for <code>android</code>, the push hook for the device types it is set for.
        {!canWrite && ' You are a viewer of this app: an owner or developer changes these settings.'}
      </p>
      <ApnsCard view={p.apns} canWrite={canWrite} />
      <FcmCard view={p.fcm} canWrite={canWrite} />
      <HookCard view={p.hook} canWrite={canWrite} />
    </div>
  )
}

function Card({
  provider,
  configured,
  canWrite,
  details,
  editing,
  setEditing,
  form,
  extra,
}: {
  provider: ProviderName
  configured: boolean
  canWrite: boolean
  details: ReactNode
  editing: boolean
  setEditing: (v: boolean) => void
  form: ReactNode
  extra?: ReactNode
}) {
  const app = useApp()
  const qc = useQueryClient()
  const [confirm, setConfirm] = useState(false)
  const title = NAMES[provider]
  return (
    <section className="card push-provider" aria-label={title}>
      <header className="row push-provider-head">
        <h2>{title}</h2>
        {configured ? <span className="badge ok">configured</span> : <span className="badge">not configured</span>}
        <span className="spacer" />
        {canWrite && !editing && (
          <>
            <button type="button" className={configured ? 'small' : 'small primary'} onClick={() => setEditing(true)}>
              {configured ? 'Replace' : 'Set up'}
            </button>
            {configured && (
              <button type="button" className="small danger" onClick={() => setConfirm(true)}>
                Delete
              </button>
            )}
          </>
        )}
      </header>
      {configured ? details : !editing && <p className="muted small push-provider-none">No credentials: devices of this provider's types are not sent to.</p>}
      {extra}
      {editing && form}
      {confirm && (
        <ConfirmAction
          title={`Delete the ${title} settings?`}
          action="Delete"
          onClose={() => setConfirm(false)}
          onConfirm={async () => {
            await deleteProvider(app.applicationId, provider)
            await qc.invalidateQueries({ queryKey: providersKey(app.applicationId) })
          }}
        >
          <p>
            The stored credentials are erased. Pushes to this provider's devices fail until new ones are set (counted as <code>failed</code> in the
            history).
          </p>
        </ConfirmAction>
      )}
    </section>
  )
}

function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="push-facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  )
}

function when(iso?: string) {
  return iso ? new Date(iso).toLocaleString() : '—'
}

/** Saving a provider's form: the answer refreshes the view; the error stays under the form. */
function useSave(provider: ProviderName, done: (answer: Record<string, unknown> & { secret?: string }) => void) {
  const app = useApp()
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => saveProvider(app.applicationId, provider, body),
    onSuccess: async (answer) => {
      await qc.invalidateQueries({ queryKey: providersKey(app.applicationId) })
      done(answer)
    },
  })
}

/** A file picked or text pasted: the picked file's text fills the box. */
function FileOrPaste({ label, accept, value, onChange, placeholder, hint }: { label: string; accept: string; value: string; onChange: (s: string) => void; placeholder: string; hint: ReactNode }) {
  return (
    <Field label={label} hint={hint}>
      <input
        type="file"
        accept={accept}
        aria-label={`${label} file`}
        onChange={async (e) => {
          const f = e.target.files?.[0]
          if (f) onChange(await f.text())
        }}
      />
      <textarea aria-label={label} rows={5} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} spellCheck={false} />
    </Field>
  )
}

function FormActions({ busy, onCancel, label = 'Save' }: { busy: boolean; onCancel: () => void; label?: string }) {
  return (
    <div className="actions">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Saving…' : label}
      </button>
    </div>
  )
}

function ApnsCard({ view, canWrite }: { view: ApnsView | null; canWrite: boolean }) {
  const [editing, setEditing] = useState(false)
  const [teamId, setTeamId] = useState(view?.teamId ?? '')
  const [keyId, setKeyId] = useState(view?.keyId ?? '')
  const [topic, setTopic] = useState(view?.topic ?? '')
  const [production, setProduction] = useState(view?.production ?? true)
  const [key, setKey] = useState('')
  const [localError, setLocalError] = useState<string | null>(null)
  const save = useSave('apns', () => {
    setKey('')
    setEditing(false)
  })
  return (
    <Card
      provider="apns"
      configured={!!view}
      canWrite={canWrite}
      editing={editing}
      setEditing={setEditing}
      details={
        view && (
          <Facts
            items={[
              ['Team ID', <code>{view.teamId}</code>],
              ['Key ID', <code>{view.keyId}</code>],
              ['Topic (bundle id)', <code>{view.topic}</code>],
              ['Environment', view.production ? 'production' : 'sandbox (development builds)'],
              ['Key', <code className="push-fingerprint">{view.fingerprint}</code>],
              ['Updated', when(view.updatedAt)],
            ]}
          />
        )
      }
      form={
        <form
          className="push-provider-form"
          aria-label="APNs settings"
          onSubmit={(e) => {
            e.preventDefault()
            setLocalError(null)
            if (!view && key.trim() === '') return setLocalError('Pick or paste the .p8 key.')
            const body: Record<string, unknown> = { teamId: teamId.trim(), keyId: keyId.trim(), topic: topic.trim(), production }
            if (key.trim() !== '') body.key = key
            save.mutate(body)
          }}
        >
          <div className="push-form-grid">
            <Field label="Team ID" hint="10 characters, from your Apple developer account.">
              <input aria-label="Team ID" value={teamId} onChange={(e) => setTeamId(e.target.value)} required />
            </Field>
            <Field label="Key ID" hint="The 10-character id of the .p8 key.">
              <input aria-label="Key ID" value={keyId} onChange={(e) => setKeyId(e.target.value)} required />
            </Field>
            <Field label="Topic" hint="The app's bundle id, such as com.example.app.">
              <input aria-label="Topic" value={topic} onChange={(e) => setTopic(e.target.value)} required />
            </Field>
            <Field label="Environment" hint="Sandbox for builds signed for development.">
              <select aria-label="Environment" value={production ? 'production' : 'sandbox'} onChange={(e) => setProduction(e.target.value === 'production')}>
                <option value="production">production</option>
                <option value="sandbox">sandbox</option>
              </select>
            </Field>
          </div>
          <FileOrPaste
            label="Key (.p8)"
            accept=".p8,.pem,text/plain"
            value={key}
            onChange={setKey}
            placeholder={'-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----'}
            hint={view ? `Leave empty to keep the stored key (${view.fingerprint}).` : 'The token-signing key downloaded from Apple (AuthKey_<key id>.p8). It is never shown again.'}
          />
          <ErrorText error={localError ?? save.error} />
          <FormActions busy={save.isPending} onCancel={() => setEditing(false)} />
        </form>
      }
    />
  )
}

function FcmCard({ view, canWrite }: { view: FcmView | null; canWrite: boolean }) {
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState('')
  const [localError, setLocalError] = useState<string | null>(null)
  const save = useSave('fcm', () => {
    setText('')
    setEditing(false)
  })
  return (
    <Card
      provider="fcm"
      configured={!!view}
      canWrite={canWrite}
      editing={editing}
      setEditing={setEditing}
      details={
        view && (
          <Facts
            items={[
              ['Project', <code>{view.projectId}</code>],
              ['Service account', <code>{view.clientEmail}</code>],
              ['Key', <code className="push-fingerprint">{view.fingerprint}</code>],
              ['Updated', when(view.updatedAt)],
            ]}
          />
        )
      }
      form={
        <form
          className="push-provider-form"
          aria-label="FCM settings"
          onSubmit={(e) => {
            e.preventDefault()
            setLocalError(null)
            const sa = parseServiceAccount(text)
            if (!sa.ok) return setLocalError(sa.error)
            save.mutate({ serviceAccount: sa.value })
          }}
        >
          <FileOrPaste
            label="Service account (JSON)"
            accept=".json,application/json"
            value={text}
            onChange={setText}
            placeholder='{"type": "service_account", "project_id": …}'
            hint="Firebase console → Project settings → Service accounts → Generate new private key. Its private key is never shown again."
          />
          <ErrorText error={localError ?? save.error} />
          <FormActions busy={save.isPending} onCancel={() => setEditing(false)} />
        </form>
      }
    />
  )
}

function HookCard({ view, canWrite }: { view: HookView | null; canWrite: boolean }) {
  const app = useApp()
  const [editing, setEditing] = useState(false)
  const [url, setUrl] = useState(view?.url ?? 'https://')
  const [types, setTypes] = useState((view?.deviceTypes ?? ['web']).join(', '))
  const [secret, setSecret] = useState<string | null>(null)
  const [rotating, setRotating] = useState(false)
  const save = useSave('hook', (answer) => {
    if (typeof answer.secret === 'string') setSecret(answer.secret)
    setEditing(false)
  })
  return (
    <Card
      provider="hook"
      configured={!!view}
      canWrite={canWrite}
      editing={editing}
      setEditing={setEditing}
      details={
        view && (
          <>
            <Facts
              items={[
                ['URL', <code>{view.url}</code>],
                ['Device types', view.deviceTypes.length ? view.deviceTypes.map((d) => <code key={d}>{d} </code>) : <span className="muted">none</span>],
                ['Signing secret', <code className="push-fingerprint">{view.fingerprint}</code>],
                ['Updated', when(view.updatedAt)],
              ]}
            />
            {canWrite && !editing && (
              <div className="row push-hook-actions">
                <button type="button" className="small" onClick={() => setRotating(true)}>
                  Rotate secret
                </button>
              </div>
            )}
          </>
        )
      }
      extra={
        <>
          {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
          {rotating && (
            <ConfirmAction
              title="Rotate the signing secret?"
              action="Rotate"
              onClose={() => setRotating(false)}
              onConfirm={async () => setSecret((await rotateHookSecret(app.applicationId)).secret)}
            >
              <p>A new secret signs the next deliveries. Update your receiver with it right after: it is shown once.</p>
            </ConfirmAction>
          )}
          <details className="push-verify">
            <summary>How a receiver checks the signature</summary>
            <p className="small">
              Each delivery is a <code>POST</code> with the header <code>Hearth-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</code>, where{' '}
              <code>v1</code> is the HMAC-SHA256 of <code>&lt;t&gt;.&lt;raw body&gt;</code> under the secret. In Node (docs/push.md has Python and Go):
            </p>
            <pre>{VERIFY_SNIPPET}</pre>
          </details>
        </>
      }
      form={
        <form
          className="push-provider-form"
          aria-label="Push hook settings"
          onSubmit={(e) => {
            e.preventDefault()
            save.mutate({ url: url.trim(), deviceTypes: parseChannels(types) })
          }}
        >
          <div className="push-form-grid">
            <Field label="URL" hint="HTTPS; Hearth POSTs each batch of devices here.">
              <input aria-label="URL" value={url} onChange={(e) => setUrl(e.target.value)} required className="push-url" />
            </Field>
            <Field label="Device types" hint="Separated by commas: the installations' deviceType values this hook delivers to.">
              <input aria-label="Device types" value={types} onChange={(e) => setTypes(e.target.value)} />
            </Field>
          </div>
          <ErrorText error={save.error} />
          <FormActions busy={save.isPending} onCancel={() => setEditing(false)} />
        </form>
      }
    />
  )
}

const VERIFY_SNIPPET = `const crypto = require('node:crypto');
// header: req.headers['hearth-signature']; rawBody: the request body's bytes, unparsed.
function verify(secret, header, rawBody, toleranceSeconds = 300) {
  const parts = header.split(',').map((p) => p.split('='));
  const t = Number((parts.find(([k]) => k === 't') || [])[1]);
  if (!t || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = crypto.createHmac('sha256', secret).update(\`\${t}.\`).update(rawBody).digest();
  return parts.some(([k, v]) => k === 'v1' && v.length === 64 && crypto.timingSafeEqual(Buffer.from(v, 'hex'), expected));
}`

/** The hook's signing secret, shown once: copy it now. */
function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <div className="push-secret" role="status" aria-label="New signing secret">
      <strong>Signing secret</strong>
      <div className="row">
        <code className="push-secret-value">{secret}</code>
        <CopyButton text={secret} />
      </div>
      <p className="small">
        <strong>Copy it now: it is not shown again.</strong> Your receiver checks each delivery's <code>Hearth-Signature</code> with it (see below). Only
        its fingerprint is kept on view.
      </p>
      <div className="actions">
        <button type="button" className="small" onClick={onDone}>
          I have copied it
        </button>
      </div>
    </div>
  )
}
