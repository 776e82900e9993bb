// The users: newest first by keyset pages, search by username or email, create, edit (email,
// username, verified flag, a new password), delete, and each user's sessions with revoke.
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { parse, qs } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Modal, Spinner } from '../../ui'
import { ConfirmButton } from '../../ui/ConfirmButton'
import { pointer, usersWhere } from './query'

export interface User {
  objectId: string
  username?: string
  email?: string
  emailVerified?: boolean
  authData?: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

interface Session {
  objectId: string
  sessionToken?: string
  createdWith?: { action?: string; authProvider?: string }
  installationId?: string
  expiresAt?: { iso: string }
  createdAt: string
}

const PAGE = 50

export function UsersTab() {
  const app = useApp()
  const canWrite = atLeast(app.role, 'developer')
  const [search, setSearch] = useState('')
  const [params, setParams] = useSearchParams()
  const open = params.get('user')
  const [creating, setCreating] = useState(false)
  const users = useInfiniteQuery({
    queryKey: ['users', app.applicationId, search],
    queryFn: ({ pageParam }) =>
      parse<{ results: User[] }>(
        app.applicationId,
        'GET',
        `/users${qs({ where: usersWhere(search, pageParam), order: '-createdAt,-objectId', limit: PAGE, keys: 'username,email,emailVerified,authData' })}`,
      ).then((r) => r.results),
    initialPageParam: undefined as { createdAt: string; objectId: string } | undefined,
    getNextPageParam: (last) => (last.length === PAGE ? { createdAt: last[PAGE - 1].createdAt, objectId: last[PAGE - 1].objectId } : undefined),
  })
  const rows = users.data?.pages.flat() ?? []
  const select = (id: string | null) => setParams(id ? { user: id } : {})
  return (
    <div>
      <div className="row users-toolbar">
        <input type="search" aria-label="Search users" placeholder="Search username or email…" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="spacer" />
        {canWrite && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New user
          </button>
        )}
      </div>
      {users.isPending ? (
        <Spinner />
      ) : users.isError ? (
        <ErrorState error={users.error} retry={() => users.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title={search ? 'No user matches' : 'No users yet'}>{search ? 'Search looks in usernames and emails.' : 'Users who sign up, or that you create, are listed here.'}</Empty>
      ) : (
        <>
          <table className="list users-table">
            <thead>
              <tr>
                <th>Username</th>
                <th>Email</th>
                <th>Verified</th>
                <th>Sign-in</th>
                <th>Created</th>
                <th>Object id</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((u) => (
                <tr key={u.objectId} className={open === u.objectId ? 'selected' : undefined}>
                  <td>
                    <button type="button" className="linklike" onClick={() => select(u.objectId)}>
                      {u.username ?? '(no username)'}
                    </button>
                  </td>
                  <td>{u.email ?? <span className="muted">—</span>}</td>
                  <td>{u.emailVerified ? <span className="badge ok">verified</span> : u.email ? <span className="badge">no</span> : ''}</td>
                  <td className="small muted">{u.authData ? Object.keys(u.authData).join(', ') || 'password' : 'password'}</td>
                  <td className="small">{new Date(u.createdAt).toLocaleString()}</td>
                  <td className="mono small muted">{u.objectId}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {users.hasNextPage && (
            <div className="row users-more">
              <button type="button" onClick={() => users.fetchNextPage()} disabled={users.isFetchingNextPage}>
                {users.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )}
        </>
      )}
      {creating && <CreateUser onClose={() => setCreating(false)} />}
      {open && <UserPanel id={open} onClose={() => select(null)} />}
    </div>
  )
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const app = useApp()
  const qc = useQueryClient()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [email, setEmail] = useState('')
  const create = useMutation({
    mutationFn: () => parse(app.applicationId, 'POST', '/users', { username, password, ...(email ? { email } : {}) }),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['users', app.applicationId] })
      onClose()
    },
  })
  const e = create.error as { code?: number } | null
  // Parse's codes say which field was refused: 200/202 username, 201 password, 125/203 email.
  const at = (codes: number[]) => (e && e.code !== undefined && codes.includes(e.code) ? create.error : null)
  const other = e && !at([200, 202, 201, 125, 203]) ? create.error : null
  return (
    <Modal title="New user" onClose={onClose}>
      <form
        onSubmit={(ev) => {
          ev.preventDefault()
          create.mutate()
        }}
      >
        <Field label="Username" error={at([200, 202])}>
          <input autoFocus value={username} onChange={(ev) => setUsername(ev.target.value)} />
        </Field>
        <Field label="Password" error={at([201])} hint="The app's password policy applies.">
          <input type="password" autoComplete="new-password" value={password} onChange={(ev) => setPassword(ev.target.value)} />
        </Field>
        <Field label="Email (optional)" error={at([125, 203])}>
          <input type="email" value={email} onChange={(ev) => setEmail(ev.target.value)} />
        </Field>
        <ErrorText error={other} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create user
          </button>
        </div>
      </form>
    </Modal>
  )
}

function UserPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const app = useApp()
  const user = useQuery({ queryKey: ['user', app.applicationId, id], queryFn: () => parse<User>(app.applicationId, 'GET', `/users/${encodeURIComponent(id)}`) })
  return (
    <Modal title={user.data ? `User ${user.data.username ?? id}` : 'User'} wide onClose={onClose}>
      {user.isPending ? (
        <Spinner />
      ) : user.isError ? (
        <ErrorState error={user.error} retry={() => user.refetch()} />
      ) : (
        <div className="users-panel">
          <EditUser user={user.data} onDeleted={onClose} />
          <Sessions userId={id} />
        </div>
      )}
    </Modal>
  )
}

function EditUser({ user, onDeleted }: { user: User; onDeleted: () => void }) {
  const app = useApp()
  const qc = useQueryClient()
  const canWrite = atLeast(app.role, 'developer')
  const [username, setUsername] = useState(user.username ?? '')
  const [email, setEmail] = useState(user.email ?? '')
  const [verified, setVerified] = useState(!!user.emailVerified)
  const [password, setPassword] = useState('')
  const refresh = () => {
    qc.invalidateQueries({ queryKey: ['users', app.applicationId] })
    qc.invalidateQueries({ queryKey: ['user', app.applicationId, user.objectId] })
  }
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = {}
      if (username !== (user.username ?? '')) body.username = username
      if (email !== (user.email ?? '')) body.email = email || { __op: 'Delete' }
      if (verified !== !!user.emailVerified) body.emailVerified = verified
      if (password) body.password = password
      return parse(app.applicationId, 'PUT', `/users/${encodeURIComponent(user.objectId)}`, body)
    },
    onSuccess: () => {
      setPassword('')
      refresh()
    },
  })
  const del = useMutation({
    mutationFn: () => parse(app.applicationId, 'DELETE', `/users/${encodeURIComponent(user.objectId)}`),
    onSuccess: () => {
      refresh()
      onDeleted()
    },
  })
  const e = save.error as { code?: number } | null
  const at = (codes: number[]) => (e && e.code !== undefined && codes.includes(e.code) ? save.error : null)
  const other = e && !at([200, 202, 201, 125, 203]) ? save.error : null
  return (
    <form
      className="users-edit"
      onSubmit={(ev) => {
        ev.preventDefault()
        save.mutate()
      }}
    >
      <p className="muted small mono">
        {user.objectId} · created {new Date(user.createdAt).toLocaleString()}
      </p>
      <fieldset disabled={!canWrite}>
        <Field label="Username" error={at([200, 202])}>
          <input value={username} onChange={(ev) => setUsername(ev.target.value)} />
        </Field>
        <Field label="Email" error={at([125, 203])}>
          <input type="email" value={email} onChange={(ev) => setEmail(ev.target.value)} />
        </Field>
        <label className="row users-check">
          <input type="checkbox" checked={verified} onChange={(ev) => setVerified(ev.target.checked)} /> Email verified
        </label>
        <Field label="Set a new password" error={at([201])} hint="Leave empty to keep the password. Setting one ends the user's other sessions.">
          <input type="password" autoComplete="new-password" value={password} onChange={(ev) => setPassword(ev.target.value)} />
        </Field>
      </fieldset>
      <ErrorText error={other ?? del.error} />
      {save.isSuccess && !save.isPending && <p className="small" role="status">Saved.</p>}
      {canWrite && (
        <div className="actions">
          <ConfirmButton label="Delete user" confirmLabel="Confirm: delete this user" small={false} busy={del.isPending} onConfirm={() => del.mutate()} />
          <span className="spacer" />
          <button type="submit" className="primary" disabled={save.isPending}>
            Save changes
          </button>
        </div>
      )}
    </form>
  )
}

function Sessions({ userId }: { userId: string }) {
  const app = useApp()
  const qc = useQueryClient()
  const canWrite = atLeast(app.role, 'developer')
  const key = ['sessions', app.applicationId, userId]
  const sessions = useQuery({
    queryKey: key,
    queryFn: () =>
      parse<{ results: Session[] }>(app.applicationId, 'GET', `/sessions${qs({ where: { user: pointer('_User', userId) }, order: '-createdAt', limit: 100 })}`).then(
        (r) => r.results,
      ),
  })
  const revoke = useMutation({
    mutationFn: (id: string) => parse(app.applicationId, 'DELETE', `/sessions/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  })
  return (
    <section className="users-sessions" aria-label="Sessions">
      <h3>Sessions</h3>
      {sessions.isPending ? (
        <Spinner />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} retry={() => sessions.refetch()} />
      ) : sessions.data.length === 0 ? (
        <p className="muted small">No session: the user is signed out everywhere.</p>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th>Created</th>
              <th>How</th>
              <th>Expires</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((s) => (
              <tr key={s.objectId}>
                <td className="small">{new Date(s.createdAt).toLocaleString()}</td>
                <td className="small">
                  {s.createdWith?.action ?? '—'}
                  {s.createdWith?.authProvider ? ` (${s.createdWith.authProvider})` : ''}
                  {s.installationId && <div className="muted mono">{s.installationId}</div>}
                </td>
                <td className="small">{s.expiresAt ? new Date(s.expiresAt.iso).toLocaleString() : 'never'}</td>
                <td>
                  {canWrite && (
                    <button type="button" className="small danger" onClick={() => revoke.mutate(s.objectId)} disabled={revoke.isPending}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorText error={revoke.error} />
    </section>
  )
}
