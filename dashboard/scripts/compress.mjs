// Writes a gzipped copy beside each built script, style and SVG (`x.js.gz`), which Hearth sends
// to browsers that accept gzip: the files are compressed once, at build time, not per request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const dist = new URL('../dist/', import.meta.url).pathname
let before = 0
let after = 0
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (/\.(js|css|svg|html)$/.test(name)) {
      const raw = readFileSync(path)
      const gz = gzipSync(raw, { level: 9 })
      if (gz.length < raw.length) {
        writeFileSync(`${path}.gz`, gz)
        before += raw.length
        after += gz.length
      }
    }
  }
}
walk(dist)
console.log(`compress: ${(before / 1024).toFixed(0)} KB of files gzipped to ${(after / 1024).toFixed(0)} KB`)
