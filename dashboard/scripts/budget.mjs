// Checks the first view's weight: the JavaScript that index.html loads (its entry script and the
// chunks it preloads) plus the apps list's chunk, the first view after signing in, gzipped,
// must stay under the budget.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const BUDGET = 300 * 1024
const dist = new URL('../dist/', import.meta.url).pathname
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const files = [...html.matchAll(/(?:src|href)="\/dashboard\/(assets\/[^"]+\.js)"/g)].map((m) => m[1])
if (!files.length) {
  console.error('budget: index.html loads no script from assets/')
  process.exit(1)
}
files.push(...readdirSync(join(dist, 'assets')).filter((f) => /^apps-[\w-]+\.js$/.test(f)).map((f) => `assets/${f}`))
let total = 0
for (const f of files) {
  const size = gzipSync(readFileSync(join(dist, f)), { level: 9 }).length
  total += size
  console.log(`budget: ${f} ${(size / 1024).toFixed(1)} KB gzipped`)
}
const verdict = total <= BUDGET ? 'within' : 'OVER'
console.log(`budget: first view ${(total / 1024).toFixed(1)} KB of gzipped JavaScript, ${verdict} the ${BUDGET / 1024} KB budget`)
process.exit(total <= BUDGET ? 0 : 1)
