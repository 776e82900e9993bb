// A destructive action confirmed with one click in a dialog that says what it does; the
// server's refusal is shown in the dialog, which stays open.
import { useState, type ReactNode } from 'react'
import { ErrorText, Modal } from './index'

export function ConfirmAction({
  title,
  action,
  onConfirm,
  onClose,
  children,
}: {
  title: string
  action: string
  onConfirm: () => Promise<unknown>
  onClose: () => void
  children: ReactNode
}) {
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  return (
    <Modal title={title} onClose={onClose}>
      {children}
      <ErrorText error={error} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            setError(null)
            try {
              await onConfirm()
              onClose()
            } catch (e) {
              setError(e)
              setBusy(false)
            }
          }}
        >
          {busy ? 'Working…' : action}
        </button>
      </div>
    </Modal>
  )
}
