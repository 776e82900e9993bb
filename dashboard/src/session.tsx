// The signed-in admin: who it is, sign in and sign out. The session itself is the HttpOnly
// cookie the server sets at login; the dashboard never sees the token.
import { createContext, useContext, useEffect, type ReactNode } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { admin, ApiError, setSignedOutHandler } from './api'
import type { Admin } from './types'

interface Session {
  me: Admin | null
  loading: boolean
  signIn(email: string, password: string): Promise<void>
  signOut(): Promise<void>
  /** Forgets the session here (after the server ended it): no admin, no data of the old one. */
  signedOut(): void
}

const SessionContext = createContext<Session | null>(null)

export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient()
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await admin<Admin>('GET', '/me')
      } catch (e) {
        if (e instanceof ApiError && e.code === 209) return null
        throw e
      }
    },
    staleTime: 60_000,
    retry: false,
  })
  // Every query but the session's own: removing that one while it runs would leave its observer
  // on a removed query (the page would stay on its spinner).
  const forgetData = () => qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' })
  const signedOut = () => {
    qc.setQueryData(['me'], null)
    forgetData()
  }
  // signedOut depends on nothing but the query client.
  useEffect(() => setSignedOutHandler(signedOut), [qc])
  const session: Session = {
    me: me.data ?? null,
    loading: me.isPending,
    async signIn(email, password) {
      const res = await admin<{ admin: Admin }>('POST', '/auth/login', { email, password })
      forgetData()
      qc.setQueryData(['me'], res.admin)
    },
    async signOut() {
      await admin('POST', '/auth/logout')
      signedOut()
    },
    signedOut,
  }
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>
}

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside SessionProvider')
  return s
}
