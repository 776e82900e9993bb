// An app's members and their roles; owners change roles, remove members, invite by a one-time
// link and revoke pending invitations. Other roles see the list only (the server refuses
// their changes anyway).
import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useApp } from '../../appContext'
import { useSession } from '../../session'
import { atLeast, type Role } from '../../types'
import { CopyButton, Empty, ErrorState, ErrorText, Field, Modal, PageHeader, Spinner } from '../../ui'
import {
  expiresIn,
  invitationsKey,
  invite,
  listInvitations,
  listMembers,
  membersKey,
  removeMember,
  revokeInvitation,
  setRole,
  type CreatedInvitation,
  type Member,
} from './data'
import './members.css'

const ROLES: { role: Role; what: string }[] = [
  { role: 'owner', what: 'everything: keys, members, deletion' },
  { role: 'developer', what: 'changes the app, its data, schema and functions' },
  { role: 'viewer', what: 'reads only' },
]

export default function MembersView() {
  const app = useApp()
  const owner = atLeast(app.role, 'owner')
  const members = useQuery({ queryKey: membersKey(app.applicationId), queryFn: () => listMembers(app.applicationId) })
  return (
    <div className="members-page">
      <PageHeader title="Members" />
      <p className="muted small members-roles">
        {ROLES.map((r) => (
          <span key={r.role}>
            <strong>{r.role}</strong>: {r.what}.{' '}
          </span>
        ))}
        {!owner && <span className="members-you">You are {app.role}: only owners change members.</span>}
      </p>
      {members.isPending ? (
        <Spinner />
      ) : members.isError ? (
        <ErrorState error={members.error} retry={() => members.refetch()} />
      ) : members.data.length === 0 ? (
        <Empty title="No members">Instance administrators see every app without being members.</Empty>
      ) : (
        <table className="list" aria-label="Members">
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              {owner && <th aria-label="Actions" />}
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <MemberRow key={m.adminId} appId={app.applicationId} member={m} owner={owner} />
            ))}
          </tbody>
        </table>
      )}
      {owner && <Invite appId={app.applicationId} />}
      {owner && <Pending appId={app.applicationId} />}
    </div>
  )
}

function MemberRow({ appId, member: m, owner }: { appId: string; member: Member; owner: boolean }) {
  const qc = useQueryClient()
  const { me } = useSession()
  const [removing, setRemoving] = useState(false)
  const change = useMutation({
    mutationFn: (role: Role) => setRole(appId, m.email, role),
    onSettled: () => qc.invalidateQueries({ queryKey: membersKey(appId) }),
  })
  return (
    <tr>
      <td>
        {m.email} {me?.id === m.adminId && <span className="muted small">(you)</span>}
      </td>
      <td>
        {owner ? (
          <select aria-label={`Role of ${m.email}`} value={m.role} disabled={change.isPending} onChange={(e) => change.mutate(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r.role} value={r.role}>
                {r.role}
              </option>
            ))}
          </select>
        ) : (
          <span className="badge">{m.role}</span>
        )}
        <ErrorText error={change.error} />
      </td>
      {owner && (
        <td className="members-actions">
          <button type="button" className="small danger" aria-label={`Remove ${m.email}`} onClick={() => setRemoving(true)}>
            Remove
          </button>
          {removing && <RemoveMember appId={appId} member={m} onClose={() => setRemoving(false)} />}
        </td>
      )}
    </tr>
  )
}

function RemoveMember({ appId, member, onClose }: { appId: string; member: Member; onClose: () => void }) {
  const qc = useQueryClient()
  const remove = useMutation({
    mutationFn: () => removeMember(appId, member.adminId),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: membersKey(appId) })
      onClose()
    },
  })
  return (
    <Modal title={`Remove ${member.email}`} onClose={onClose}>
      <p>
        {member.email} loses its {member.role} role on this app. The admin account itself stays.
      </p>
      <ErrorText error={remove.error} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" autoFocus disabled={remove.isPending} onClick={() => remove.mutate()}>
          Remove member
        </button>
      </div>
    </Modal>
  )
}

function Invite({ appId }: { appId: string }) {
  const qc = useQueryClient()
  const [email, setEmail] = useState('')
  const [role, setRoleValue] = useState<Role>('developer')
  const [created, setCreated] = useState<CreatedInvitation | null>(null)
  const create = useMutation({
    mutationFn: () => invite(appId, email, role),
    onSuccess: async (result) => {
      setCreated(result)
      setEmail('')
      await qc.invalidateQueries({ queryKey: invitationsKey(appId) })
    },
  })
  return (
    <section className="card members-card" aria-labelledby="members-invite">
      <h2 id="members-invite">Invite</h2>
      <form
        className="members-invite"
        onSubmit={(e) => {
          e.preventDefault()
          setCreated(null)
          create.mutate()
        }}
      >
        <Field label="Email to invite" error={create.error}>
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="someone@example.com" />
        </Field>
        <Field label="Invited role">
          <select value={role} onChange={(e) => setRoleValue(e.target.value as Role)}>
            <option value="developer">developer</option>
            <option value="viewer">viewer</option>
          </select>
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? 'Inviting…' : 'Invite'}
        </button>
      </form>
      {created && (
        <div className="members-link" role="status">
          <div>
            Invitation link for <strong>{created.invitation.email}</strong> ({created.invitation.role}); it works once, for 7 days:
          </div>
          <div className="row">
            <input readOnly aria-label="Invitation link" className="mono members-link-input" value={created.link} onFocus={(e) => e.target.select()} />
            <CopyButton text={created.link} label="Copy link" />
          </div>
          <div className="muted small">
            {created.emailed
              ? `An email with the link was sent to ${created.invitation.email}.`
              : 'No email was sent (this app has no SMTP settings): hand the link over yourself.'}
          </div>
        </div>
      )}
    </section>
  )
}

function Pending({ appId }: { appId: string }) {
  const qc = useQueryClient()
  const pending = useQuery({ queryKey: invitationsKey(appId), queryFn: () => listInvitations(appId) })
  const revoke = useMutation({
    mutationFn: (id: number) => revokeInvitation(appId, id),
    onSettled: () => qc.invalidateQueries({ queryKey: invitationsKey(appId) }),
  })
  return (
    <section className="card members-card" aria-labelledby="members-pending">
      <h2 id="members-pending">Pending invitations</h2>
      {pending.isPending ? (
        <Spinner />
      ) : pending.isError ? (
        <ErrorState error={pending.error} retry={() => pending.refetch()} />
      ) : pending.data.length === 0 ? (
        <div className="muted small">No pending invitations.</div>
      ) : (
        <table className="list" aria-label="Pending invitations">
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              <th>Invited by</th>
              <th>Expires</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {pending.data.map((i) => (
              <tr key={i.id}>
                <td>{i.email}</td>
                <td>
                  <span className="badge">{i.role}</span>
                </td>
                <td className="muted">{i.invitedBy ?? '—'}</td>
                <td className="muted" title={new Date(i.expiresAt).toLocaleString()}>
                  {expiresIn(i.expiresAt)}
                </td>
                <td className="members-actions">
                  <button
                    type="button"
                    className="small danger"
                    aria-label={`Revoke the invitation of ${i.email}`}
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(i.id)}
                  >
                    Revoke
                  </button>
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
