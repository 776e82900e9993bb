'use strict';
// What the overload and scaling measurements share: a seeded class to query, closed-loop and
// open-loop (fixed arrival rate) request drivers, process figures read from /proc (resident
// memory, CPU time), and Hearth's /metrics.

const { monitorEventLoopDelay } = require('perf_hooks');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const { request, percentile, round } = require('./load');
const { get } = require('./bed');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function headers(app, extra = {}) {
  return { 'X-Parse-Application-Id': app.applicationId, 'X-Parse-Master-Key': app.keys.masterKey, ...extra };
}

/** Creates `count` objects of about 600 bytes in `className` (batches of 50, through `base`). */
async function seed(base, app, className, count) {
  for (let i = 0; i < count; i += 50) {
    const requests = [];
    for (let k = i; k < Math.min(count, i + 50); k++) {
      requests.push({ method: 'POST', path: `/parse/classes/${className}`, body: { k, group: k % 10, score: crypto.randomInt(1e6), text: crypto.randomBytes(200).toString('hex'), tags: ['a', 'b', `t${k % 7}`] } });
    }
    const res = await request(undefined, base, 'POST', '/parse/batch', { headers: headers(app, { 'Content-Type': 'application/json' }), body: JSON.stringify({ requests }), timeout: 60000 });
    if (res.status !== 200) throw new Error(`seeding ${className} answered ${res.status}`);
  }
}

/** The query both measurements send: 100 objects of one group, sorted (the server formats each
 * object's JSON: work for the instance more than for the database, whose rows are cached). */
function queryPath(className) {
  const where = encodeURIComponent(JSON.stringify({ group: { $in: [1, 2, 3, 4, 5] } }));
  return `/parse/classes/${className}?where=${where}&order=-score&limit=100`;
}

function record(out, t0, res, err) {
  const t1 = Date.now();
  if (err) out.push({ t0, t1, status: 0, err: err.code || err.message });
  else out.push({ t0, t1, status: res.status, retryAfter: res.headers['retry-after'], lb: res.body === undefined && /html/.test(res.headers['content-type'] || ''), shedBy: res.headers['x-shed-by'] });
}

/** `concurrency` loops sending `path` to `base` for `ms`; answers the attempts. */
/** The headers of a client request (the REST API key, no session): reads that may be served by
 * a replica, unlike the master key's. */
function clientHeaders(app) {
  return { 'X-Parse-Application-Id': app.applicationId, 'X-Parse-REST-API-Key': app.keys.restApiKey };
}

async function closedLoop(base, app, path, concurrency, ms, { asClient = false } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out = [];
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t0 = Date.now();
        try {
          record(out, t0, await request(agent, base, 'GET', path, { headers: asClient ? clientHeaders(app) : headers(app), timeout: 15000 }));
        } catch (e) {
          record(out, t0, null, e);
        }
      }
    }),
  );
  agent.destroy();
  return out;
}

/** Sends `path` to `base` at `rate` requests per second for `ms`, whatever the answers' pace (an
 * open loop, as many independent clients do); at most `maxOutstanding` wait at once (beyond, the
 * arrival is counted as `notSent`). Answers { attempts, notSent }. */
async function openLoop(base, app, path, rate, ms, { maxOutstanding = 3000, agent } = {}) {
  const own = !agent;
  agent = agent || new http.Agent({ keepAlive: true, maxSockets: maxOutstanding });
  const out = [];
  let outstanding = 0;
  let notSent = 0;
  const pending = new Set();
  // The generator's own lag (its event loop behind schedule): part of every latency it measures.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < ms) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    for (; sent < due; sent++) {
      if (outstanding >= maxOutstanding) {
        notSent++;
        continue;
      }
      outstanding++;
      const t0 = Date.now();
      const p = request(agent, base, 'GET', path, { headers: headers(app), timeout: 15000 }).then(
        (res) => record(out, t0, res),
        (e) => record(out, t0, null, e),
      );
      pending.add(p);
      p.finally(() => {
        outstanding--;
        pending.delete(p);
      });
    }
    await sleep(5);
  }
  await Promise.all(pending);
  lag.disable();
  if (own) agent.destroy();
  return { attempts: out, notSent, generatorLagMs: { p50: round(lag.percentile(50) / 1e6), p99: round(lag.percentile(99) / 1e6) } };
}

/** Figures of a set of attempts lasting `ms`. */
function summarize(attempts, ms) {
  const ok = attempts.filter((a) => a.status >= 200 && a.status < 300);
  const shed = attempts.filter((a) => a.status === 503 && !a.lb);
  const shedWithRetryAfter = shed.filter((a) => a.retryAfter !== undefined);
  const lb = attempts.filter((a) => a.lb);
  const other = attempts.length - ok.length - shed.length - lb.length;
  const lat = (xs) => xs.map((a) => a.t1 - a.t0);
  return {
    requests: attempts.length,
    okPerSecond: round((ok.length * 1000) / ms),
    okShare: attempts.length ? round(ok.length / attempts.length, 3) : null,
    shed503Share: attempts.length ? round(shed.length / attempts.length, 3) : null,
    shed503WithRetryAfter: shedWithRetryAfter.length,
    shed503ByHaproxy: shed.filter((a) => a.shedBy === 'haproxy').length,
    haproxy503: lb.length,
    otherFailures: other,
    failuresByKind: attempts
      .filter((a) => !(a.status >= 200 && a.status < 300))
      .reduce((m, a) => {
        const k = a.status ? `${a.status}${a.lb ? ' HAProxy' : ''}` : a.err;
        m[k] = (m[k] || 0) + 1;
        return m;
      }, {}),
    okLatencyMs: { p50: percentile(lat(ok), 50), p99: percentile(lat(ok), 99), max: percentile(lat(ok), 100) },
    shedLatencyMs: { p50: percentile(lat(shed), 50), p99: percentile(lat(shed), 99) },
  };
}

/** Resident memory (VmRSS) of `pid` in MiB, or null. */
function rssMiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

const TICK = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used by `pid` so far, or 0. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** The children of `ppid` (PostgreSQL's backends of a postmaster). */
function children(ppid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === ppid) out.push(Number(d));
    } catch {}
  }
  return out;
}

/** CPU seconds of a cluster: its postmaster and every backend alive now (backends that exited
 * since are missing: connections are pooled, so they live as long as the measurement). */
function clusterCpuSeconds(cluster) {
  const pid = cluster.pid();
  if (!pid) return 0;
  return [pid, ...children(pid)].reduce((s, p) => s + cpuSeconds(p), 0);
}

/** Samples every instance's RSS every `every` ms until `stop()`; answers per instance
 * {first, min, max, last, samples}. */
function sampleRss(bed, names, every = 500) {
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const timer = setInterval(() => {
    for (const n of names) {
      const v = rssMiB(bed.pid(n));
      if (v !== null) samples[n].push(v);
    }
  }, every);
  return () => {
    clearInterval(timer);
    return Object.fromEntries(
      names.map((n) => {
        const s = samples[n];
        return [n, s.length ? { first: s[0], min: Math.min(...s), max: Math.max(...s), last: s[s.length - 1], samples: s.length } : null];
      }),
    );
  };
}

/** Sum of `metric` per value of `label` over every instance's /metrics (null when no instance
 * has it). */
async function scrape(bed, names, metric, label) {
  let found = false;
  const sums = {};
  for (const n of names) {
    let text;
    try {
      const headers = process.env.HEARTH_METRICS_TOKEN ? { Authorization: `Bearer ${process.env.HEARTH_METRICS_TOKEN}` } : {};
      text = (await get(`http://127.0.0.1:${bed.ports[n]}/metrics`, { headers })).text;
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
      found = true;
      const m = line.match(new RegExp(`${label}="([^"]*)"`));
      const key = m ? m[1] : '';
      sums[key] = (sums[key] || 0) + Number(line.trim().split(/\s+/).pop());
    }
  }
  return found ? sums : null;
}

function diff(after, before) {
  if (!after) return null;
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - ((before && before[k]) || 0)]));
}

module.exports = { seed, queryPath, closedLoop, openLoop, summarize, rssMiB, cpuSeconds, clusterCpuSeconds, sampleRss, scrape, diff, sleep };
