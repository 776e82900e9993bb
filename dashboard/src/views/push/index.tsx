// Push: the app's installations, the providers that deliver to them, composing a push, and the
// history of pushes with their counts. Each tab is a sub-route (push/<tab>).
import { Navigate, Route, Routes } from 'react-router'
import { useApp } from '../../appContext'
import { PageHeader, TabNav } from '../../ui'
import { Compose } from './Compose'
import { pushPath } from './data'
import { History } from './History'
import { Installations } from './Installations'
import { ProvidersView } from './Providers'
import './push.css'

const TABS = [
  { path: 'installations', label: 'Installations' },
  { path: 'providers', label: 'Providers' },
  { path: 'compose', label: 'Compose' },
  { path: 'history', label: 'History' },
]

export default function PushView() {
  const app = useApp()
  const base = pushPath(app.applicationId)
  return (
    <div className="push-view">
      <PageHeader title="Push notifications" />
      <TabNav label="Push" base={base} tabs={TABS} />
      <Routes>
        <Route index element={<Navigate to={`${base}/installations`} replace />} />
        <Route path="installations" element={<Installations />} />
        <Route path="providers" element={<ProvidersView />} />
        <Route path="compose" element={<Compose />} />
        <Route path="history" element={<History />} />
      </Routes>
    </div>
  )
}
