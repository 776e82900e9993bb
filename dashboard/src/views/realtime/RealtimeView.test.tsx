import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, render, screen, within } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { MemoryRouter, Outlet, Route, Routes } from 'react-router'
import type { AppView } from '../../types'
import type { LiveState } from './live'
import RealtimeView from './index'

// uPlot needs a real browser (matchMedia, canvas); the sparkline is seen in Chromium's tests.
vi.mock('./Sparkline', () => ({ Sparkline: ({ label }: { label: string }) => <div role="img" aria-label={label} /> }))

const app: AppView = {
  applicationId: 'chat',
  name: 'Chat',
  role: 'developer',
  dataSource: 'default',
  settings: {},
  keys: {},
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
}

const off: LiveState = { instance: 'host:1', enabled: false, classNames: [], connections: 0, subscriptions: 0, eventsPerSecond: 0, dropped: 0, classes: [], clients: [] }

function show(state: LiveState, view: AppView = app) {
  const urls: string[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) => {
      urls.push(url)
      return Promise.resolve(new Response(JSON.stringify(state), { status: 200, headers: { 'Content-Type': 'application/json' } }))
    }),
  )
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/apps/chat/realtime']}>
        <Routes>
          <Route path="/apps/chat" element={<Outlet context={view} />}>
            <Route path="realtime" element={<RealtimeView />} />
          </Route>
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
  return urls
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('the realtime view', () => {
  it('says how to turn LiveQuery on when it is off', async () => {
    const urls = show(off)
    await screen.findByText('LiveQuery is off for this app')
    expect(urls[0]).toBe('/admin/v1/apps/chat/live')
    expect(screen.getByRole('link', { name: 'Turn LiveQuery on in Settings' }).getAttribute('href')).toBe('/apps/chat/settings#settings-livequery')
  })

  it('tells a viewer who can turn it on', async () => {
    show(off, { ...app, role: 'viewer' })
    await screen.findByText(/An owner or developer of the app can turn it on/)
    expect(screen.queryByRole('link', { name: /Turn LiveQuery on/ })).toBeNull()
  })

  it('shows the figures, the classes and the clients of the instance that answered', async () => {
    show({
      ...off,
      enabled: true,
      classNames: ['Message', 'Chat.*'],
      connections: 2,
      subscriptions: 3,
      eventsPerSecond: 4.25,
      classes: [{ className: 'Message', subscriptions: 3, eventsPerSecond: 4.25, delivered: 1234 }],
      clients: [
        { clientId: '0f8e7d6c-1111-2222-3333-444455556666', connectedAt: new Date().toISOString(), userId: 'u1', installationId: null, master: false, subscriptions: 2, address: '10.0.0.7' },
        { clientId: 'aaaabbbb-1111-2222-3333-444455556666', connectedAt: new Date().toISOString(), userId: null, installationId: 'inst-1', master: true, subscriptions: 1, address: null },
      ],
    })
    await screen.findByText('LiveQuery on')
    expect(screen.getByText(/Figures of the instance that answered/).textContent).toContain('host:1')
    const totals = screen.getByLabelText('Totals')
    expect(within(totals).getByLabelText('Connections').textContent).toBe('2')
    expect(within(totals).getByLabelText('Subscriptions').textContent).toBe('3')
    expect(within(totals).getByLabelText('Events per second').textContent).toMatch(/^4\.3 /)
    const classes = screen.getByRole('table', { name: 'Classes' })
    expect(within(classes).getByRole('link', { name: 'Message' }).getAttribute('href')).toBe('/apps/chat/data/Message')
    expect(within(classes).getByText('1,234')).toBeTruthy()
    const clients = screen.getByRole('table', { name: /Clients/ })
    expect(within(clients).getAllByRole('row')).toHaveLength(3)
    expect(within(clients).getByText('0f8e7d6c').getAttribute('title')).toBe('0f8e7d6c-1111-2222-3333-444455556666')
    expect(within(clients).getByRole('link', { name: 'u1' }).getAttribute('href')).toBe('/apps/chat/users?user=u1')
    expect(within(clients).getAllByText('master')).toHaveLength(1)
  })

  it('says when no client is connected', async () => {
    show({ ...off, enabled: true, classNames: ['Message'] })
    await screen.findByText('No client is connected')
    expect(screen.getByText('No subscription')).toBeTruthy()
  })
})
