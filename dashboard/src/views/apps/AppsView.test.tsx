import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { MemoryRouter } from 'react-router'
import AppsView from './index'

function answer(body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } }))
}

function show(results: unknown[]) {
  vi.stubGlobal('fetch', vi.fn(() => answer({ results })))
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  render(
    <QueryClientProvider client={qc}>
      <MemoryRouter>
        <AppsView />
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

// jsdom has <dialog> without showModal.
if (!HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.open = true
  }
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('the apps list', () => {
  it('invites to create the first app when there is none', async () => {
    show([])
    await screen.findByText('No apps yet')
    fireEvent.click(screen.getByRole('button', { name: 'Create your first app' }))
    expect(await screen.findByLabelText('App name')).toBeTruthy()
  })

  it('shows request counts when the server gives them, and filters by name', async () => {
    show([
      { applicationId: 'shop', name: 'Shop', role: 'owner', createdAt: '2026-01-02T00:00:00Z', requests24h: 12345 },
      { applicationId: 'blog', name: 'Blog', role: 'viewer', createdAt: '2026-01-03T00:00:00Z' },
    ])
    await screen.findByRole('link', { name: 'Shop' })
    expect(screen.getByRole('columnheader', { name: 'Requests (24 h)' })).toBeTruthy()
    expect(screen.getByText((12345).toLocaleString())).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Search apps'), { target: { value: 'blo' } })
    expect(screen.queryByRole('link', { name: 'Shop' })).toBeNull()
    expect(screen.getByRole('link', { name: 'Blog' })).toBeTruthy()
    expect(screen.getByText('1 of 2 apps')).toBeTruthy()
  })

  it('leaves the request column out when the server does not count requests', async () => {
    show([{ applicationId: 'shop', name: 'Shop', role: 'developer', createdAt: '2026-01-02T00:00:00Z' }])
    await screen.findByRole('link', { name: 'Shop' })
    expect(screen.queryByRole('columnheader', { name: 'Requests (24 h)' })).toBeNull()
  })
})
