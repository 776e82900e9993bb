// Formatting for the files view.

/** A size in bytes for people: 0 B, 999 B, 1.5 KB, 12 MB (powers of 1024). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

/** Whether the browser can show a file of this type as an image preview. */
export function isImage(contentType: string): boolean {
  return /^image\/(png|jpe?g|gif|webp|avif|bmp|svg\+xml|x-icon|vnd\.microsoft\.icon)$/i.test(contentType.trim())
}

/**
 * A file URL made relative to this origin (path and query), so that previews and downloads stay
 * same-origin whatever public URL the server was given (the CSP allows images from 'self' only).
 */
export function sameOrigin(url: string): string {
  try {
    const u = new URL(url, 'http://origin.invalid')
    return u.pathname + u.search
  } catch {
    return url
  }
}

/** A short badge for a file without a preview: its extension (up to 4 letters), else FILE. */
export function fileBadge(name: string): string {
  const dot = name.lastIndexOf('.')
  const ext = dot > 0 ? name.slice(dot + 1) : ''
  return /^[a-z0-9]{1,4}$/i.test(ext) ? ext.toUpperCase() : 'FILE'
}

/** The name a user gave a file: Parse stores `<random>_<name>`. */
export function displayName(stored: string): string {
  const i = stored.indexOf('_')
  return i > 0 && i < stored.length - 1 && /^[0-9a-f]{16,}$/i.test(stored.slice(0, i)) ? stored.slice(i + 1) : stored
}
