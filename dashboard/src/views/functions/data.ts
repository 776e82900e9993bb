// Shared by the cloud functions tabs: where the view is, and the app's deployments.
import { useQuery } from '@tanstack/react-query'
import { admin } from '../../api'
import { useApp } from '../../appContext'
import type { Deployment } from './logic'

/** Where the functions view of an app is (links are absolute: relative ones in a splat route
 * resolve against the whole URL). */
export function functionsPath(applicationId: string) {
  return `/apps/${encodeURIComponent(applicationId)}/functions`
}

/** The app's deployments, newest first (shared by the tabs). */
export function useDeployments() {
  const app = useApp()
  return useQuery({
    queryKey: ['deployments', app.applicationId],
    queryFn: () => admin<Deployment[]>('GET', `/apps/${encodeURIComponent(app.applicationId)}/functions`),
  })
}
