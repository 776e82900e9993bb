// Compose: who a push is for (everyone, channels, or installations matching filters built with
// the data browser's filter bar), what it says, when it goes and when it expires; the number of
// devices it reaches, counted as the form changes; the request it sends; the server's answer
// (its error in Parse's words, or the id of the push's status).
import { useEffect, useMemo, useState } from 'react'
import { Link } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { ErrorText, Field } from '../../ui'
import { useSchemas } from '../data'
import { count } from '../data/dataApi'
import { FilterBar } from '../data/FilterBar'
import { buildWhere, type Filter } from '../data/query'
import { pushPath, sendPush } from './data'
import { INSTALLATION_SCHEMA } from './Installations'
import { buildPush, countWhere, EMPTY_COMPOSE, parseChannels, type Compose as Form, type IntervalUnit, type Target } from './logic'

/** How long the form rests before the target is counted again. */
const COUNT_DELAY_MS = 400

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

export function Compose() {
  const app = useApp()
  const qc = useQueryClient()
  const canSend = atLeast(app.role, 'developer')
  const schemas = useSchemas(app.applicationId)
  const schema = schemas.data?.find((s) => s.className === '_Installation') ?? INSTALLATION_SCHEMA
  const [form, setForm] = useState<Form>(EMPTY_COMPOSE)
  const [targetKind, setTargetKind] = useState<Target['kind']>('channels')
  const [channelText, setChannelText] = useState('')
  const [filters, setFilters] = useState<Filter[]>([])
  const [badgeValue, setBadgeValue] = useState('1')
  const [sent, setSent] = useState<string | null>(null)
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }))

  // The target from its parts; a filter that does not fit its field's type is said under the bar.
  const targetResult = useMemo((): { target: Target; error: unknown } => {
    if (targetKind === 'everyone') return { target: { kind: 'everyone' }, error: null }
    if (targetKind === 'channels') return { target: { kind: 'channels', channels: parseChannels(channelText) }, error: null }
    try {
      return { target: { kind: 'query', where: buildWhere(filters, schema) }, error: null }
    } catch (e) {
      return { target: { kind: 'query', where: {} }, error: e }
    }
  }, [targetKind, channelText, filters, schema])
  const compose: Form = { ...form, target: targetResult.target }
  const built = buildPush(compose)

  const countable = !targetResult.error && !(targetResult.target.kind === 'channels' && targetResult.target.channels.length === 0)
  const whereKey = useDebounced(countable ? JSON.stringify(countWhere(targetResult.target)) : null, COUNT_DELAY_MS)
  const targeted = useQuery({
    queryKey: ['push-count', app.applicationId, whereKey],
    queryFn: ({ signal }) => count(app.applicationId, '_Installation', JSON.parse(whereKey!), signal),
    enabled: whereKey !== null,
    staleTime: 5_000,
  })

  const send = useMutation({
    mutationFn: (body: Record<string, unknown>) => sendPush(app.applicationId, body),
    onSuccess: (id) => {
      setSent(id ?? '')
      void qc.invalidateQueries({ queryKey: ['push-statuses', app.applicationId] })
    },
  })

  const local = form.schedule.kind === 'local'
  return (
    // Not a <form>: the filter bar holds forms of its own.
    <div className="push-compose" role="form" aria-label="Compose a push">
      <div className="push-compose-main">
        <fieldset className="card push-section">
          <legend>Audience</legend>
          <div className="radio-row" role="radiogroup" aria-label="Send to">
            {(
              [
                ['everyone', 'Everyone'],
                ['channels', 'Channels'],
                ['query', 'Installations matching filters'],
              ] as const
            ).map(([k, label]) => (
              <label key={k}>
                <input type="radio" name="target" checked={targetKind === k} onChange={() => setTargetKind(k)} /> {label}
              </label>
            ))}
          </div>
          {targetKind === 'channels' && (
            <Field label="Channels" hint="Separated by commas: devices subscribed to any of them.">
              <input aria-label="Channels" value={channelText} onChange={(e) => setChannelText(e.target.value)} placeholder="news, sports" />
            </Field>
          )}
          {targetKind === 'query' && (
            <div className="push-filters">
              <FilterBar schema={schema} filters={filters} onChange={setFilters} />
              {filters.length === 0 && <p className="muted small">No filter: every installation with a device token.</p>}
              <ErrorText error={targetResult.error ?? schemas.error} />
            </div>
          )}
          <TargetCount count={targeted.data} pending={whereKey !== (countable ? JSON.stringify(countWhere(targetResult.target)) : null) || targeted.isFetching} error={targeted.error} countable={countable} />
        </fieldset>

        <fieldset className="card push-section">
          <legend>Notification</legend>
          <Field label="Message" hint="The notification's text (data.alert).">
            <textarea aria-label="Message" rows={3} value={form.alert} onChange={(e) => set('alert', e.target.value)} className="push-alert" />
          </Field>
          <div className="push-form-grid">
            <Field label="Title" hint="Optional.">
              <input aria-label="Title" value={form.title} onChange={(e) => set('title', e.target.value)} />
            </Field>
            <Field label="Sound" hint="Optional, such as default.">
              <input aria-label="Sound" value={form.sound} onChange={(e) => set('sound', e.target.value)} />
            </Field>
            <Field label="Badge" hint={form.badge.kind === 'increment' ? "Each device's badge plus one." : 'The app icon badge (iOS).'}>
              <div className="row push-inline">
                <select
                  aria-label="Badge kind"
                  value={form.badge.kind}
                  onChange={(e) => {
                    const k = e.target.value
                    set('badge', k === 'set' ? { kind: 'set', value: badgeValue } : k === 'increment' ? { kind: 'increment' } : { kind: 'none' })
                  }}
                >
                  <option value="none">unchanged</option>
                  <option value="set">set to</option>
                  <option value="increment">Increment</option>
                </select>
                {form.badge.kind === 'set' && (
                  <input
                    aria-label="Badge number"
                    type="number"
                    min={0}
                    className="push-number"
                    value={badgeValue}
                    onChange={(e) => {
                      setBadgeValue(e.target.value)
                      set('badge', { kind: 'set', value: e.target.value })
                    }}
                  />
                )}
              </div>
            </Field>
          </div>
          <Field label="Custom keys (JSON)" hint='Added to the data the devices receive, such as {"uri": "app://news/1"}.'>
            <textarea aria-label="Custom keys" rows={3} value={form.custom} onChange={(e) => set('custom', e.target.value)} spellCheck={false} />
          </Field>
        </fieldset>

        <fieldset className="card push-section">
          <legend>Delivery</legend>
          <div className="push-form-grid push-delivery">
            <Field label="Send" hint={local ? "The same wall-clock time in each device's time zone (its timeZone field; UTC when it has none)." : `In your browser's time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`}>
              <div className="row push-inline">
                <select
                  aria-label="Send when"
                  value={form.schedule.kind}
                  onChange={(e) => {
                    const k = e.target.value
                    const at = form.schedule.kind === 'now' ? '' : form.schedule.local
                    set('schedule', k === 'at' ? { kind: 'at', local: at } : k === 'local' ? { kind: 'local', local: at } : { kind: 'now' })
                  }}
                >
                  <option value="now">now</option>
                  <option value="at">at</option>
                  <option value="local">at, device's local time</option>
                </select>
                {form.schedule.kind !== 'now' && (
                  <input
                    type="datetime-local"
                    aria-label="Send at"
                    value={form.schedule.local}
                    onChange={(e) => set('schedule', { kind: form.schedule.kind as 'at' | 'local', local: e.target.value })}
                  />
                )}
              </div>
            </Field>
            <Field label="Expires" hint="A device that was offline does not get it after this.">
              <div className="row push-inline">
                <select
                  aria-label="Expires when"
                  value={form.expiry.kind}
                  onChange={(e) => {
                    const k = e.target.value
                    set('expiry', k === 'at' ? { kind: 'at', local: '' } : k === 'after' ? { kind: 'after', amount: '1', unit: 'days' } : { kind: 'none' })
                  }}
                >
                  <option value="none">never</option>
                  <option value="at">at</option>
                  <option value="after">after</option>
                </select>
                {form.expiry.kind === 'at' && (
                  <input type="datetime-local" aria-label="Expires at" value={form.expiry.local} onChange={(e) => set('expiry', { kind: 'at', local: e.target.value })} />
                )}
                {form.expiry.kind === 'after' && (
                  <>
                    <input
                      type="number"
                      min={1}
                      aria-label="Expires after"
                      className="push-number"
                      value={form.expiry.amount}
                      onChange={(e) => set('expiry', { kind: 'after', amount: e.target.value, unit: (form.expiry as { unit: IntervalUnit }).unit })}
                    />
                    <select
                      aria-label="Expiry unit"
                      value={form.expiry.unit}
                      onChange={(e) => set('expiry', { kind: 'after', amount: (form.expiry as { amount: string }).amount, unit: e.target.value as IntervalUnit })}
                    >
                      <option value="minutes">minutes</option>
                      <option value="hours">hours</option>
                      <option value="days">days</option>
                    </select>
                  </>
                )}
              </div>
            </Field>
          </div>
        </fieldset>
      </div>

      <aside className="push-compose-side">
        <section className="card push-section" aria-label="Request preview">
          <h2>Request</h2>
          <p className="muted small">
            <code>POST /parse/push</code>
          </p>
          {built.ok ? (
            <pre className="push-preview">{JSON.stringify(built.body, null, 2)}</pre>
          ) : built.field === 'target' || built.field === 'alert' ? (
            <p className="muted small">{built.error}</p>
          ) : (
            <ErrorText error={built.error} />
          )}
        </section>
        {send.error != null && (
          <div className="card push-result push-result-error">
            <strong>The server refused the push</strong>
            <ErrorText error={send.error} />
          </div>
        )}
        {sent !== null && (
          <div className="card push-result" role="status" aria-label="Push sent">
            <strong>{form.schedule.kind === 'now' ? 'Push queued' : 'Push scheduled'}</strong>
            <p className="small">
              Status <code>{sent || 'unknown'}</code>.{' '}
              <Link to={`${pushPath(app.applicationId)}/history`}>Follow it in the history</Link>.
            </p>
          </div>
        )}
        {canSend ? (
          <button
            type="button"
            className="primary push-send"
            disabled={!built.ok || send.isPending}
            onClick={() => {
              setSent(null)
              if (built.ok) send.mutate(built.body)
            }}
          >
            {send.isPending ? 'Sending…' : form.schedule.kind === 'now' ? `Send${targeted.data !== undefined && countable ? ` to ${targeted.data.toLocaleString('en-US')} devices` : ''}` : 'Schedule'}
          </button>
        ) : (
          <p className="muted small">You are a viewer of this app: an owner or developer sends pushes.</p>
        )}
      </aside>
    </div>
  )
}

function TargetCount({ count, pending, error, countable }: { count: number | undefined; pending: boolean; error: unknown; countable: boolean }) {
  return (
    <div className="push-count" aria-live="polite">
      {!countable ? (
        <span className="muted">Name a channel to see how many devices it reaches.</span>
      ) : error ? (
        <ErrorText error={error} />
      ) : count === undefined ? (
        <span className="muted">Counting…</span>
      ) : (
        <>
          <span className={pending ? 'push-count-value muted' : 'push-count-value'} aria-label="Targeted devices">
            {count.toLocaleString('en-US')}
          </span>{' '}
          device{count === 1 ? '' : 's'} with a token match{count === 1 ? 'es' : ''}
          {pending && <span className="muted small"> (counting…)</span>}
          {count === 0 && !pending && <div className="muted small">Sent now, it would be recorded as succeeded with nothing sent.</div>}
        </>
      )}
    </div>
  )
}
