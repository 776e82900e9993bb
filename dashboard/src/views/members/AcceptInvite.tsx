// The page an invitation link opens (no sign-in needed to see it): the app and the role; a new
// admin chooses a password, an existing one signs in; then the invitation is accepted and the
// admin is signed in.
import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { Link, useNavigate, useParams } from 'react-router'
import { useSession } from '../../session'
import { ErrorText, Field, Spinner } from '../../ui'
import { acceptInvitation, readInvitation } from './data'
import './members.css'

export default function AcceptInvite() {
  const { token = '' } = useParams()
  const { me, signIn } = useSession()
  const navigate = useNavigate()
  const invitation = useQuery({ queryKey: ['invitation', token], queryFn: () => readInvitation(token), retry: false })
  const [password, setPassword] = useState('')
  const [repeat, setRepeat] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  if (invitation.isPending) return <Spinner />
  if (invitation.isError) {
    return (
      <main className="signin">
        <div className="card invite-card">
          <h1>Invitation</h1>
          <ErrorText error={invitation.error} />
          <p className="muted small">Ask an owner of the app for a new link.</p>
          <Link to="/login">Go to sign in</Link>
        </div>
      </main>
    )
  }
  const inv = invitation.data
  const signedInAsInvited = me?.email.toLowerCase() === inv.email.toLowerCase()
  const mismatch = !inv.existingAdmin && repeat !== '' && repeat !== password
  return (
    <main className="signin">
      <form
        className="card invite-card"
        onSubmit={async (e) => {
          e.preventDefault()
          if (mismatch) return
          setBusy(true)
          setError(null)
          try {
            if (inv.existingAdmin) {
              if (!signedInAsInvited) await signIn(inv.email, password)
              await acceptInvitation(token)
            } else {
              await acceptInvitation(token, password)
              await signIn(inv.email, password)
            }
            navigate('/', { replace: true })
          } catch (err) {
            setError(err)
            setBusy(false)
          }
        }}
      >
        <h1>
          <img src="/dashboard/favicon.svg" alt="" width={28} height={28} /> Join {inv.appName}
        </h1>
        <p>
          <strong>{inv.email}</strong> is invited to <strong>{inv.appName}</strong> as <span className="badge">{inv.role}</span>
        </p>
        {inv.existingAdmin ? (
          signedInAsInvited ? (
            <p className="muted small">You are signed in as {inv.email}.</p>
          ) : (
            <Field label="Password" hint={`Sign in as ${inv.email} to accept.`} error={error}>
              <input type="password" autoComplete="current-password" required autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
            </Field>
          )
        ) : (
          <>
            <Field label="Choose a password" hint="At least 8 characters." error={error}>
              <input type="password" autoComplete="new-password" required autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
            </Field>
            <Field label="Repeat the password" error={mismatch ? 'The two passwords differ.' : null}>
              <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
            </Field>
          </>
        )}
        {inv.existingAdmin && signedInAsInvited && <ErrorText error={error} />}
        <button type="submit" className="primary" disabled={busy || mismatch}>
          {busy ? 'Accepting…' : 'Accept invitation'}
        </button>
      </form>
    </main>
  )
}
