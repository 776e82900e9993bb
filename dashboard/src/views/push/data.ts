// The push views' server calls: the providers (management API), sending a push and reading the
// `_PushStatus` history (Parse API, with the admin's rights on the app), and where the views are.
import { useQuery } from '@tanstack/react-query'
import { admin, parse, parseCall, qs } from '../../api'
import type { Providers, PushStatus } from './logic'

const enc = encodeURIComponent

/** Where the push view of an app is (links are absolute, as in a splat route). */
export function pushPath(applicationId: string) {
  return `/apps/${enc(applicationId)}/push`
}

export function providersKey(appId: string) {
  return ['push-providers', appId]
}

export function useProviders(appId: string) {
  return useQuery({ queryKey: providersKey(appId), queryFn: () => admin<Providers>('GET', `/apps/${enc(appId)}/push/providers`) })
}

export type ProviderName = 'apns' | 'fcm' | 'hook'

/** Saves a provider's settings; the hook's answer carries its secret the first time only. */
export function saveProvider(appId: string, provider: ProviderName, body: Record<string, unknown>) {
  return admin<Record<string, unknown> & { secret?: string }>('PUT', `/apps/${enc(appId)}/push/providers/${provider}`, body)
}

export function deleteProvider(appId: string, provider: ProviderName) {
  return admin('DELETE', `/apps/${enc(appId)}/push/providers/${provider}`)
}

export function rotateHookSecret(appId: string) {
  return admin<{ secret: string }>('POST', `/apps/${enc(appId)}/push/providers/hook/secret`)
}

/** Sends a push; answers the id of its `_PushStatus`. */
export async function sendPush(appId: string, body: Record<string, unknown>): Promise<string | null> {
  const res = await parseCall<{ result: boolean }>(appId, 'POST', '/push', body)
  return res.headers.get('X-Parse-Push-Status-Id')
}

/** The pushes, newest first; `before` reads the page after a known one. */
export async function listStatuses(appId: string, limit: number, before?: string): Promise<PushStatus[]> {
  const where = before ? { createdAt: { $lt: { __type: 'Date', iso: before } } } : undefined
  const res = await parse<{ results: PushStatus[] }>(appId, 'GET', `/classes/_PushStatus${qs({ where, order: '-createdAt', limit })}`)
  return res.results
}

export function deleteStatus(appId: string, objectId: string) {
  return parse(appId, 'DELETE', `/classes/_PushStatus/${enc(objectId)}`)
}
