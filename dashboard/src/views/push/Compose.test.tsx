import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { MemoryRouter, Outlet, Route, Routes } from 'react-router'
import type { AppView } from '../../types'
import { Compose } from './Compose'

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

function show() {
  const urls: string[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) => {
      urls.push(url)
      const body = url.startsWith('/parse/schemas') ? { results: [] } : { results: [], count: decodeURIComponent(url).includes('"sports"') ? 1 : 7 }
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } }))
    }),
  )
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/apps/chat/push/compose']}>
        <Routes>
          <Route path="/apps/chat" element={<Outlet context={app} />}>
            <Route path="push/compose" element={<Compose />} />
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
  vi.useRealTimers()
})

describe('Compose', () => {
  it('counts the targeted devices once the typing rests, with a token required', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const urls = show()
    const channels = screen.getByRole('textbox', { name: 'Channels' })
    // Keystrokes 100 ms apart: one count, for the last text.
    for (const text of ['s', 'sp', 'spo', 'sports']) {
      fireEvent.change(channels, { target: { value: text } })
      await act(() => vi.advanceTimersByTimeAsync(100))
    }
    await act(() => vi.advanceTimersByTimeAsync(500))
    const counts = urls.filter((u) => u.startsWith('/parse/classes/_Installation')).map((u) => JSON.parse(new URLSearchParams(u.split('?')[1]).get('where')!))
    expect(counts).toEqual([{ channels: { $in: ['sports'] }, deviceToken: { $exists: true } }])
    expect((await screen.findByLabelText('Targeted devices')).textContent).toBe('1')
    fireEvent.click(screen.getByRole('radio', { name: 'Everyone' }))
    await act(() => vi.advanceTimersByTimeAsync(500))
    expect((await screen.findByLabelText('Targeted devices')).textContent).toBe('7')
  })
})
