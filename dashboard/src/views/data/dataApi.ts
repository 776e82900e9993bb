// The Parse calls of the data browser and the schema view (through src/api.ts, with the admin's
// rights on the app; no key).
import { parse, qs } from '../../api'
import type { ClassSchema, ParseObject } from './parseTypes'

const enc = encodeURIComponent

export async function listSchemas(appId: string): Promise<ClassSchema[]> {
  const res = await parse<{ results: ClassSchema[] }>(appId, 'GET', '/schemas')
  return res.results.sort((a, b) => a.className.localeCompare(b.className))
}

export interface FindParams {
  where?: Record<string, unknown>
  order?: string
  limit?: number
  skip?: number
  keys?: string
  signal?: AbortSignal
}

export async function find(appId: string, className: string, p: FindParams): Promise<ParseObject[]> {
  const where = p.where && Object.keys(p.where).length ? p.where : undefined
  const res = await parse<{ results: ParseObject[] }>(
    appId,
    'GET',
    `/classes/${enc(className)}${qs({ where, order: p.order, limit: p.limit, skip: p.skip || undefined, keys: p.keys })}`,
    undefined,
    { signal: p.signal },
  )
  return res.results
}

export async function count(appId: string, className: string, where?: Record<string, unknown>, signal?: AbortSignal): Promise<number> {
  const w = where && Object.keys(where).length ? where : undefined
  const res = await parse<{ count: number }>(appId, 'GET', `/classes/${enc(className)}${qs({ where: w, count: 1, limit: 0 })}`, undefined, { signal })
  return res.count
}

export function createObject(appId: string, className: string, body: Record<string, unknown>) {
  return parse<{ objectId: string; createdAt: string }>(appId, 'POST', `/classes/${enc(className)}`, body)
}

export function updateObject(appId: string, className: string, objectId: string, body: Record<string, unknown>) {
  return parse<{ updatedAt: string }>(appId, 'PUT', `/classes/${enc(className)}/${enc(objectId)}`, body)
}

export function getObject(appId: string, className: string, objectId: string) {
  return parse<ParseObject>(appId, 'GET', `/classes/${enc(className)}/${enc(objectId)}`)
}

export function deleteObject(appId: string, className: string, objectId: string) {
  return parse(appId, 'DELETE', `/classes/${enc(className)}/${enc(objectId)}`)
}

type BatchAnswer = { success?: unknown; error?: { code: number; error: string } }[]

/** Deletes objects by /batch in chunks of 50; `progress(done, total)` after each chunk. Answers
 * the objectIds that failed with why. */
export async function deleteMany(
  appId: string,
  className: string,
  ids: string[],
  progress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<{ id: string; error: string }[]> {
  const failed: { id: string; error: string }[] = []
  for (let i = 0; i < ids.length; i += 50) {
    if (signal?.aborted) break
    const chunk = ids.slice(i, i + 50)
    const res = await parse<BatchAnswer>(appId, 'POST', '/batch', {
      requests: chunk.map((id) => ({ method: 'DELETE', path: `/parse/classes/${enc(className)}/${enc(id)}` })),
    })
    res.forEach((r, j) => {
      if (r.error) failed.push({ id: chunk[j], error: r.error.error })
    })
    progress(Math.min(ids.length, i + 50), ids.length)
  }
  return failed
}

/** Rows a transactional batch refused: which ones (first and last, 0-based) and why. */
export class ChunkRefused extends Error {
  readonly first: number
  readonly last: number
  readonly created: string[]
  constructor(message: string, first: number, last: number, created: string[]) {
    super(message)
    this.first = first
    this.last = last
    this.created = created
  }
}

/** Creates objects by /batch in transactional chunks of 500 (a chunk is created whole or not at
 * all); answers their objectIds. When a chunk is refused, throws [`ChunkRefused`] with the rows
 * of that chunk and the objectIds the chunks before it created. */
export async function createAll(
  appId: string,
  className: string,
  bodies: Record<string, unknown>[],
  progress: (done: number, total: number) => void,
): Promise<string[]> {
  const created: string[] = []
  for (let i = 0; i < bodies.length; i += 500) {
    const chunk = bodies.slice(i, i + 500)
    let res: BatchAnswer
    try {
      res = await parse<BatchAnswer>(appId, 'POST', '/batch', {
        transaction: true,
        requests: chunk.map((body) => ({ method: 'POST', path: `/parse/classes/${enc(className)}`, body })),
      })
    } catch (e) {
      throw new ChunkRefused(e instanceof Error ? e.message : String(e), i, i + chunk.length - 1, created)
    }
    const refused = res.find((r) => r.error)
    if (refused?.error) throw new ChunkRefused(`${refused.error.error} (code ${refused.error.code})`, i, i + chunk.length - 1, created)
    for (const r of res) created.push((r.success as { objectId: string }).objectId)
    progress(Math.min(bodies.length, i + 500), bodies.length)
  }
  return created
}

/** Uploads a file (raw body); answers Parse's `{name, url}`. */
export function uploadFile(appId: string, file: File) {
  const name = file.name.replace(/[^A-Za-z0-9._-]/g, '_') || 'file'
  return parse<{ name: string; url: string }>(appId, 'POST', `/files/${enc(name)}`, undefined, {
    raw: { body: file, contentType: file.type || 'application/octet-stream' },
  })
}

export function updateSchema(appId: string, className: string, body: Record<string, unknown>) {
  return parse<ClassSchema>(appId, 'PUT', `/schemas/${enc(className)}`, { className, ...body })
}

export function createSchema(appId: string, className: string, body: Record<string, unknown> = {}) {
  return parse<ClassSchema>(appId, 'POST', `/schemas/${enc(className)}`, { className, ...body })
}

export function deleteSchema(appId: string, className: string) {
  return parse(appId, 'DELETE', `/schemas/${enc(className)}`)
}

export function purgeClass(appId: string, className: string) {
  return parse(appId, 'DELETE', `/purge/${enc(className)}`)
}
