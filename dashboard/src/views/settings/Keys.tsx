// The app's keys: shown on demand, copied, rotated (owner). The master keys never reach the
// browser: they are for the app's own servers, and are printed by `hearth app keys` (or read
// from the management API with a bearer token).
import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { admin } from '../../api'
import { atLeast, type AppKeys, type AppView } from '../../types'
import { CopyButton } from '../../ui'
import { ConfirmAction } from '../../ui/ConfirmAction'

type KeyKind = 'restApiKey' | 'javascriptKey' | 'clientKey'

const CLIENT_KEYS: { kind: KeyKind; label: string; doc: string }[] = [
  { kind: 'javascriptKey', label: 'JavaScript key', doc: 'For the Parse JavaScript SDK in browsers (X-Parse-JavaScript-Key).' },
  { kind: 'restApiKey', label: 'REST API key', doc: 'For plain HTTP clients (X-Parse-REST-API-Key).' },
  { kind: 'clientKey', label: 'Client key', doc: 'For the iOS, Android and Flutter SDKs (X-Parse-Client-Key).' },
]

const MASTER_KEYS: { kind: 'masterKey' | 'readOnlyMasterKey'; label: string; doc: string }[] = [
  { kind: 'masterKey', label: 'Master key', doc: 'All powers: bypasses ACLs, class permissions and settings. Only for your own servers.' },
  { kind: 'readOnlyMasterKey', label: 'Read-only master key', doc: 'Reads everything, bypassing ACLs and class permissions, and writes nothing. Keep it on servers.' },
]

/** Each key's name inside a sentence. */
const KEY_NOUNS: Record<keyof AppKeys, string> = {
  masterKey: 'master key',
  readOnlyMasterKey: 'read-only master key',
  restApiKey: 'REST API key',
  javascriptKey: 'JavaScript key',
  clientKey: 'client key',
}

export function KeysSection({ app }: { app: AppView }) {
  const owner = atLeast(app.role, 'owner')
  const [rotating, setRotating] = useState<keyof AppKeys | null>(null)
  return (
    <section className="card settings-card" aria-labelledby="keys-title">
      <h2 id="keys-title">Keys</h2>
      <dl className="facts keys-facts">
        <dt>Application id</dt>
        <dd>
          <code>{app.applicationId}</code> <CopyButton text={app.applicationId} label="Copy id" />
        </dd>
        <dt>Server URL</dt>
        <dd>
          <code>{`${location.origin}/parse`}</code> <CopyButton text={`${location.origin}/parse`} label="Copy URL" />
          <span className="muted small"> Parse.serverURL in the SDKs</span>
        </dd>
      </dl>
      <table className="list keys-table">
        <tbody>
          {MASTER_KEYS.map((k) => (
            <tr key={k.kind}>
              <th scope="row">
                {k.label}
                <div className="field-hint">{k.doc}</div>
              </th>
              <td>
                <span className="muted">Hidden.</span>{' '}
                <span className="small muted">
                  The dashboard never receives it (here you act with your role&apos;s rights). On the server, <code>hearth app keys {app.applicationId}</code>{' '}
                  prints it.
                </span>
              </td>
              <td className="key-actions">
                {owner && (
                  <button type="button" className="small" onClick={() => setRotating(k.kind)} aria-label={`Rotate ${k.label}`}>
                    Rotate
                  </button>
                )}
              </td>
            </tr>
          ))}
          {CLIENT_KEYS.map((k) => (
            <KeyRow key={k.kind} label={k.label} doc={k.doc} value={app.keys[k.kind] ?? null} canRotate={owner} onRotate={() => setRotating(k.kind)} />
          ))}
        </tbody>
      </table>
      {rotating && <RotateKey app={app} kind={rotating} onClose={() => setRotating(null)} />}
    </section>
  )
}

function KeyRow({ label, doc, value, canRotate, onRotate }: { label: string; doc: string; value: string | null; canRotate: boolean; onRotate: () => void }) {
  const [shown, setShown] = useState(false)
  return (
    <tr>
      <th scope="row">
        {label}
        <div className="field-hint">{doc}</div>
      </th>
      <td className="key-value mono" aria-label={`${label} value`}>
        {value === null ? <span className="muted">Not set (the application id alone admits clients)</span> : shown ? value : '•'.repeat(24)}
      </td>
      <td className="key-actions">
        {value !== null && (
          <button type="button" className="small" onClick={() => setShown((s) => !s)} aria-label={`${shown ? 'Hide' : 'Show'} ${label}`}>
            {shown ? 'Hide' : 'Show'}
          </button>
        )}
        {value !== null && <CopyButton text={value} />}
        {canRotate && (
          <button type="button" className="small" onClick={onRotate} aria-label={`Rotate ${label}`}>
            Rotate
          </button>
        )}
      </td>
    </tr>
  )
}

function RotateKey({ app, kind, onClose }: { app: AppView; kind: keyof AppKeys; onClose: () => void }) {
  const qc = useQueryClient()
  const noun = KEY_NOUNS[kind]
  return (
    <ConfirmAction
      title={`Rotate the ${noun}?`}
      action="Rotate key"
      onClose={onClose}
      onConfirm={async () => {
        const view = await admin<AppView>('POST', `/apps/${encodeURIComponent(app.applicationId)}/keys/${kind}/rotate`)
        qc.setQueryData(['app', app.applicationId], view)
      }}
    >
      <p>
        A new random value replaces the {noun}. <strong>The old key stops working at once</strong>, on every instance: clients
        that still send it are refused until they are given the new one.
      </p>
    </ConfirmAction>
  )
}

