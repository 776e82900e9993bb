// Routes and the frame around every view: the app switcher and the navigation of the app's
// sections. Each area's views live in views/<area>/ and are loaded when first opened, so the
// first view stays small.
import { lazy, Suspense, useEffect, useState } from 'react'
import { BrowserRouter, Navigate, NavLink, Outlet, Route, Routes, useNavigate, useParams } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { admin } from './api'
import { useSession } from './session'
import type { AppView } from './types'
import { ErrorState, Spinner } from './ui'
import { SignIn } from './views/account/SignIn'

const AppsList = lazy(() => import('./views/apps'))
const Account = lazy(() => import('./views/account'))
const Admins = lazy(() => import('./views/admins'))
const DataBrowser = lazy(() => import('./views/data'))
const Schema = lazy(() => import('./views/schema'))
const Users = lazy(() => import('./views/users'))
const Files = lazy(() => import('./views/files'))
const Functions = lazy(() => import('./views/functions'))
const Config = lazy(() => import('./views/config'))
const Console = lazy(() => import('./views/console'))
const Security = lazy(() => import('./views/security'))
const Metrics = lazy(() => import('./views/metrics'))
const Audit = lazy(() => import('./views/audit'))
const Realtime = lazy(() => import('./views/realtime'))
const Push = lazy(() => import('./views/push'))
const Settings = lazy(() => import('./views/settings'))
const Members = lazy(() => import('./views/members'))
const AcceptInvite = lazy(() => import('./views/members/AcceptInvite'))

/** An app's sections, in the order of the navigation. SDK views join here. */
export const SECTIONS: { path: string; label: string; group: string }[] = [
  { path: 'data', label: 'Data browser', group: 'Data' },
  { path: 'schema', label: 'Schema', group: 'Data' },
  { path: 'users', label: 'Users & roles', group: 'Data' },
  { path: 'files', label: 'Files', group: 'Data' },
  { path: 'push', label: 'Push', group: 'Data' },
  { path: 'functions', label: 'Cloud functions', group: 'Code' },
  { path: 'config', label: 'Config', group: 'Code' },
  { path: 'console', label: 'API console', group: 'Code' },
  { path: 'metrics', label: 'Metrics', group: 'Observe' },
  { path: 'realtime', label: 'Realtime', group: 'Observe' },
  { path: 'audit', label: 'Audit log', group: 'Observe' },
  { path: 'security', label: 'Security check', group: 'App' },
  { path: 'settings', label: 'Settings & keys', group: 'App' },
  { path: 'members', label: 'Members', group: 'App' },
]

export function App() {
  const { me, loading } = useSession()
  if (loading) return <Spinner />
  return (
    <BrowserRouter basename="/dashboard">
      <Routes>
        <Route path="/login" element={me ? <Navigate to="/" replace /> : <SignIn />} />
        <Route
          path="/invite/:token"
          element={
            <Suspense fallback={<Spinner />}>
              <AcceptInvite />
            </Suspense>
          }
        />
        <Route element={me ? <Frame /> : <Navigate to="/login" replace />}>
          <Route index element={<AppsList />} />
          <Route path="account" element={<Account />} />
          <Route path="admins" element={<Admins />} />
          <Route path="apps/:appId" element={<AppFrame />}>
            <Route index element={<Navigate to="data" replace />} />
            <Route path="data/:className?" element={<DataBrowser />} />
            <Route path="schema/:className?" element={<Schema />} />
            <Route path="users/*" element={<Users />} />
            <Route path="files" element={<Files />} />
            <Route path="push/*" element={<Push />} />
            <Route path="functions/*" element={<Functions />} />
            <Route path="config" element={<Config />} />
            <Route path="console" element={<Console />} />
            <Route path="metrics" element={<Metrics />} />
            <Route path="realtime" element={<Realtime />} />
            <Route path="audit" element={<Audit />} />
            <Route path="security" element={<Security />} />
            <Route path="settings" element={<Settings />} />
            <Route path="members" element={<Members />} />
          </Route>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </BrowserRouter>
  )
}

function NotFound() {
  return <ErrorState error={new Error('This page does not exist.')} />
}

/** The theme: the system's, or the one chosen (kept in localStorage). */
function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(() => localStorage.getItem('hearth-theme') ?? 'system')
  useEffect(() => {
    localStorage.setItem('hearth-theme', theme)
    // 'system' follows the system's setting, also when it changes while the page is open.
    const media = window.matchMedia('(prefers-color-scheme: dark)')
    const apply = () => {
      document.documentElement.dataset.theme = theme === 'system' ? (media.matches ? 'dark' : 'light') : theme
    }
    apply()
    media.addEventListener('change', apply)
    return () => media.removeEventListener('change', apply)
  }, [theme])
  const next = () => setTheme((t) => (t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system'))
  return [theme, next]
}

function Frame() {
  const { me, signOut } = useSession()
  const navigate = useNavigate()
  const [theme, nextTheme] = useTheme()
  return (
    <div className="frame">
      <header className="topbar">
        <NavLink to="/" className="brand">
          <img src="/dashboard/favicon.svg" alt="" width={22} height={22} /> Hearth
        </NavLink>
        <AppSwitcher />
        <span className="spacer" />
        {me?.isSuperuser && <NavLink to="/admins">Admins</NavLink>}
        <button type="button" className="ghost" onClick={nextTheme} title="Theme: system, dark or light">
          Theme: {theme}
        </button>
        <NavLink to="/account" title="Your account">
          {me?.email}
        </NavLink>
        <button
          type="button"
          className="ghost"
          onClick={async () => {
            await signOut()
            navigate('/login')
          }}
        >
          Sign out
        </button>
      </header>
      <Suspense fallback={<Spinner />}>
        <Outlet />
      </Suspense>
    </div>
  )
}

function AppSwitcher() {
  const { appId } = useParams()
  const navigate = useNavigate()
  const apps = useQuery({ queryKey: ['apps'], queryFn: () => admin<{ results: { applicationId: string; name: string }[] }>('GET', '/apps') })
  if (!appId || !apps.data) return null
  return (
    <select aria-label="App" value={appId} onChange={(e) => navigate(`/apps/${encodeURIComponent(e.target.value)}/data`)}>
      {apps.data.results.map((a) => (
        <option key={a.applicationId} value={a.applicationId}>
          {a.name}
        </option>
      ))}
    </select>
  )
}

/** The app's view: its sections' navigation beside the open section. */
function AppFrame() {
  const { appId } = useParams()
  const app = useQuery({ queryKey: ['app', appId], queryFn: () => admin<AppView>('GET', `/apps/${encodeURIComponent(appId!)}`) })
  if (app.isPending) return <Spinner />
  if (app.isError) return <ErrorState error={app.error} retry={() => app.refetch()} />
  const groups = [...new Set(SECTIONS.map((s) => s.group))]
  return (
    <div className="app-frame">
      <nav className="sidenav" aria-label="App sections">
        <div className="sidenav-app">
          <strong>{app.data.name}</strong>
          <span className="muted small">{app.data.role}</span>
        </div>
        {groups.map((g) => (
          <div key={g} className="sidenav-group">
            <div className="sidenav-title">{g}</div>
            {SECTIONS.filter((s) => s.group === g).map((s) => (
              <NavLink key={s.path} to={s.path}>
                {s.label}
              </NavLink>
            ))}
          </div>
        ))}
      </nav>
      <main className="app-main">
        <Suspense fallback={<Spinner />}>
          <Outlet context={app.data} />
        </Suspense>
      </main>
    </div>
  )
}
