// The instance's admins (instance administrators only).
import { admin } from '../../api'
import type { Admin } from '../../types'

export const adminsKey = ['admins'] as const

export function listAdmins() {
  return admin<{ results: Admin[] }>('GET', '/admins').then((r) => r.results)
}

export function createAdmin(email: string, password: string, superuser: boolean) {
  return admin<Admin>('POST', '/admins', { email, password, superuser })
}

export function setDisabled(id: number, disabled: boolean) {
  return admin<Admin>('PATCH', `/admins/${id}`, { disabled })
}

export function deleteAdmin(id: number) {
  return admin<void>('DELETE', `/admins/${id}`)
}

/** Which field of the create form a server error is about. */
export function createErrorField(message: string): 'email' | 'password' | 'form' {
  const m = message.toLowerCase()
  if (m.includes('email')) return 'email'
  if (m.startsWith('password')) return 'password'
  return 'form'
}
