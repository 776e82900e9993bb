// Export of the current query (CSV or JSON, read by keyset pages, cancellable) and import of a
// CSV or JSON file into a class (preview, per-column types, per-row errors).
import { useRef, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { ErrorText, Field, Modal } from '../../ui'
import { ChunkRefused, createAll, deleteMany, find, updateSchema } from './dataApi'
import { csvLine, csvValue, parseCsv, planCsvImport, planJsonImport, type ImportPlan, type ImportType } from './csv'
import type { ClassSchema, ParseObject } from './parseTypes'
import { columnsOf } from './parseTypes'
import { andWhere, keysetCondition, orderOf, type Sort } from './query'

const EXPORT_PAGE = 1000

export function ExportDialog({ appId, schema, where, sort, total, onClose }: { appId: string; schema: ClassSchema; where: Record<string, unknown>; sort: Sort; total?: number; onClose: () => void }) {
  const [format, setFormat] = useState<'csv' | 'json'>('csv')
  const [done, setDone] = useState<number | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [url, setUrl] = useState<string | null>(null)
  const ctrl = useRef<AbortController | null>(null)
  const running = done !== null && !url && !error
  const columns = columnsOf(schema)
    .filter((c) => c.def.type !== 'Relation')
    .map((c) => c.name)
  const fileName = `${schema.className}.${format}`

  const start = async () => {
    const c = new AbortController()
    ctrl.current = c
    setError(null)
    setUrl(null)
    setDone(0)
    const parts: string[] = format === 'csv' ? [csvLine(columns)] : ['{"results":[\n']
    let n = 0
    let last: ParseObject | null = null
    try {
      for (;;) {
        const page = await find(appId, schema.className, {
          where: last ? andWhere(where, keysetCondition(sort, last, true)) : where,
          order: orderOf(sort),
          limit: EXPORT_PAGE,
          signal: c.signal,
        })
        for (const o of page) {
          parts.push(format === 'csv' ? csvLine(columns.map((k) => csvValue(o[k]))) : `${n ? ',\n' : ''}${JSON.stringify(o)}`)
          n++
        }
        setDone(n)
        if (page.length < EXPORT_PAGE) break
        last = page[page.length - 1]
      }
      if (format === 'json') parts.push('\n]}\n')
      setUrl(URL.createObjectURL(new Blob(parts, { type: format === 'csv' ? 'text/csv' : 'application/json' })))
    } catch (e) {
      if (!c.signal.aborted) setError(e)
      else setDone(null)
    }
  }

  return (
    <Modal
      title={`Export ${schema.className}`}
      onClose={() => {
        ctrl.current?.abort()
        if (url) URL.revokeObjectURL(url)
        onClose()
      }}
    >
      <p className="muted small">
        Exports the rows the current filters find, in the current order ({total === undefined ? 'counting' : total.toLocaleString('en-US')} rows), read {EXPORT_PAGE} at a time by
        keyset.
      </p>
      <fieldset className="radio-row" disabled={running}>
        <legend>Format</legend>
        <label>
          <input type="radio" name="format" checked={format === 'csv'} onChange={() => setFormat('csv')} /> CSV
        </label>
        <label>
          <input type="radio" name="format" checked={format === 'json'} onChange={() => setFormat('json')} /> JSON
        </label>
      </fieldset>
      {done !== null && (
        <div className="progress">
          <progress aria-label="Exported rows" max={total || undefined} value={done} /> {done.toLocaleString('en-US')} rows
        </div>
      )}
      <ErrorText error={error} />
      <div className="actions">
        {running ? (
          <button type="button" onClick={() => ctrl.current?.abort()}>
            Cancel export
          </button>
        ) : (
          <button type="button" className={url ? '' : 'primary'} onClick={start}>
            {url ? 'Export again' : 'Start export'}
          </button>
        )}
        {url && (
          <a className="button primary" href={url} download={fileName}>
            Download {fileName}
          </a>
        )}
      </div>
    </Modal>
  )
}

/** Imports are read in the browser and sent 50 objects per batch: kept to a size that stays quick. */
export const IMPORT_MAX_BYTES = 5 * 1024 * 1024
export const IMPORT_MAX_ROWS = 10_000

export function ImportDialog({ appId, schema, onClose, onDone }: { appId: string; schema: ClassSchema; onClose: () => void; onDone: () => void }) {
  const [fileError, setFileError] = useState<unknown>(null)
  const [source, setSource] = useState<{ kind: 'csv'; rows: string[][] } | { kind: 'json'; value: unknown } | null>(null)
  const [overrides, setOverrides] = useState<Record<string, ImportType>>({})
  const [progress, setProgress] = useState<[number, number] | null>(null)
  const [result, setResult] = useState<{ created: number; failed: { line: number; message: string }[] } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const qc = useQueryClient()

  let plan: ImportPlan | null = null
  let planError: unknown = null
  try {
    if (source?.kind === 'csv') plan = planCsvImport(source.rows, schema, overrides)
    else if (source?.kind === 'json') plan = planJsonImport(source.value, schema)
  } catch (e) {
    planError = e
  }
  const tooMany = plan ? plan.objects.length > IMPORT_MAX_ROWS : false

  const run = async () => {
    if (!plan) return
    setError(null)
    // New columns first, with their types: rows are then checked against them.
    const newFields: Record<string, { type: string }> = {}
    for (const c of plan.columns) if (!c.existing && c.name && !['objectId', 'createdAt', 'updatedAt', 'ACL'].includes(c.name)) newFields[c.name] = { type: c.type }
    try {
      if (Object.keys(newFields).length) {
        await updateSchema(appId, schema.className, { fields: newFields })
        await qc.invalidateQueries({ queryKey: ['schemas', appId] })
      }
    } catch (e) {
      setError(e)
      return
    }
    setProgress([0, plan.objects.length])
    try {
      const created = await createAll(
        appId,
        schema.className,
        plan.objects.map((o) => o.body),
        (d, t) => setProgress([d, t]),
      )
      setResult({ created: created.length, failed: [] })
    } catch (e) {
      // All or nothing: what the chunks before the refused one created goes, and so do the
      // columns this import added.
      if (e instanceof ChunkRefused) {
        await deleteMany(appId, schema.className, e.created, () => {}).catch(() => [])
        const added = Object.keys(newFields)
        if (added.length) {
          const drop = Object.fromEntries(added.map((f) => [f, { __op: 'Delete' }]))
          await updateSchema(appId, schema.className, { fields: drop }).catch(() => null)
          await qc.invalidateQueries({ queryKey: ['schemas', appId] })
        }
        const lines = `${plan.objects[e.first].line}–${plan.objects[e.last].line}`
        setError(new Error(`A row in lines ${lines} was refused: ${e.message}. Nothing was imported.`))
        setProgress(null)
        return
      }
      setError(e)
    }
    onDone()
  }

  return (
    <Modal title={`Import into ${schema.className}`} onClose={onClose} wide>
      {!result && (
        <Field
          label="CSV or JSON file"
          hint={`At most ${IMPORT_MAX_BYTES / 1024 / 1024} MB and ${IMPORT_MAX_ROWS.toLocaleString('en-US')} rows. CSV: a header row of field names. JSON: an array of objects, or {"results": [...]} as exported.`}
          error={fileError}
        >
          <input
            type="file"
            accept=".csv,.json,text/csv,application/json"
            disabled={progress !== null}
            onChange={async (e) => {
              const f = e.target.files?.[0]
              setSource(null)
              setFileError(null)
              if (!f) return
              if (f.size > IMPORT_MAX_BYTES) {
                setFileError(new Error(`${f.name} is ${(f.size / 1024 / 1024).toFixed(1)} MB: imports take at most ${IMPORT_MAX_BYTES / 1024 / 1024} MB`))
                return
              }
              const text = await f.text()
              try {
                if (/\.json$/i.test(f.name) || f.type === 'application/json') setSource({ kind: 'json', value: JSON.parse(text) })
                else setSource({ kind: 'csv', rows: parseCsv(text) })
              } catch (err) {
                setFileError(err)
              }
            }}
          />
        </Field>
      )}
      <ErrorText error={planError} />
      {plan && !result && (
        <>
          <h3>Preview</h3>
          <p className="small">
            {plan.objects.length.toLocaleString('en-US')} rows to create
            {plan.errors.length > 0 && <span className="error-text">, {plan.errors.length} with errors (skipped)</span>}. Types of new columns are inferred from their values; columns the class has keep
            their type.
          </p>
          {tooMany && <ErrorText error={new Error(`${plan.objects.length} rows: imports take at most ${IMPORT_MAX_ROWS.toLocaleString('en-US')} rows`)} />}
          <div className="preview-scroll">
            <table className="list preview">
              <thead>
                <tr>
                  <th>line</th>
                  {plan.columns.map((c) => (
                    <th key={c.name}>
                      <div>{c.name}</div>
                      {c.existing || source?.kind === 'json' ? (
                        <span className="badge">{c.type}</span>
                      ) : (
                        <select aria-label={`Type of ${c.name}`} value={c.type} onChange={(e) => setOverrides({ ...overrides, [c.name]: e.target.value as ImportType })}>
                          {['String', 'Number', 'Boolean', 'Date', 'Object', 'Array', 'GeoPoint', 'Pointer'].map((t) => (
                            <option key={t}>{t}</option>
                          ))}
                        </select>
                      )}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {plan.objects.slice(0, 8).map((o) => (
                  <tr key={o.line}>
                    <td className="muted">{o.line}</td>
                    {plan!.columns.map((c) => (
                      <td key={c.name}>{o.body[c.name] === undefined ? '' : csvValue(o.body[c.name])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {plan.errors.length > 0 && (
            <ul className="error-list" aria-label="Rows with errors">
              {plan.errors.slice(0, 20).map((e) => (
                <li key={e.line} className="error-text">
                  Line {e.line}: {e.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {progress && !result && (
        <div className="progress">
          <progress aria-label="Imported rows" max={progress[1]} value={progress[0]} /> {progress[0]} / {progress[1]}
        </div>
      )}
      {result && (
        <>
          <p role="status">
            Created {result.created.toLocaleString('en-US')} rows{result.failed.length ? `; ${result.failed.length} refused by the server:` : '.'}
          </p>
          <ul className="error-list">
            {result.failed.slice(0, 50).map((e) => (
              <li key={e.line} className="error-text">
                Line {e.line}: {e.message}
              </li>
            ))}
          </ul>
        </>
      )}
      <ErrorText error={error} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          {result ? 'Done' : 'Cancel'}
        </button>
        {!result && (
          <button type="button" className="primary" disabled={!plan || plan.objects.length === 0 || tooMany || progress !== null} onClick={run}>
            Import {plan ? plan.objects.length.toLocaleString('en-US') : ''} rows
          </button>
        )}
      </div>
    </Modal>
  )
}
