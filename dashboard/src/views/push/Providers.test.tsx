import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { MemoryRouter, Outlet, Route, Routes } from 'react-router'
import type { AppView, Role } from '../../types'
import type { Providers } from './logic'
import { ProvidersView } from './Providers'

const app = (role: Role): AppView => ({
  applicationId: 'chat',
  name: 'Chat',
  role,
  dataSource: 'default',
  settings: {},
  keys: {},
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
})

const configured: Providers = {
  apns: { teamId: 'TEAM123456', keyId: 'KEY1234567', topic: 'com.example.chat', production: false, fingerprint: 'SHA256:aaaaaaaaaaaaaaaa', updatedAt: '2026-12-07T10:00:00Z' },
  fcm: null,
  hook: { url: 'https://hooks.example.com/push', deviceTypes: ['web'], fingerprint: 'SHA256:bbbbbbbbbbbbbbbb', updatedAt: '2026-12-07T10:00:00Z' },
}

function show(role: Role, answers: (method: string, url: string, body: unknown) => unknown) {
  const calls: { method: string; url: string; body: unknown }[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit) => {
      const body = init.body ? JSON.parse(String(init.body)) : undefined
      calls.push({ method: init.method ?? 'GET', url, body })
      return Promise.resolve(new Response(JSON.stringify(answers(init.method ?? 'GET', url, body)), { status: 200, headers: { 'Content-Type': 'application/json' } }))
    }),
  )
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/apps/chat/push/providers']}>
        <Routes>
          <Route path="/apps/chat" element={<Outlet context={app(role)} />}>
            <Route path="push/providers" element={<ProvidersView />} />
          </Route>
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
  return calls
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('ProvidersView', () => {
  it('shows fingerprints and lets a viewer change nothing', async () => {
    show('viewer', () => configured)
    const apns = await screen.findByRole('region', { name: 'Apple Push Notification service' })
    expect(within(apns).getByText('SHA256:aaaaaaaaaaaaaaaa')).toBeTruthy()
    expect(within(apns).getByText('sandbox (development builds)')).toBeTruthy()
    expect(within(screen.getByRole('region', { name: 'Firebase Cloud Messaging' })).getByText('not configured')).toBeTruthy()
    expect(screen.queryAllByRole('button').map((b) => b.textContent)).toEqual([])
  })

  it('shows the hook secret once, after creating the hook', async () => {
    let hook: Providers['hook'] = null
    const calls = show('developer', (method, url, body) => {
      if (method === 'PUT' && url.endsWith('/push/providers/hook')) {
        const b = body as { url: string; deviceTypes: string[] }
        hook = { url: b.url, deviceTypes: b.deviceTypes, fingerprint: 'SHA256:cccccccccccccccc' }
        return { ...hook, secret: 'whsec_0123456789abcdefghijklmnopqrstuv' }
      }
      return { apns: null, fcm: null, hook }
    })
    const section = await screen.findByRole('region', { name: 'Push hook' })
    fireEvent.click(within(section).getByRole('button', { name: 'Set up' }))
    fireEvent.change(within(section).getByLabelText('URL'), { target: { value: 'https://hooks.example.com/in' } })
    fireEvent.change(within(section).getByLabelText('Device types'), { target: { value: 'web, expo' } })
    fireEvent.click(within(section).getByRole('button', { name: 'Save' }))
    const secret = await within(section).findByRole('status', { name: 'New signing secret' })
    expect(within(secret).getByText('whsec_0123456789abcdefghijklmnopqrstuv')).toBeTruthy()
    expect(await within(section).findByText('SHA256:cccccccccccccccc')).toBeTruthy()
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ url: 'https://hooks.example.com/in', deviceTypes: ['web', 'expo'] })
    fireEvent.click(within(secret).getByRole('button', { name: 'I have copied it' }))
    expect(screen.queryByText('whsec_0123456789abcdefghijklmnopqrstuv')).toBeNull()
  })

  it('refuses a file that is not a service account before sending it', async () => {
    const calls = show('owner', () => configured)
    const section = await screen.findByRole('region', { name: 'Firebase Cloud Messaging' })
    fireEvent.click(within(section).getByRole('button', { name: 'Set up' }))
    fireEvent.change(within(section).getByLabelText('Service account (JSON)'), { target: { value: '{"type":"authorized_user"}' } })
    fireEvent.click(within(section).getByRole('button', { name: 'Save' }))
    expect(await within(section).findByText(/its "type" should be "service_account"/)).toBeTruthy()
    expect(calls.filter((c) => c.method === 'PUT')).toEqual([])
  })
})
