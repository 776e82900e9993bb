// Cloud functions: the active manifest, versions (upload, roll back, delete), an invoke console,
// the function log with filters, jobs with their `_JobStatus` runs, schedules and webhooks. Each
// tab is a sub-route (functions/<tab>).
import { Navigate, Route, Routes } from 'react-router'
import { useApp } from '../../appContext'
import { PageHeader, TabNav } from '../../ui'
import { functionsPath } from './data'
import { Manifest } from './Manifest'
import { Versions } from './Versions'
import { Console } from './Console'
import { Logs } from './Logs'
import { Jobs } from './Jobs'
import { Schedules } from './Schedules'
import { Webhooks } from './Webhooks'
import './functions.css'

const TABS = [
  { path: 'manifest', label: 'Manifest' },
  { path: 'versions', label: 'Versions' },
  { path: 'console', label: 'Invoke' },
  { path: 'logs', label: 'Logs' },
  { path: 'jobs', label: 'Jobs' },
  { path: 'schedules', label: 'Schedules' },
  { path: 'webhooks', label: 'Webhooks' },
]

export default function FunctionsView() {
  const app = useApp()
  const base = functionsPath(app.applicationId)
  return (
    <div className="fn-view">
      <PageHeader title="Cloud functions" />
      <TabNav label="Cloud functions" base={base} tabs={TABS} />
      <Routes>
        <Route index element={<Navigate to={`${base}/manifest`} replace />} />
        <Route path="manifest" element={<Manifest />} />
        <Route path="versions" element={<Versions />} />
        <Route path="console" element={<Console />} />
        <Route path="logs" element={<Logs />} />
        <Route path="jobs" element={<Jobs />} />
        <Route path="schedules" element={<Schedules />} />
        <Route path="webhooks" element={<Webhooks />} />
      </Routes>
    </div>
  )
}
