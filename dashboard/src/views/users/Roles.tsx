// Roles: list, create (with an ACL), and one role's members (users and child roles, added and
// removed with AddRelation / RemoveRelation), its ACL, and delete. A member leads to its user.
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, parse, qs } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Modal, Spinner } from '../../ui'
import { ConfirmButton } from '../../ui/ConfirmButton'
import { relatedTo, relationOp } from './query'
import type { User } from './Users'
import { usersPath } from './paths'

interface Role {
  objectId: string
  name: string
  ACL?: Record<string, { read?: boolean; write?: boolean }>
  createdAt: string
}

/** An ACL typed as JSON, or why not. */
function parseAcl(text: string): { ok: true; acl: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const v: unknown = JSON.parse(text)
    if (v && typeof v === 'object' && !Array.isArray(v)) return { ok: true, acl: v as Record<string, unknown> }
    return { ok: false, error: 'An ACL is a JSON object, like {"*": {"read": true}}.' }
  } catch (e) {
    return { ok: false, error: `Invalid JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
}

export function RolesTab() {
  const app = useApp()
  const canWrite = atLeast(app.role, 'developer')
  const { roleId } = useParams()
  const navigate = useNavigate()
  const [creating, setCreating] = useState(false)
  const base = usersPath(app.applicationId)
  const roles = useQuery({
    queryKey: ['roles', app.applicationId],
    queryFn: () => parse<{ results: Role[] }>(app.applicationId, 'GET', `/roles${qs({ order: 'name', limit: 1000 })}`).then((r) => r.results),
  })
  return (
    <div className="roles-layout">
      <aside className="roles-list card" aria-label="Roles">
        <div className="row roles-list-head">
          <strong>Roles</strong>
          <span className="spacer" />
          {canWrite && (
            <button type="button" className="small primary" onClick={() => setCreating(true)}>
              New role
            </button>
          )}
        </div>
        {roles.isPending ? (
          <Spinner />
        ) : roles.isError ? (
          <ErrorState error={roles.error} retry={() => roles.refetch()} />
        ) : roles.data.length === 0 ? (
          <Empty title="No roles">A role groups users (and other roles) for ACLs and permissions.</Empty>
        ) : (
          <ul>
            {roles.data.map((r) => (
              <li key={r.objectId}>
                <Link to={`${base}/roles/${r.objectId}`} className={r.objectId === roleId ? 'active' : undefined}>
                  {r.name}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </aside>
      <div className="roles-detail">
        {roleId ? (
          <RoleDetail key={roleId} id={roleId} roles={roles.data ?? []} onDeleted={() => navigate(`${base}/roles`)} />
        ) : (
          <Empty title="Pick a role">Its users, child roles and ACL show here.</Empty>
        )}
      </div>
      {creating && <CreateRole onClose={() => setCreating(false)} onCreated={(id) => navigate(`${base}/roles/${id}`)} />}
    </div>
  )
}

function CreateRole({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const app = useApp()
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [acl, setAcl] = useState('{"*": {"read": true}}')
  const [aclError, setAclError] = useState<string | null>(null)
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => parse<{ objectId: string }>(app.applicationId, 'POST', '/roles', body),
    onSuccess: (r) => {
      qc.invalidateQueries({ queryKey: ['roles', app.applicationId] })
      onClose()
      onCreated(r.objectId)
    },
  })
  const aclServer = create.error instanceof ApiError && create.error.code === 123 ? create.error : null
  return (
    <Modal title="New role" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          const parsed = parseAcl(acl)
          if (!parsed.ok) return setAclError(parsed.error)
          setAclError(null)
          create.mutate({ name, ACL: parsed.acl })
        }}
      >
        <Field label="Role name" hint="Letters, digits, _, - and spaces; it cannot be changed later." error={aclServer ? null : create.error}>
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Role ACL (JSON)" hint='Who may read and change the role itself; "*" is everyone, "role:Name" a role.' error={aclError ?? aclServer}>
          <textarea rows={3} value={acl} onChange={(e) => setAcl(e.target.value)} />
        </Field>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create role
          </button>
        </div>
      </form>
    </Modal>
  )
}

function RoleDetail({ id, roles, onDeleted }: { id: string; roles: Role[]; onDeleted: () => void }) {
  const app = useApp()
  const qc = useQueryClient()
  const canWrite = atLeast(app.role, 'developer')
  const role = useQuery({ queryKey: ['role', app.applicationId, id], queryFn: () => parse<Role>(app.applicationId, 'GET', `/roles/${encodeURIComponent(id)}`) })
  const users = useQuery({
    queryKey: ['role-users', app.applicationId, id],
    queryFn: () => parse<{ results: User[] }>(app.applicationId, 'GET', `/users${qs({ where: relatedTo(id, 'users'), order: 'username', limit: 1000 })}`).then((r) => r.results),
  })
  const children = useQuery({
    queryKey: ['role-children', app.applicationId, id],
    queryFn: () => parse<{ results: Role[] }>(app.applicationId, 'GET', `/roles${qs({ where: relatedTo(id, 'roles'), order: 'name', limit: 1000 })}`).then((r) => r.results),
  })
  const refresh = () => {
    qc.invalidateQueries({ queryKey: ['role-users', app.applicationId, id] })
    qc.invalidateQueries({ queryKey: ['role-children', app.applicationId, id] })
  }
  const change = useMutation({
    mutationFn: (body: Record<string, unknown>) => parse(app.applicationId, 'PUT', `/roles/${encodeURIComponent(id)}`, body),
    onSuccess: refresh,
  })
  const del = useMutation({
    mutationFn: () => parse(app.applicationId, 'DELETE', `/roles/${encodeURIComponent(id)}`),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['roles', app.applicationId] })
      onDeleted()
    },
  })
  if (role.isPending) return <Spinner />
  if (role.isError) return <ErrorState error={role.error} retry={() => role.refetch()} />
  return (
    <div className="role-detail">
      <div className="row role-head">
        <h2>{role.data.name}</h2>
        <span className="muted small mono">{role.data.objectId}</span>
        <span className="spacer" />
        {canWrite && <ConfirmButton label="Delete role" confirmLabel="Confirm: delete role" busy={del.isPending} onConfirm={() => del.mutate()} />}
      </div>
      <ErrorText error={del.error} />
      <div className="role-grid">
        <section className="card" aria-label="Users in this role">
          <h3>Users in this role</h3>
          {canWrite && <AddUser onAdd={(userId) => change.mutateAsync({ users: relationOp(true, '_User', [userId]) })} />}
          {users.isPending ? (
            <Spinner />
          ) : users.isError ? (
            <ErrorText error={users.error} />
          ) : users.data.length === 0 ? (
            <p className="muted small">No users.</p>
          ) : (
            <ul className="role-members">
              {users.data.map((u) => (
                <li key={u.objectId}>
                  <Link to={`${usersPath(app.applicationId)}?user=${u.objectId}`}>{u.username ?? u.objectId}</Link>
                  <span className="muted small">{u.email}</span>
                  {canWrite && (
                    <button
                      type="button"
                      className="small ghost"
                      aria-label={`Remove ${u.username ?? u.objectId} from the role`}
                      onClick={() => change.mutate({ users: relationOp(false, '_User', [u.objectId]) })}
                    >
                      Remove
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-label="Child roles">
          <h3>Child roles</h3>
          <p className="muted small">Members of a child role get this role's rights too.</p>
          {canWrite && (
            <AddChild
              options={roles.filter((r) => r.objectId !== id && !children.data?.some((c) => c.objectId === r.objectId))}
              onAdd={(roleId) => change.mutateAsync({ roles: relationOp(true, '_Role', [roleId]) })}
            />
          )}
          {children.isPending ? (
            <Spinner />
          ) : children.isError ? (
            <ErrorText error={children.error} />
          ) : children.data.length === 0 ? (
            <p className="muted small">No child roles.</p>
          ) : (
            <ul className="role-members">
              {children.data.map((r) => (
                <li key={r.objectId}>
                  <Link to={`${usersPath(app.applicationId)}/roles/${r.objectId}`}>{r.name}</Link>
                  {canWrite && (
                    <button
                      type="button"
                      className="small ghost"
                      aria-label={`Remove child role ${r.name}`}
                      onClick={() => change.mutate({ roles: relationOp(false, '_Role', [r.objectId]) })}
                    >
                      Remove
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <ErrorText error={change.error} />
      <AclEditor role={role.data} canWrite={canWrite} />
    </div>
  )
}

function AddUser({ onAdd }: { onAdd: (userId: string) => Promise<unknown> }) {
  const app = useApp()
  const [username, setUsername] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  return (
    <form
      className="row role-add"
      onSubmit={async (e) => {
        e.preventDefault()
        setBusy(true)
        setError(null)
        try {
          const found = await parse<{ results: User[] }>(app.applicationId, 'GET', `/users${qs({ where: { username }, limit: 1 })}`)
          const user = found.results[0]
          if (!user) throw new Error(`No user is named ${username}.`)
          await onAdd(user.objectId)
          setUsername('')
        } catch (err) {
          setError(err)
        } finally {
          setBusy(false)
        }
      }}
    >
      <Field label="Add a user by username" error={error}>
        <div className="row">
          <input value={username} onChange={(e) => setUsername(e.target.value)} placeholder="username" />
          <button type="submit" disabled={!username || busy}>
            Add user
          </button>
        </div>
      </Field>
    </form>
  )
}

function AddChild({ options, onAdd }: { options: Role[]; onAdd: (roleId: string) => Promise<unknown> }) {
  const [picked, setPicked] = useState('')
  const [error, setError] = useState<unknown>(null)
  return (
    <form
      className="row role-add"
      onSubmit={async (e) => {
        e.preventDefault()
        setError(null)
        try {
          await onAdd(picked)
          setPicked('')
        } catch (err) {
          setError(err)
        }
      }}
    >
      <Field label="Add a child role" error={error}>
        <div className="row">
          <select value={picked} onChange={(e) => setPicked(e.target.value)}>
            <option value="">Choose a role…</option>
            {options.map((r) => (
              <option key={r.objectId} value={r.objectId}>
                {r.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!picked}>
            Add role
          </button>
        </div>
      </Field>
    </form>
  )
}

function AclEditor({ role, canWrite }: { role: Role; canWrite: boolean }) {
  const app = useApp()
  const qc = useQueryClient()
  const [text, setText] = useState(JSON.stringify(role.ACL ?? {}, null, 2))
  const [local, setLocal] = useState<string | null>(null)
  const save = useMutation({
    mutationFn: (acl: Record<string, unknown>) => parse(app.applicationId, 'PUT', `/roles/${encodeURIComponent(role.objectId)}`, { ACL: acl }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['role', app.applicationId, role.objectId] }),
  })
  return (
    <form
      className="card role-acl"
      onSubmit={(e) => {
        e.preventDefault()
        const parsed = parseAcl(text)
        if (!parsed.ok) return setLocal(parsed.error)
        setLocal(null)
        save.mutate(parsed.acl)
      }}
    >
      <Field label="Role ACL (JSON)" hint='Who may read and change this role: "*" everyone, a user id, or "role:Name".' error={local ?? save.error}>
        <textarea rows={7} value={text} onChange={(e) => setText(e.target.value)} readOnly={!canWrite} />
      </Field>
      {canWrite && (
        <div className="row">
          {save.isSuccess && <span className="small" role="status">Saved.</span>}
          <span className="spacer" />
          <button type="submit" disabled={save.isPending}>
            Save ACL
          </button>
        </div>
      )}
    </form>
  )
}
