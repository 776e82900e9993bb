import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import type { AppView } from '../../types'
import { SettingsForm } from './SettingsForm'

const app: AppView = {
  applicationId: 'shop',
  name: 'Shop',
  role: 'developer',
  dataSource: 'default',
  settings: { allowClientClassCreation: false, sessionLength: 3600, functions: { allowMasterKey: true, secrets: { API: 'x' } }, futureSetting: { on: true } },
  keys: {},
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
}

function renderForm(view: AppView, reply: (body: unknown) => Response) {
  const sent: unknown[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit) => {
      // The live classes setting lists the app's classes.
      if (url === '/parse/schemas') return Promise.resolve(json(200, { results: [{ className: 'Message', fields: {} }, { className: 'Post', fields: {} }] }))
      const body = JSON.parse(String(init.body))
      sent.push(body)
      return Promise.resolve(reply(body))
    }),
  )
  render(
    <QueryClientProvider client={new QueryClient()}>
      <SettingsForm app={view} />
    </QueryClientProvider>,
  )
  return sent
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

describe('the settings form', () => {
  it('sends the whole settings document with the edited setting in place', async () => {
    const sent = renderForm(app, (body) => json(200, { ...app, settings: (body as { settings: unknown }).settings }))
    fireEvent.click(screen.getByLabelText('Client class creation'))
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    await screen.findByText('Settings saved.')
    expect(sent).toEqual([{ settings: { ...app.settings, allowClientClassCreation: true } }])
  })

  it("shows a bad number and the server's refusal next to their settings, and saves nothing half", async () => {
    const sent = renderForm(app, () => json(400, { code: 142, error: 'invalid settings: functions.memoryMib must be 1 to 256' }))
    fireEvent.change(screen.getByLabelText('Session length (seconds)'), { target: { value: 'soon' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    await screen.findByText('A whole number is expected.')
    expect(sent).toEqual([])
    fireEvent.change(screen.getByLabelText('Session length (seconds)'), { target: { value: '7200' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    const error = await screen.findByText(/functions.memoryMib must be 1 to 256/)
    expect(error.closest('.setting')?.querySelector('label')?.textContent).toBe('Memory per call (MiB)')
  })

  it('is read-only for viewers', () => {
    renderForm({ ...app, role: 'viewer' }, () => json(500, {}))
    // Disabled by its fieldset.
    expect(screen.getByLabelText('Client class creation').matches(':disabled')).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save settings' })).toBeNull()
  })

  it("picks live classes among the app's classes and shows the server's refusal of a pattern under them", async () => {
    const sent = renderForm(app, (body) => {
      const names = (body as { settings: { liveQuery: { classNames: string[] } } }).settings.liveQuery.classNames
      if (names.includes('(')) return json(400, { code: 142, error: 'invalid settings: liveQuery.classNames: "(" is not a regular expression' })
      return json(200, { ...app, settings: (body as { settings: unknown }).settings })
    })
    const pick = await screen.findByRole('checkbox', { name: 'Message' })
    fireEvent.click(pick)
    const text = screen.getByLabelText('Live classes') as HTMLTextAreaElement
    expect(text.value).toBe('Message')
    fireEvent.change(text, { target: { value: 'Message\nPo.*' } })
    expect(screen.getByText('Live now: Message, Post.')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    await screen.findByText('Settings saved.')
    expect((sent[0] as { settings: { liveQuery: unknown } }).settings.liveQuery).toEqual({ classNames: ['Message', 'Po.*'] })
    fireEvent.change(text, { target: { value: '(' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }))
    const error = await screen.findByText(/is not a regular expression/)
    expect(error.closest('.setting')?.querySelector('label.field-label')?.textContent).toBe('Live classes')
  })
})
