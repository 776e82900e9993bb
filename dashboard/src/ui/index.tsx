// Small building blocks every view shares: buttons, fields with the server's error next to
// them, dialogs, empty/loading/error states.
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { NavLink } from 'react-router'
import { ApiError } from '../api'

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  )
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  )
}

/** An error from the server, in its own words, with its Parse code. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null
  const message = error instanceof Error ? error.message : String(error)
  const code = error instanceof ApiError ? error.code : undefined
  return (
    <div className="error-text" role="alert">
      {message}
      {code !== undefined && code >= 0 && <span className="muted"> (code {code})</span>}
    </div>
  )
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state state-error">
      <ErrorText error={error} />
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Field({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: unknown; children: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="field-hint">{hint}</span>}
      <ErrorText error={error} />
    </label>
  )
}

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = ref.current
    if (d && !d.open) d.showModal()
  }, [])
  return (
    <dialog ref={ref} className={wide ? 'modal modal-wide' : 'modal'} onClose={onClose} onCancel={onClose} aria-label={title}>
      <header className="modal-head">
        <h2>{title}</h2>
        <button type="button" className="ghost" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </header>
      <div className="modal-body">{children}</div>
    </dialog>
  )
}

/** A destructive action confirmed by typing `word` (an app's name, a class name). */
export function TypedConfirm({
  title,
  word,
  action,
  onConfirm,
  onClose,
  children,
}: {
  title: string
  word: string
  action: string
  onConfirm: () => Promise<unknown>
  onClose: () => void
  children?: ReactNode
}) {
  const [typed, setTyped] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  return (
    <Modal title={title} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          setError(null)
          try {
            await onConfirm()
            onClose()
          } catch (err) {
            setError(err)
          } finally {
            setBusy(false)
          }
        }}
      >
        {children}
        <Field label={`Type ${word} to confirm`} error={error}>
          <input autoFocus value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="confirmation" />
        </Field>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={typed !== word || busy}>
            {action}
          </button>
        </div>
      </form>
    </Modal>
  )
}

/** Copies `text` to the clipboard and says so for a moment. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false)
  return (
    <button
      type="button"
      className="small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text)
          setDone(true)
          setTimeout(() => setDone(false), 1500)
        } catch {
          setDone(false)
        }
      }}
    >
      {done ? 'Copied' : label}
    </button>
  )
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-head">
      <h1>{title}</h1>
      <div className="page-actions">{children}</div>
    </header>
  )
}

/** A section's tabs as links to its sub-routes (`<base>/<path>`). */
export function TabNav({ label, base, tabs }: { label: string; base: string; tabs: { path: string; label: string }[] }) {
  return (
    <nav className="tabs" aria-label={label}>
      {tabs.map((t) => (
        <NavLink key={t.path} to={`${base}/${t.path}`}>
          {t.label}
        </NavLink>
      ))}
    </nav>
  )
}
