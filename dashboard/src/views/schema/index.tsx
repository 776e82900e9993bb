// The schema of a class: its columns (add with any Parse type, remove with a typed
// confirmation), its indexes, its class-level permissions with what each one does, and deleting
// the class.
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorText, Field, TypedConfirm } from '../../ui'
import { ClassList, useClassCount } from '../data/ClassList'
import { deleteSchema, purgeClass, updateSchema } from '../data/dataApi'
import { useSchemas } from '../data'
import { BUILTIN, FIELD_TYPES, type ClassSchema, type FieldType, columnsOf, typeLabel } from '../data/parseTypes'
import { CLP_OPS, explain, explainProtected, parseList, readOp, readProtected, writeOp, writeProtected, type OpPermission } from './clp'
import '../data/data.css'
import './schema.css'

export default function SchemaView() {
  const app = useApp()
  const { className } = useParams()
  const schemas = useSchemas(app.applicationId)
  const canWrite = atLeast(app.role, 'developer')
  const schema = schemas.data?.find((s) => s.className === className)
  return (
    <div className="data-view">
      <ClassList appId={app.applicationId} base="schema" schemas={schemas} canCreate={canWrite} />
      <div className="data-main schema-main">
        {!className ? (
          <Empty title="Pick a class">Its columns, indexes and permissions open here.</Empty>
        ) : schemas.data && !schema ? (
          <Empty title={`No class ${className}`} />
        ) : schema ? (
          <ClassSchemaView key={schema.className} appId={app.applicationId} schema={schema} classes={schemas.data!.map((s) => s.className)} readOnly={!canWrite} />
        ) : null}
      </div>
    </div>
  )
}

function ClassSchemaView({ appId, schema, classes, readOnly }: { appId: string; schema: ClassSchema; classes: string[]; readOnly: boolean }) {
  const [tab, setTab] = useState<'columns' | 'indexes' | 'permissions'>('columns')
  const [deleting, setDeleting] = useState(false)
  return (
    <section className="schema">
      <header className="page-head">
        <h1>{schema.className}</h1>
        <Link className="small" to={`/apps/${encodeURIComponent(appId)}/data/${encodeURIComponent(schema.className)}`}>
          Browse rows →
        </Link>
        <div className="page-actions">
          {!readOnly && (
            <button type="button" className="danger" onClick={() => setDeleting(true)}>
              Delete class
            </button>
          )}
        </div>
      </header>
      <div className="tabs" role="tablist">
        {(['columns', 'indexes', 'permissions'] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t === 'columns' ? 'Columns' : t === 'indexes' ? 'Indexes' : 'Permissions (CLP)'}
          </button>
        ))}
      </div>
      {tab === 'columns' && <Columns appId={appId} schema={schema} classes={classes} readOnly={readOnly} />}
      {tab === 'indexes' && <Indexes appId={appId} schema={schema} readOnly={readOnly} />}
      {tab === 'permissions' && <Permissions appId={appId} schema={schema} readOnly={readOnly} />}
      {deleting && <DeleteClass appId={appId} className={schema.className} onClose={() => setDeleting(false)} />}
    </section>
  )
}

function useSchemaSave(appId: string, className: string) {
  const qc = useQueryClient()
  return async (body: Record<string, unknown>) => {
    await updateSchema(appId, className, body)
    await qc.invalidateQueries({ queryKey: ['schemas', appId] })
  }
}

function Columns({ appId, schema, classes, readOnly }: { appId: string; schema: ClassSchema; classes: string[]; readOnly: boolean }) {
  const save = useSchemaSave(appId, schema.className)
  const [removing, setRemoving] = useState<string | null>(null)
  const [name, setName] = useState('')
  const [type, setType] = useState<FieldType>('String')
  const [target, setTarget] = useState(classes.includes('_User') ? '_User' : (classes[0] ?? ''))
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const needsTarget = type === 'Pointer' || type === 'Relation'
  return (
    <>
      {!readOnly && (
        <form
          className="card add-column"
          onSubmit={async (e) => {
            e.preventDefault()
            setBusy(true)
            setError(null)
            try {
              await save({ fields: { [name.trim()]: needsTarget ? { type, targetClass: target } : { type } } })
              setName('')
            } catch (err) {
              setError(err)
            } finally {
              setBusy(false)
            }
          }}
        >
          <h2>Add a column</h2>
          <div className="row align-start">
            <Field label="Column name" error={error}>
              <input value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label="Type">
              <select aria-label="Type" value={type} onChange={(e) => setType(e.target.value as FieldType)}>
                {FIELD_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </Field>
            {needsTarget && (
              <Field label="Target class">
                <select aria-label="Target class" value={target} onChange={(e) => setTarget(e.target.value)}>
                  {classes.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
              </Field>
            )}
            <button type="submit" className="primary add-button" disabled={!name.trim() || busy}>
              Add column
            </button>
          </div>
        </form>
      )}
      <table className="list">
        <thead>
          <tr>
            <th>Column</th>
            <th>Type</th>
            <th>Details</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {columnsOf(schema).map((c) => (
            <tr key={c.name}>
              <td>
                <code>{c.name}</code>
              </td>
              <td>{typeLabel(c.def)}</td>
              <td className="muted small">
                {c.name === 'ACL' ? "Each object's own permissions" : (BUILTIN as readonly string[]).includes(c.name) ? 'Set by the server' : ''}
                {c.def.required ? 'required ' : ''}
                {c.def.defaultValue !== undefined ? `default ${JSON.stringify(c.def.defaultValue)}` : ''}
              </td>
              <td className="cell-actions">
                {!readOnly && !(BUILTIN as readonly string[]).includes(c.name) && !(schema.className.startsWith('_') && isSystemField(schema.className, c.name)) && (
                  <button type="button" className="small danger" onClick={() => setRemoving(c.name)} aria-label={`Remove column ${c.name}`}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {removing && (
        <TypedConfirm
          title={`Remove column ${removing}`}
          word={removing}
          action="Remove column"
          onClose={() => setRemoving(null)}
          onConfirm={() => save({ fields: { [removing]: { __op: 'Delete' } } })}
        >
          <p>
            Removing <code>{removing}</code> deletes its value from every object of {schema.className}. This cannot be undone.
          </p>
        </TypedConfirm>
      )}
    </>
  )
}

function isSystemField(className: string, field: string): boolean {
  const system: Record<string, string[]> = {
    _User: ['username', 'password', 'email', 'emailVerified', 'authData'],
    _Role: ['name', 'users', 'roles'],
    _Session: ['user', 'installationId', 'sessionToken', 'expiresAt', 'createdWith', 'restricted'],
  }
  return system[className]?.includes(field) ?? false
}

function Indexes({ appId, schema, readOnly }: { appId: string; schema: ClassSchema; readOnly: boolean }) {
  const save = useSchemaSave(appId, schema.className)
  const [name, setName] = useState('')
  const fields = columnsOf(schema).filter((c) => c.name !== 'ACL' && c.def.type !== 'Relation')
  const [field, setField] = useState(fields[1]?.name ?? 'objectId')
  const [dir, setDir] = useState('1')
  const [error, setError] = useState<unknown>(null)
  const [removeError, setRemoveError] = useState<unknown>(null)
  const indexes = Object.entries(schema.indexes ?? {})
  return (
    <>
      <p className="muted small">Indexes make filters and sorts on their fields fast on big classes; each one slows writes a little.</p>
      <table className="list">
        <thead>
          <tr>
            <th>Index</th>
            <th>Fields</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {indexes.map(([n, keys]) => (
            <tr key={n}>
              <td>
                <code>{n}</code>
              </td>
              <td className="mono">
                {Object.entries(keys)
                  .map(([k, v]) => `${k} ${v === -1 ? '↓' : v === 1 ? '↑' : JSON.stringify(v)}`)
                  .join(', ')}
              </td>
              <td className="cell-actions">
                {!readOnly && n !== '_id_' && (
                  <button
                    type="button"
                    className="small danger"
                    aria-label={`Remove index ${n}`}
                    onClick={async () => {
                      setRemoveError(null)
                      try {
                        await save({ indexes: { [n]: { __op: 'Delete' } } })
                      } catch (e) {
                        setRemoveError(e)
                      }
                    }}
                  >
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorText error={removeError} />
      {!readOnly && (
        <form
          className="card add-column"
          onSubmit={async (e) => {
            e.preventDefault()
            setError(null)
            try {
              await save({ indexes: { [name.trim()]: { [field]: Number(dir) } } })
              setName('')
            } catch (err) {
              setError(err)
            }
          }}
        >
          <h2>Add an index</h2>
          <div className="row align-start">
            <Field label="Index name" error={error}>
              <input value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label="Field">
              <select aria-label="Field" value={field} onChange={(e) => setField(e.target.value)}>
                {fields.map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            </Field>
            <Field label="Order">
              <select aria-label="Order" value={dir} onChange={(e) => setDir(e.target.value)}>
                <option value="1">ascending</option>
                <option value="-1">descending</option>
              </select>
            </Field>
            <button type="submit" className="primary add-button" disabled={!name.trim()}>
              Add index
            </button>
          </div>
        </form>
      )}
    </>
  )
}

const OP_TITLES: Record<string, string> = {
  find: 'Find',
  get: 'Get',
  count: 'Count',
  create: 'Create',
  update: 'Update',
  delete: 'Delete',
  addField: 'Add field',
}

function Permissions({ appId, schema, readOnly }: { appId: string; schema: ClassSchema; readOnly: boolean }) {
  const save = useSchemaSave(appId, schema.className)
  const clp = schema.classLevelPermissions ?? {}
  const [ops, setOps] = useState<Record<string, OpPermission>>(() => Object.fromEntries(CLP_OPS.map((op) => [op, readOp(clp[op])])))
  const [prot, setProt] = useState(() => readProtected(clp.protectedFields))
  const [error, setError] = useState<unknown>(null)
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)
  const pointerFields = Object.entries(schema.fields)
    .filter(([, d]) => (d.type === 'Pointer' && d.targetClass === '_User') || d.type === 'Array')
    .map(([n]) => n)
  const setOp = (op: string, p: Partial<OpPermission>) => {
    setSaved(false)
    setOps((o) => ({ ...o, [op]: { ...o[op], ...p } }))
  }
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault()
        setBusy(true)
        setError(null)
        setSaved(false)
        const next: Record<string, unknown> = { ...clp }
        for (const op of CLP_OPS) next[op] = writeOp(ops[op])
        next.protectedFields = writeProtected(prot)
        try {
          await save({ classLevelPermissions: next })
          setSaved(true)
        } catch (err) {
          setError(err)
        } finally {
          setBusy(false)
        }
      }}
    >
      <p className="muted small">
        Class-level permissions decide which clients may do what on the whole class, before each object's ACL is checked. The master key (and this dashboard) is never limited by them.
      </p>
      <fieldset className="clp-grid" disabled={readOnly}>
        {CLP_OPS.map((op) => {
          const p = ops[op]
          return (
            <div key={op} className="clp-row">
              <div className="clp-op">
                <strong>{OP_TITLES[op]}</strong>
              </div>
              <div className="clp-controls">
                <label>
                  <input type="checkbox" aria-label={`${OP_TITLES[op]}: public`} checked={p.public} onChange={(e) => setOp(op, { public: e.target.checked })} /> Public
                </label>
                <label>
                  <input
                    type="checkbox"
                    aria-label={`${OP_TITLES[op]}: requires authentication`}
                    checked={p.requiresAuthentication}
                    onChange={(e) => setOp(op, { requiresAuthentication: e.target.checked })}
                  />{' '}
                  Signed-in users
                </label>
                <input
                  aria-label={`${OP_TITLES[op]}: users and roles`}
                  placeholder="user ids, role:Name"
                  defaultValue={p.entries.join(', ')}
                  onChange={(e) => setOp(op, { entries: parseList(e.target.value) })}
                />
                {op !== 'create' && op !== 'addField' && (
                  <input
                    aria-label={`${OP_TITLES[op]}: pointer fields`}
                    placeholder={pointerFields.length ? `pointer fields: ${pointerFields.join(', ')}` : 'pointer fields'}
                    defaultValue={p.pointerFields.join(', ')}
                    onChange={(e) => setOp(op, { pointerFields: parseList(e.target.value) })}
                  />
                )}
              </div>
              <p className="clp-explain">{explain(op, p)}</p>
            </div>
          )
        })}
      </fieldset>
      <h3>Protected fields</h3>
      <p className="muted small">Fields left out of every answer to the clients in a scope: * (everyone), authenticated, role:Name, a user id, or userField:pointerField.</p>
      <fieldset className="prot-list" disabled={readOnly}>
        {prot.map((r, i) => (
          <div key={i} className="prot-row">
            <input aria-label="Protected scope" value={r.scope} onChange={(e) => setProt(prot.map((x, j) => (j === i ? { ...x, scope: e.target.value } : x)))} />
            <input
              aria-label={`Protected fields for ${r.scope}`}
              defaultValue={r.fields.join(', ')}
              placeholder="field, field"
              onChange={(e) => setProt(prot.map((x, j) => (j === i ? { ...x, fields: parseList(e.target.value) } : x)))}
            />
            <button type="button" className="ghost small" aria-label={`Remove scope ${r.scope}`} onClick={() => setProt(prot.filter((_, j) => j !== i))}>
              ✕
            </button>
            <span className="clp-explain">{explainProtected(r.scope, r.fields)}</span>
          </div>
        ))}
        {!readOnly && (
          <button type="button" className="small" onClick={() => setProt([...prot, { scope: prot.some((r) => r.scope === '*') ? 'authenticated' : '*', fields: [] }])}>
            + Scope
          </button>
        )}
      </fieldset>
      <ErrorText error={error} />
      {!readOnly && (
        <div className="actions">
          {saved && (
            <span className="badge ok" role="status">
              Saved
            </span>
          )}
          <button type="submit" className="primary" disabled={busy}>
            Save permissions
          </button>
        </div>
      )}
    </form>
  )
}

function DeleteClass({ appId, className, onClose }: { appId: string; className: string; onClose: () => void }) {
  const rows = useClassCount(appId, className)
  const [purge, setPurge] = useState(false)
  const qc = useQueryClient()
  const navigate = useNavigate()
  const n = rows.data?.count ?? 0
  return (
    <TypedConfirm
      title={`Delete class ${className}`}
      word={className}
      action="Delete class"
      onClose={onClose}
      onConfirm={async () => {
        if (n > 0 && purge) await purgeClass(appId, className)
        await deleteSchema(appId, className)
        await qc.invalidateQueries({ queryKey: ['schemas', appId] })
        qc.removeQueries({ queryKey: ['count', appId, className] })
        void qc.invalidateQueries({ queryKey: ['class-counts', appId] })
        navigate(`/apps/${encodeURIComponent(appId)}/schema`)
      }}
    >
      <p>Deleting a class removes its columns, indexes and permissions. Parse deletes only empty classes.</p>
      {n > 0 && (
        <label className="row">
          <input type="checkbox" checked={purge} onChange={(e) => setPurge(e.target.checked)} /> Also delete its {rows.data?.estimated ? 'about ' : ''}{n.toLocaleString('en-US')} rows first
        </label>
      )}
    </TypedConfirm>
  )
}
