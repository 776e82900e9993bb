// The signed-in admin's account: who it is, a password change (which ends every other session),
// and logging out everywhere.
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { useSession } from '../../session'
import { ErrorText, Field, PageHeader } from '../../ui'
import { changePassword, logoutEverywhere, passwordErrorField } from './data'
import './account.css'

export default function AccountView() {
  const { me } = useSession()
  return (
    <main className="account-page">
      <PageHeader title="Your account" />
      <section className="card account-card" aria-labelledby="account-who">
        <h2 id="account-who">Signed in as</h2>
        <div className="row">
          <strong>{me?.email}</strong>
          {me?.isSuperuser && <span className="badge ok">instance administrator</span>}
        </div>
        {me?.createdAt && <div className="muted small">Admin since {new Date(me.createdAt).toLocaleDateString()}</div>}
      </section>
      <ChangePassword />
      <LogoutEverywhere />
    </main>
  )
}

function ChangePassword() {
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [repeat, setRepeat] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState(false)
  const field = error ? passwordErrorField(error) : null
  const mismatch = repeat !== '' && repeat !== next
  return (
    <section className="card account-card" aria-labelledby="account-password">
      <h2 id="account-password">Change password</h2>
      <p className="muted small">Every other browser and token signed in as you is signed out; this one stays signed in.</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          if (mismatch) return
          setBusy(true)
          setError(null)
          setDone(false)
          try {
            await changePassword(current, next)
            setCurrent('')
            setNext('')
            setRepeat('')
            setDone(true)
          } catch (err) {
            setError(err)
          } finally {
            setBusy(false)
          }
        }}
      >
        <Field label="Current password" error={field === 'current' ? error : null}>
          <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </Field>
        <Field label="New password" hint="At least 8 characters." error={field === 'new' ? error : null}>
          <input type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
        </Field>
        <Field label="Repeat the new password" error={mismatch ? 'The two new passwords differ.' : null}>
          <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </Field>
        {field === 'form' && <ErrorText error={error} />}
        {done && (
          <div className="account-done" role="status">
            Password changed. Your other sessions were signed out.
          </div>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || mismatch}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  )
}

function LogoutEverywhere() {
  const { signedOut } = useSession()
  const navigate = useNavigate()
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  return (
    <section className="card account-card" aria-labelledby="account-everywhere">
      <h2 id="account-everywhere">Sessions</h2>
      <p className="muted small">Signs you out of every browser and revokes every token issued to you, this one included.</p>
      <ErrorText error={error} />
      <div className="actions">
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            setError(null)
            try {
              await logoutEverywhere()
              signedOut()
              navigate('/login')
            } catch (err) {
              setError(err)
              setBusy(false)
            }
          }}
        >
          Log out everywhere
        </button>
      </div>
    </section>
  )
}
