// Many small files, for bench/files/run.sh: uploads or downloads COUNT files of SIZE bytes with
// CONCURRENCY requests in flight (a pool over Node's fetch, keep-alive connections), checks every
// answer and prints one JSON line with the rate and latency percentiles.
//
//   node small.mjs --base http://127.0.0.1:P/parse --phase upload   --names F [--count 2000 --size 10240 --concurrency 16]
//   node small.mjs --base http://127.0.0.1:P/parse --phase download --names F
//
// upload: POST /files/small.bin with the raw bytes (X-Parse-Application-Id, X-Parse-Master-Key,
//   Content-Type application/octet-stream); each answer must be 201 with a name; writes
//   "<index> <name>" lines to --names. File i holds i (8 bytes, little endian) then the byte i % 251.
// download: GET /files/<appId>/<name> for every line of --names (no headers: public files, as a
//   browser would fetch them); each answer must be 200 with exactly the bytes uploaded.
// --warmup N requests go first, unmeasured (uploads of files not listed; downloads of the first N).
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    phase: { type: 'string' },
    names: { type: 'string' },
    count: { type: 'string', default: '2000' },
    size: { type: 'string', default: '10240' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '0' },
    'app-id': { type: 'string', default: 'benchApp' },
    'master-key': { type: 'string', default: 'benchMasterKey' },
  },
});
const base = opt.base.replace(/\/$/, '');
const size = Number(opt.size);
const concurrency = Number(opt.concurrency);
const appId = opt['app-id'];

function content(i) {
  const b = Buffer.alloc(size, i % 251);
  b.writeBigUInt64LE(BigInt(i), 0);
  return b;
}

async function upload(i) {
  const res = await fetch(`${base}/files/small.bin`, {
    method: 'POST',
    headers: {
      'X-Parse-Application-Id': appId,
      'X-Parse-Master-Key': opt['master-key'],
      'Content-Type': 'application/octet-stream',
    },
    body: content(i),
    signal: AbortSignal.timeout(60000),
  });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  if (res.status !== 201 || typeof body?.name !== 'string') {
    throw new Error(`upload ${i}: HTTP ${res.status} ${text.slice(0, 200)}`);
  }
  return body.name;
}

async function download(i, name) {
  const res = await fetch(`${base}/files/${encodeURIComponent(appId)}/${encodeURIComponent(name)}`, {
    signal: AbortSignal.timeout(60000),
  });
  const got = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`download ${name}: HTTP ${res.status} ${got.toString('utf8', 0, 200)}`);
  if (!got.equals(content(i))) throw new Error(`download ${name}: ${got.length} bytes, not the ${size} bytes uploaded`);
}

// Runs job(k) for k in 0..n-1 with `concurrency` in flight; returns per-request latencies (ms)
// of the successes, the failures and the wall time.
async function pool(n, job) {
  const lat = [];
  const errors = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      const k = next++;
      const s = performance.now();
      try {
        await job(k);
        lat.push(performance.now() - s);
      } catch (e) {
        errors.push(e.cause?.code ? `${e.message}: ${e.cause.code}` : e.message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { lat, errors, seconds: (performance.now() - t0) / 1000 };
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);

let run;
let count;
const warmup = Number(opt.warmup);
if (opt.phase === 'upload') {
  count = Number(opt.count);
  if (warmup) await pool(warmup, (k) => upload(1e9 + k));
  const names = new Array(count);
  run = await pool(count, async (k) => { names[k] = await upload(k); });
  writeFileSync(opt.names, names.map((n, i) => (n ? `${i} ${n}\n` : '')).join(''));
} else if (opt.phase === 'download') {
  const list = readFileSync(opt.names, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [i, name] = l.split(' ');
    return [Number(i), name];
  });
  count = list.length;
  if (warmup) await pool(Math.min(warmup, count), (k) => download(...list[k]));
  run = await pool(count, (k) => download(...list[k]));
} else {
  throw new Error('--phase upload or download');
}
const sorted = run.lat.sort((a, b) => a - b);
const ok = sorted.length;
console.log(JSON.stringify({
  phase: opt.phase,
  count,
  size,
  concurrency,
  ok,
  failed: run.errors.length,
  firstError: run.errors[0] || null,
  seconds: run.seconds,
  perSecond: ok / run.seconds,
  mibPerSecond: (ok * size) / run.seconds / 1048576,
  p50Ms: pct(sorted, 50),
  p90Ms: pct(sorted, 90),
  p99Ms: pct(sorted, 99),
  maxMs: sorted[sorted.length - 1] ?? null,
}));
