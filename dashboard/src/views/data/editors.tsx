// Editing one cell, by the field's type. The value is sent as one update of that field; the
// editor stays open with the server's error next to the field when it is refused, so nothing is
// half-applied.
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { useQuery } from '@tanstack/react-query'
import { ErrorText, Field } from '../../ui'
import { find, updateObject, uploadFile } from './dataApi'
import type { FieldDef, ParseObject } from './parseTypes'
import { aclSummary } from './parseTypes'

export type Acl = Record<string, { read?: boolean; write?: boolean }>

interface EditorProps {
  appId: string
  className: string
  field: string
  def: FieldDef
  row: ParseObject
  onSaved: (row: ParseObject) => void
  onClose: () => void
}

/** A date as the editor's `datetime-local` value, in UTC (`2026-01-31T12:00:00.000`). */
export function isoToInput(iso: string | undefined): string {
  return iso ? iso.replace(/Z$/, '').slice(0, 23) : ''
}

/** The editor's UTC value back to ISO 8601, or null when it is not a date. */
export function inputToIso(v: string): string | null {
  if (!v) return null
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** Checks a latitude and longitude typed as text; answers the point or why not. */
export function geoPoint(lat: string, lng: string): { latitude: number; longitude: number } | string {
  const la = Number(lat)
  const lo = Number(lng)
  if (lat.trim() === '' || !Number.isFinite(la) || la < -90 || la > 90) return 'Latitude must be a number from -90 to 90'
  if (lng.trim() === '' || !Number.isFinite(lo) || lo < -180 || lo > 180) return 'Longitude must be a number from -180 to 180'
  return { latitude: la, longitude: lo }
}

/** The editor of one cell. */
export function CellEditor(props: EditorProps) {
  const { def, field, row } = props
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const save = async (value: unknown) => {
    setBusy(true)
    setError(null)
    try {
      const body = { [field]: value === undefined ? { __op: 'Delete' } : value }
      const res = await updateObject(props.appId, props.className, row.objectId, body)
      const next: ParseObject = { ...row, updatedAt: res.updatedAt ?? row.updatedAt }
      if (value === undefined) delete next[field]
      else next[field] = value
      props.onSaved(next)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  const common = { value: row[field], save, error, busy, onClose: props.onClose, setError }
  const type = field === 'ACL' ? 'ACL' : def.type
  switch (type) {
    case 'Number':
      return <TextEditor {...common} label={field} kind="number" />
    case 'Boolean':
      return <BooleanEditor {...common} label={field} />
    case 'Date':
      return <DateEditor {...common} label={field} />
    case 'Object':
    case 'Array':
    case 'Polygon':
    case 'Bytes':
      return <JsonEditor {...common} label={field} />
    case 'Pointer':
      return <PointerEditor {...common} label={field} appId={props.appId} targetClass={def.targetClass ?? ''} />
    case 'File':
      return <FileEditor {...common} label={field} appId={props.appId} />
    case 'GeoPoint':
      return <GeoPointEditor {...common} label={field} />
    case 'ACL':
      return <AclEditor {...common} label="ACL" />
    case 'Relation':
      return (
        <EditorFrame label={field} onClose={props.onClose}>
          <p className="muted small">A relation is edited from its objects: follow it with the link in the cell, or use the API console ({'{"__op":"AddRelation"}'}).</p>
        </EditorFrame>
      )
    default:
      return <TextEditor {...common} label={field} kind="string" />
  }
}

interface Common {
  label: string
  value: unknown
  save: (v: unknown) => Promise<void>
  error: unknown
  busy: boolean
  onClose: () => void
  setError: (e: unknown) => void
}

function EditorFrame({ label, onClose, children, onSubmit, busy, onUnset }: { label: string; onClose: () => void; children: ReactNode; onSubmit?: () => void; busy?: boolean; onUnset?: () => void }) {
  return (
    <form
      className="cell-editor"
      onSubmit={(e) => {
        e.preventDefault()
        onSubmit?.()
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation()
          onClose()
        }
      }}
    >
      {children}
      <div className="actions">
        {onUnset && (
          <button type="button" className="ghost small" onClick={onUnset} disabled={busy} title={`Remove ${label} from this object`}>
            Unset
          </button>
        )}
        <span className="spacer" />
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        {onSubmit && (
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        )}
      </div>
    </form>
  )
}

function TextEditor({ label, value, save, error, busy, onClose, kind, setError }: Common & { kind: 'string' | 'number' }) {
  const [text, setText] = useState(value === undefined || value === null ? '' : String(value))
  const multiline = kind === 'string' && (text.includes('\n') || text.length > 60)
  return (
    <EditorFrame
      label={label}
      onClose={onClose}
      busy={busy}
      onUnset={() => save(undefined)}
      onSubmit={() => {
        if (kind === 'number') {
          const n = Number(text)
          if (text.trim() === '' || !Number.isFinite(n)) return setError(new Error(`"${text}" is not a number`))
          return save(n)
        }
        return save(text)
      }}
    >
      <Field label={label} error={error}>
        {multiline ? (
          <textarea autoFocus rows={5} value={text} onChange={(e) => setText(e.target.value)} />
        ) : (
          <input autoFocus inputMode={kind === 'number' ? 'decimal' : undefined} value={text} onChange={(e) => setText(e.target.value)} />
        )}
      </Field>
    </EditorFrame>
  )
}

function BooleanEditor({ label, value, save, error, busy, onClose }: Common) {
  const [v, setV] = useState(value === true ? 'true' : value === false ? 'false' : '')
  return (
    <EditorFrame label={label} onClose={onClose} busy={busy} onUnset={() => save(undefined)} onSubmit={() => save(v === '' ? undefined : v === 'true')}>
      <Field label={label} error={error}>
        <select autoFocus aria-label={label} value={v} onChange={(e) => setV(e.target.value)}>
          <option value="true">true</option>
          <option value="false">false</option>
          <option value="">(unset)</option>
        </select>
      </Field>
    </EditorFrame>
  )
}

function DateEditor({ label, value, save, error, busy, onClose, setError }: Common) {
  const iso = value && typeof value === 'object' ? String((value as { iso?: string }).iso ?? '') : typeof value === 'string' ? value : ''
  const [v, setV] = useState(isoToInput(iso))
  return (
    <EditorFrame
      label={label}
      onClose={onClose}
      busy={busy}
      onUnset={() => save(undefined)}
      onSubmit={() => {
        const out = inputToIso(v)
        if (!out) return setError(new Error('Pick a date and time'))
        return save({ __type: 'Date', iso: out })
      }}
    >
      <Field label={`${label} (UTC)`} error={error}>
        <input autoFocus type="datetime-local" step="0.001" value={v} onChange={(e) => setV(e.target.value)} />
      </Field>
      <button type="button" className="small" onClick={() => setV(isoToInput(new Date().toISOString()))}>
        Now
      </button>
    </EditorFrame>
  )
}

function JsonEditor({ label, value, save, error, busy, onClose, setError }: Common) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2))
  return (
    <EditorFrame
      label={label}
      onClose={onClose}
      busy={busy}
      onUnset={() => save(undefined)}
      onSubmit={() => {
        let v: unknown
        try {
          v = JSON.parse(text)
        } catch (e) {
          return setError(new Error(`Not valid JSON: ${(e as Error).message}`))
        }
        // The type is checked by the server (its error shows here).
        return save(v)
      }}
    >
      <Field label={`${label} (JSON)`} error={error}>
        <textarea
          autoFocus
          rows={8}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit()
          }}
        />
      </Field>
      <span className="muted small">Ctrl+Enter saves.</span>
    </EditorFrame>
  )
}

function PointerEditor({ label, value, save, error, busy, onClose, appId, targetClass }: Common & { appId: string; targetClass: string }) {
  const current = value && typeof value === 'object' ? String((value as { objectId?: string }).objectId ?? '') : ''
  const [id, setId] = useState(current)
  const [search, setSearch] = useState('')
  const found = useQuery({
    queryKey: ['pointer-search', appId, targetClass, search],
    queryFn: ({ signal }) =>
      find(appId, targetClass, {
        where: search ? { objectId: { $gte: search, $lt: `${search}\uffff` } } : undefined,
        order: 'objectId',
        limit: 8,
        signal,
      }),
    staleTime: 5_000,
  })
  return (
    <EditorFrame
      label={label}
      onClose={onClose}
      busy={busy}
      onUnset={() => save(undefined)}
      onSubmit={() => save({ __type: 'Pointer', className: targetClass, objectId: id.trim() })}
    >
      <Field label={`${label} → ${targetClass} objectId`} error={error}>
        <input autoFocus value={id} onChange={(e) => setId(e.target.value)} />
      </Field>
      <Field label={`Search ${targetClass} by objectId`}>
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="objectId starts with…" />
      </Field>
      {found.isError && <ErrorText error={found.error} />}
      <ul className="pick-list">
        {found.data?.map((o) => (
          <li key={o.objectId}>
            <button type="button" className={o.objectId === id ? 'pick selected' : 'pick'} onClick={() => setId(o.objectId)}>
              <code>{o.objectId}</code> <span className="muted small">{summary(o)}</span>
            </button>
          </li>
        ))}
        {found.data?.length === 0 && <li className="muted small">No {targetClass} object matches.</li>}
      </ul>
    </EditorFrame>
  )
}

/** A few fields of an object in a line (to recognise it in a picker). */
function summary(o: ParseObject): string {
  return Object.entries(o)
    .filter(([k, v]) => !['objectId', 'createdAt', 'updatedAt', 'ACL'].includes(k) && (typeof v === 'string' || typeof v === 'number'))
    .slice(0, 3)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')
}

function FileEditor({ label, value, save, error, busy, onClose, appId, setError }: Common & { appId: string }) {
  const [uploading, setUploading] = useState(false)
  const f = value && typeof value === 'object' ? (value as { name?: string; url?: string }) : null
  return (
    <EditorFrame label={label} onClose={onClose} busy={busy || uploading} onUnset={() => save(undefined)}>
      {f?.url && (
        <p className="small">
          Now:{' '}
          <a href={f.url} target="_blank" rel="noreferrer">
            {f.name}
          </a>
        </p>
      )}
      <Field label={`Upload a file into ${label}`} error={error} hint={uploading ? 'Uploading…' : 'The file is uploaded, then set in this cell.'}>
        <input
          autoFocus
          type="file"
          disabled={uploading || busy}
          onChange={async (e) => {
            const file = e.target.files?.[0]
            if (!file) return
            setUploading(true)
            setError(null)
            try {
              const up = await uploadFile(appId, file)
              await save({ __type: 'File', name: up.name, url: up.url })
            } catch (err) {
              setError(err)
            } finally {
              setUploading(false)
            }
          }}
        />
      </Field>
    </EditorFrame>
  )
}

function GeoPointEditor({ label, value, save, error, busy, onClose, setError }: Common) {
  const g = value && typeof value === 'object' ? (value as { latitude?: number; longitude?: number }) : {}
  const [lat, setLat] = useState(g.latitude === undefined ? '' : String(g.latitude))
  const [lng, setLng] = useState(g.longitude === undefined ? '' : String(g.longitude))
  return (
    <EditorFrame
      label={label}
      onClose={onClose}
      busy={busy}
      onUnset={() => save(undefined)}
      onSubmit={() => {
        const p = geoPoint(lat, lng)
        if (typeof p === 'string') return setError(new Error(p))
        return save({ __type: 'GeoPoint', ...p })
      }}
    >
      <div className="row">
        <Field label="Latitude">
          <input autoFocus inputMode="decimal" value={lat} onChange={(e) => setLat(e.target.value)} />
        </Field>
        <Field label="Longitude">
          <input inputMode="decimal" value={lng} onChange={(e) => setLng(e.target.value)} />
        </Field>
      </div>
      <ErrorText error={error} />
    </EditorFrame>
  )
}

/** The ACL editor: public read and write, users by objectId, roles by name. */
export function AclEditor({ label, value, save, error, busy, onClose }: Common) {
  // No ACL at all means everyone may read and write the object.
  const [acl, setAcl] = useState<Acl>(() => (value && typeof value === 'object' ? structuredClone(value as Acl) : { '*': { read: true, write: true } }))
  const [user, setUser] = useState('')
  const [role, setRole] = useState('')
  const set = (key: string, perm: 'read' | 'write', on: boolean) =>
    setAcl((a) => {
      const next = { ...a, [key]: { ...a[key], [perm]: on } }
      if (!next[key].read) delete next[key].read
      if (!next[key].write) delete next[key].write
      if (!next[key].read && !next[key].write && key === '*') delete next[key]
      return next
    })
  const entries = Object.keys(acl).filter((k) => k !== '*')
  const add = (key: string) => {
    if (!key) return
    setAcl((a) => ({ ...a, [key]: a[key] ?? { read: true, write: true } }))
  }
  const first = useRef<HTMLInputElement>(null)
  useEffect(() => first.current?.focus(), [])
  return (
    <EditorFrame
      label={label}
      onClose={onClose}
      busy={busy}
      onSubmit={() => {
        // Entries with neither right are dropped (they grant nothing).
        const out: Acl = {}
        for (const [k, v] of Object.entries(acl)) if (v.read || v.write) out[k] = { ...(v.read ? { read: true } : {}), ...(v.write ? { write: true } : {}) }
        return save(out)
      }}
    >
      <p className="muted small">{aclSummary(acl)}. An object with an empty ACL is reachable with the master key only.</p>
      <table className="acl-table">
        <thead>
          <tr>
            <th>Who</th>
            <th>Read</th>
            <th>Write</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>Public (everyone)</td>
            <td>
              <input ref={first} type="checkbox" aria-label="Public read" checked={!!acl['*']?.read} onChange={(e) => set('*', 'read', e.target.checked)} />
            </td>
            <td>
              <input type="checkbox" aria-label="Public write" checked={!!acl['*']?.write} onChange={(e) => set('*', 'write', e.target.checked)} />
            </td>
            <td />
          </tr>
          {entries.map((k) => (
            <tr key={k}>
              <td>{k.startsWith('role:') ? <>Role <strong>{k.slice(5)}</strong></> : <>User <code>{k}</code></>}</td>
              <td>
                <input type="checkbox" aria-label={`${k} read`} checked={!!acl[k]?.read} onChange={(e) => set(k, 'read', e.target.checked)} />
              </td>
              <td>
                <input type="checkbox" aria-label={`${k} write`} checked={!!acl[k]?.write} onChange={(e) => set(k, 'write', e.target.checked)} />
              </td>
              <td>
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Remove ${k}`}
                  onClick={() =>
                    setAcl((a) => {
                      const next = { ...a }
                      delete next[k]
                      return next
                    })
                  }
                >
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row acl-add">
        <input aria-label="User objectId" placeholder="User objectId" value={user} onChange={(e) => setUser(e.target.value)} />
        <button type="button" className="small" onClick={() => (add(user.trim()), setUser(''))} disabled={!user.trim()}>
          Add user
        </button>
        <input aria-label="Role name" placeholder="Role name" value={role} onChange={(e) => setRole(e.target.value)} />
        <button type="button" className="small" onClick={() => (add(`role:${role.trim()}`), setRole(''))} disabled={!role.trim()}>
          Add role
        </button>
      </div>
      <ErrorText error={error} />
    </EditorFrame>
  )
}
