// The instance's admins, for instance administrators: who they are, whether they are enabled,
// create, disable or enable, delete (typed confirmation).
import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useSession } from '../../session'
import type { Admin } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Modal, PageHeader, Spinner, TypedConfirm } from '../../ui'
import { adminsKey, createAdmin, createErrorField, deleteAdmin, listAdmins, setDisabled } from './data'
import './admins.css'

export default function AdminsView() {
  const { me } = useSession()
  const admins = useQuery({ queryKey: adminsKey, queryFn: listAdmins, enabled: !!me?.isSuperuser })
  const [creating, setCreating] = useState(false)
  const [deleting, setDeleting] = useState<Admin | null>(null)
  const qc = useQueryClient()
  if (!me?.isSuperuser) return <ErrorState error={new Error('Only instance administrators manage admins.')} />
  return (
    <main className="admins-page">
      <PageHeader title="Admins">
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New admin
        </button>
      </PageHeader>
      <p className="muted small">
        Admins sign in to this dashboard. Instance administrators see every app and manage admins; the others see the apps they are members
        of. A disabled admin cannot sign in, and its sessions end at once.
      </p>
      {admins.isPending ? (
        <Spinner />
      ) : admins.isError ? (
        <ErrorState error={admins.error} retry={() => admins.refetch()} />
      ) : admins.data.length === 0 ? (
        <Empty title="No admins" />
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th>Email</th>
              <th>Instance administrator</th>
              <th>Status</th>
              <th>Created</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {admins.data.map((a) => (
              <AdminRow key={a.id} admin={a} self={a.id === me.id} onDelete={() => setDeleting(a)} />
            ))}
          </tbody>
        </table>
      )}
      {creating && <CreateAdmin onClose={() => setCreating(false)} />}
      {deleting && (
        <TypedConfirm
          title={`Delete ${deleting.email}`}
          word={deleting.email}
          action="Delete admin"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await deleteAdmin(deleting.id)
            await qc.invalidateQueries({ queryKey: adminsKey })
          }}
        >
          <p>
            The admin and its memberships go; its sessions end. An app whose only owner it is must get another owner first.
          </p>
        </TypedConfirm>
      )}
    </main>
  )
}

function AdminRow({ admin: a, self, onDelete }: { admin: Admin; self: boolean; onDelete: () => void }) {
  const qc = useQueryClient()
  const toggle = useMutation({
    mutationFn: () => setDisabled(a.id, !a.disabled),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminsKey }),
  })
  return (
    <tr>
      <td>
        {a.email} {self && <span className="muted small">(you)</span>}
      </td>
      <td>{a.isSuperuser ? <span className="badge ok">yes</span> : <span className="muted">no</span>}</td>
      <td>{a.disabled ? <span className="badge danger">disabled</span> : <span className="badge ok">enabled</span>}</td>
      <td className="muted small">{new Date(a.createdAt).toLocaleDateString()}</td>
      <td>
        <div className="row admins-actions">
          {!self && (
            <>
              <button
                type="button"
                className="small"
                aria-label={`${a.disabled ? 'Enable' : 'Disable'} ${a.email}`}
                disabled={toggle.isPending}
                onClick={() => toggle.mutate()}
              >
                {a.disabled ? 'Enable' : 'Disable'}
              </button>
              <button type="button" className="small danger" aria-label={`Delete ${a.email}`} onClick={onDelete}>
                Delete
              </button>
            </>
          )}
        </div>
        <ErrorText error={toggle.error} />
      </td>
    </tr>
  )
}

function CreateAdmin({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [superuser, setSuperuser] = useState(false)
  const create = useMutation({
    mutationFn: () => createAdmin(email, password, superuser),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: adminsKey })
      onClose()
    },
  })
  const field = create.error ? createErrorField(create.error.message) : null
  return (
    <Modal title="New admin" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          create.mutate()
        }}
      >
        <Field label="Email" error={field === 'email' ? create.error : null}>
          <input type="email" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Password" hint="At least 8 characters; the admin can change it on its account page." error={field === 'password' ? create.error : null}>
          <input type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <label className="row admins-check">
          <input type="checkbox" checked={superuser} onChange={(e) => setSuperuser(e.target.checked)} /> Instance administrator (sees every
          app, manages admins)
        </label>
        {field === 'form' && <ErrorText error={create.error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create admin
          </button>
        </div>
      </form>
    </Modal>
  )
}
