// Shapes of the management API's answers (see /admin/v1/openapi.json).

export type Role = 'viewer' | 'developer' | 'owner'

export interface Admin {
  id: number
  email: string
  isSuperuser: boolean
  /** A disabled admin cannot sign in. */
  disabled?: boolean
  createdAt: string
}

export interface AppSummary {
  applicationId: string
  name: string
  role: Role
  createdAt: string
  /** Requests to the app's Parse API over the last 24 hours (every server's). */
  requests24h: number
}

export interface AppKeys {
  /** Absent from dashboard answers: the master key never reaches the browser. */
  masterKey?: string
  readOnlyMasterKey?: string | null
  restApiKey?: string | null
  javascriptKey?: string | null
  clientKey?: string | null
}

export interface AppView {
  applicationId: string
  name: string
  role: Role
  dataSource: string
  settings: Record<string, unknown>
  keys: AppKeys
  createdAt: string
  updatedAt: string
}

const rank: Record<Role, number> = { viewer: 0, developer: 1, owner: 2 }

/** Whether `role` is at least `min` (the UI hides what a role may not do; the server refuses it anyway). */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && rank[role] >= rank[min]
}
