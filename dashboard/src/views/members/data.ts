// An app's members and the invitations to it.
import { admin } from '../../api'
import type { Role } from '../../types'

export interface Member {
  adminId: number
  email: string
  role: Role
}

export interface Invitation {
  id: number
  email: string
  role: Role
  invitedBy?: string | null
  createdAt: string
  expiresAt: string
}

export interface CreatedInvitation {
  invitation: Invitation
  link: string
  emailed: boolean
}

export interface InvitationView {
  appName: string
  email: string
  role: Role
  existingAdmin: boolean
}

const app = (appId: string) => `/apps/${encodeURIComponent(appId)}`

export const membersKey = (appId: string) => ['app', appId, 'members'] as const
export const invitationsKey = (appId: string) => ['app', appId, 'invitations'] as const

export function listMembers(appId: string) {
  return admin<{ results: Member[] }>('GET', `${app(appId)}/members`).then((r) => r.results)
}

export function setRole(appId: string, email: string, role: Role) {
  return admin<Member>('PUT', `${app(appId)}/members`, { email, role })
}

export function removeMember(appId: string, adminId: number) {
  return admin<void>('DELETE', `${app(appId)}/members/${adminId}`)
}

export function listInvitations(appId: string) {
  return admin<{ results: Invitation[] }>('GET', `${app(appId)}/invitations`).then((r) => r.results)
}

export function invite(appId: string, email: string, role: Role) {
  return admin<CreatedInvitation>('POST', `${app(appId)}/invitations`, { email, role })
}

export function revokeInvitation(appId: string, id: number) {
  return admin<void>('DELETE', `${app(appId)}/invitations/${id}`)
}

export function readInvitation(token: string) {
  return admin<InvitationView>('GET', `/invitations/${encodeURIComponent(token)}`)
}

export function acceptInvitation(token: string, password?: string) {
  return admin<{ email: string }>('POST', `/invitations/${encodeURIComponent(token)}/accept`, password === undefined ? {} : { password })
}

/** "in 6 days", "in 3 hours", "expired": how long an invitation stays valid. */
export function expiresIn(expiresAt: string, now: number = Date.now()): string {
  const ms = new Date(expiresAt).getTime() - now
  if (!(ms > 0)) return 'expired'
  const hours = Math.floor(ms / 3_600_000)
  if (hours >= 36) return `in ${Math.round(hours / 24)} days`
  if (hours >= 1) return `in ${hours} hour${hours === 1 ? '' : 's'}`
  const minutes = Math.max(1, Math.floor(ms / 60_000))
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`
}
