// A destructive action asked twice: the first click arms it, the second (on the red button)
// runs it; "Keep" disarms it.
import { useState } from 'react'

export function ConfirmButton({
  label,
  confirmLabel,
  ariaLabel,
  busy,
  small = true,
  onConfirm,
  onArm,
}: {
  label: string
  confirmLabel: string
  /** An accessible name for the first button when `label` alone is ambiguous ("Delete" in a list). */
  ariaLabel?: string
  busy?: boolean
  small?: boolean
  onConfirm: () => void
  /** Told when the action is armed or disarmed (to show a warning meanwhile). */
  onArm?: (armed: boolean) => void
}) {
  const [armed, setArmed] = useState(false)
  const arm = (v: boolean) => {
    setArmed(v)
    onArm?.(v)
  }
  const size = small ? 'small ' : ''
  if (!armed)
    return (
      <button type="button" className={small ? 'small' : undefined} aria-label={ariaLabel} onClick={() => arm(true)}>
        {label}
      </button>
    )
  return (
    <>
      <button type="button" className={`${size}danger`} onClick={onConfirm} disabled={busy}>
        {confirmLabel}
      </button>
      <button type="button" className={small ? 'small' : undefined} onClick={() => arm(false)}>
        Keep
      </button>
    </>
  )
}
