// The signed-in admin's own account: password changes and ending every session.
import { admin, ApiError } from '../../api'

export function changePassword(currentPassword: string, newPassword: string) {
  return admin<unknown>('POST', '/me/password', { currentPassword, newPassword })
}

export function logoutEverywhere() {
  return admin<void>('POST', '/auth/logout-everywhere')
}

export type PasswordField = 'current' | 'new' | 'form'

/** Which field of the change-password form a server error is about (shown next to it). */
export function passwordErrorField(error: unknown): PasswordField {
  if (!(error instanceof ApiError)) return 'form'
  const message = error.message.toLowerCase()
  if (message.includes('current password')) return 'current'
  if (message.startsWith('password must')) return 'new'
  return 'form'
}
