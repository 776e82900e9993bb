// Files: the app's stored files (newest first, paged), image previews, download, delete,
// upload, and the clean-up of files no object references (a dry run first, then the real one).
import { useRef, useState } from 'react'
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { admin, parse, qs } from '../../api'
import { useApp } from '../../appContext'
import { atLeast } from '../../types'
import { Empty, ErrorState, ErrorText, Field, Modal, PageHeader, Spinner } from '../../ui'
import { ConfirmButton } from '../../ui/ConfirmButton'
import { displayName, fileBadge, formatBytes, isImage, sameOrigin } from './format'
import './files.css'

interface Listed {
  name: string
  size: number
  contentType: string
  createdAt: string
  url: string
}

interface Report {
  dryRun: boolean
  graceHours: number
  candidates: string[]
  candidateBytes: number
  deleted: number
}

export default function FilesView() {
  const app = useApp()
  const appPath = `/apps/${encodeURIComponent(app.applicationId)}`
  const canWrite = atLeast(app.role, 'developer')
  const qc = useQueryClient()
  const [search, setSearch] = useState('')
  const [preview, setPreview] = useState<Listed | null>(null)
  const [cleanup, setCleanup] = useState(false)
  const [unreferenced, setUnreferenced] = useState<Set<string>>(new Set())
  const files = useInfiniteQuery({
    queryKey: ['files', app.applicationId, search],
    queryFn: ({ pageParam }) => admin<{ results: Listed[]; next?: string | null }>('GET', `${appPath}/files${qs({ name: search, after: pageParam, limit: 50 })}`),
    initialPageParam: '' as string,
    getNextPageParam: (last) => last.next ?? undefined,
  })
  const refresh = () => qc.invalidateQueries({ queryKey: ['files', app.applicationId] })
  const rows = files.data?.pages.flatMap((p) => p.results) ?? []
  const nextError = files.isFetchNextPageError ? files.error : null

  return (
    <div className="files-view">
      <PageHeader title="Files">
        {canWrite && <button type="button" onClick={() => setCleanup(true)}>Clean up unreferenced…</button>}
      </PageHeader>
      {canWrite && <Upload appId={app.applicationId} onDone={refresh} />}
      <div className="row files-toolbar">
        <input type="search" aria-label="Search files by name" placeholder="Search by name…" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="spacer" />
        {files.data && <span className="muted small">{rows.length} shown{files.hasNextPage ? ', more below' : ''}</span>}
      </div>
      {files.isPending ? (
        <Spinner />
      ) : files.isError ? (
        <ErrorState error={files.error} retry={() => files.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title={search ? 'No file matches' : 'No files yet'}>{search ? 'Try another name.' : 'Files uploaded by clients, or here, are listed here.'}</Empty>
      ) : (
        <>
          <table className="list files-table">
            <thead>
              <tr>
                <th className="files-thumb-col">Preview</th>
                <th>Name</th>
                <th>Type</th>
                <th className="num">Size</th>
                <th>Uploaded</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {rows.map((f) => (
                <FileRow
                  key={f.name}
                  file={f}
                  unreferenced={unreferenced.has(f.name)}
                  canWrite={canWrite}
                  appId={app.applicationId}
                  onPreview={() => setPreview(f)}
                  onDeleted={refresh}
                />
              ))}
            </tbody>
          </table>
          {files.hasNextPage && (
            <div className="row files-more">
              <button type="button" onClick={() => files.fetchNextPage()} disabled={files.isFetchingNextPage}>
                {files.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )}
          <ErrorText error={nextError} />
        </>
      )}
      {preview && (
        <Modal title={displayName(preview.name)} wide onClose={() => setPreview(null)}>
          <div className="files-preview">
            <img src={sameOrigin(preview.url)} alt={displayName(preview.name)} />
          </div>
          <p className="muted small mono">{preview.name}</p>
        </Modal>
      )}
      {cleanup && (
        <Cleanup
          appPath={appPath}
          onFound={(names) => setUnreferenced(new Set(names))}
          onDone={refresh}
          onClose={() => setCleanup(false)}
        />
      )}
    </div>
  )
}

function FileRow({
  file,
  unreferenced,
  canWrite,
  appId,
  onPreview,
  onDeleted,
}: {
  file: Listed
  unreferenced: boolean
  canWrite: boolean
  appId: string
  onPreview: () => void
  onDeleted: () => void
}) {
  const del = useMutation({
    mutationFn: () => parse(appId, 'DELETE', `/files/${encodeURIComponent(file.name)}`),
    onSuccess: onDeleted,
  })
  const url = sameOrigin(file.url)
  const name = displayName(file.name)
  return (
    <tr>
      <td className="files-thumb-col">
        {isImage(file.contentType) ? (
          <button type="button" className="files-thumb" onClick={onPreview} aria-label={`Preview ${name}`}>
            <img src={url} alt="" loading="lazy" />
          </button>
        ) : (
          <span className="files-thumb files-icon" aria-hidden="true">
            {fileBadge(name)}
          </span>
        )}
      </td>
      <td>
        <div className="files-name" title={file.name}>
          {name}
        </div>
        {unreferenced && <span className="badge warn">unreferenced</span>}
      </td>
      <td className="muted small">{file.contentType}</td>
      <td className="num">{formatBytes(file.size)}</td>
      <td className="small">{new Date(file.createdAt).toLocaleString()}</td>
      <td className="files-actions">
        <div className="row">
          <a className="button small" href={url} download={name}>
            Download
          </a>
          {canWrite && (
            <ConfirmButton label="Delete" confirmLabel="Confirm delete" ariaLabel={`Delete ${name}`} busy={del.isPending} onConfirm={() => del.mutate()} />
          )}
        </div>
        <ErrorText error={del.error} />
      </td>
    </tr>
  )
}

function Upload({ appId, onDone }: { appId: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null)
  const [file, setFile] = useState<File | null>(null)
  const upload = useMutation({
    mutationFn: (f: File) =>
      parse<{ name: string; url: string }>(appId, 'POST', `/files/${encodeURIComponent(f.name)}`, undefined, {
        raw: { body: f, contentType: f.type || 'application/octet-stream' },
      }),
    onSuccess: () => {
      setFile(null)
      if (input.current) input.current.value = ''
      onDone()
    },
  })
  return (
    <form
      className="card files-upload"
      onSubmit={(e) => {
        e.preventDefault()
        if (file) upload.mutate(file)
      }}
    >
      <Field label="Upload a file" error={upload.error} hint="Stored like a client's upload; the app's file settings (types, sizes) apply.">
        <div className="row">
          <input ref={input} type="file" aria-label="File to upload" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          <button type="submit" className="primary" disabled={!file || upload.isPending}>
            {upload.isPending ? 'Uploading…' : 'Upload'}
          </button>
        </div>
      </Field>
    </form>
  )
}

function Cleanup({
  appPath,
  onFound,
  onDone,
  onClose,
}: {
  appPath: string
  onFound: (names: string[]) => void
  onDone: () => void
  onClose: () => void
}) {
  const [grace, setGrace] = useState('24')
  const [dry, setDry] = useState<Report | null>(null)
  const [done, setDone] = useState<Report | null>(null)
  const run = useMutation({
    mutationFn: (dryRun: boolean) => admin<Report>('POST', `${appPath}/files/cleanup`, { dryRun, graceHours: Number(grace) }),
    onSuccess: (r) => {
      if (r.dryRun) {
        setDry(r)
        onFound(r.candidates)
      } else {
        setDone(r)
        onFound([])
        onDone()
      }
    },
  })
  return (
    <Modal title="Clean up unreferenced files" wide onClose={onClose}>
      <p className="muted">
        A file is unreferenced when no object (in any field, at any depth) and no config parameter names it. Files younger than the grace period are
        kept: an upload is saved before the object that will reference it.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          setDry(null)
          setDone(null)
          run.mutate(true)
        }}
      >
        <div className="row files-cleanup-form">
          <Field label="Grace period (hours)" error={!dry && !done ? run.error : null}>
            <input type="number" min={0} value={grace} onChange={(e) => setGrace(e.target.value)} />
          </Field>
          <button type="submit" disabled={run.isPending}>
            Dry run: find them
          </button>
        </div>
      </form>
      {dry && !done && (
        <div className="files-cleanup-report">
          {dry.candidates.length === 0 ? (
            <Empty title="Nothing to clean up">Every file older than {dry.graceHours} hours is referenced.</Empty>
          ) : (
            <>
              <p>
                <strong>{dry.candidates.length}</strong> unreferenced file{dry.candidates.length === 1 ? '' : 's'}, {formatBytes(dry.candidateBytes)}:
              </p>
              <ul className="files-candidates mono" aria-label="Unreferenced files">
                {dry.candidates.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
              <ErrorText error={run.error} />
              <div className="actions">
                <button type="button" className="danger" disabled={run.isPending} onClick={() => run.mutate(false)}>
                  Delete unreferenced files
                </button>
              </div>
              <p className="muted small">The real run looks again: a file referenced since the dry run is kept.</p>
            </>
          )}
        </div>
      )}
      {done && (
        <p role="status">
          Deleted {done.deleted} file{done.deleted === 1 ? '' : 's'} ({formatBytes(done.candidateBytes)}).
        </p>
      )}
    </Modal>
  )
}
