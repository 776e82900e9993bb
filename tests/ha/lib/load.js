'use strict';
// Steady mixed load through the load balancer, through the Parse REST API, the way a careful
// client behaves: every write carries an X-Parse-Request-Id and, when it fails (a network error,
// a timeout, a 5xx, a 429), is sent again with the same id and the same body until it succeeds
// (or a bound passes). What was acknowledged is remembered, for the checks afterwards:
//
//   create   POST /classes/C {n, w, v: 0, pad}: `n` unique per logical create
//   update   PUT /classes/C/id {v: Increment 1} on an object this worker created
//   query    GET /classes/C?where={"w": w}&order=-n&limit=20
//   upload   POST /files/ha.bin (1-32 KiB of random bytes), the SHA-256 remembered
//   download GET of an acknowledged file, its SHA-256 compared
//
// Every HTTP attempt is recorded ({t0, t1, op, ok, status}) for error rates and recovery times.
// LiveQuery subscribers (WebSocket, the `ws` package) count the create events they receive and
// reconnect when their connection drops.

const crypto = require('node:crypto');
const http = require('node:http');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP request with `agent`; answers { status, headers, bytes, body } or throws (network
 * error, timeout). */
function request(agent, base, method, path, { headers = {}, body, timeout = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base + path);
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const hdrs = { ...headers };
    if (payload) hdrs['Content-Length'] = String(payload.length);
    const req = http.request({ method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers: hdrs, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        let json;
        try {
          json = JSON.parse(bytes.toString('utf8'));
        } catch {}
        resolve({ status: res.statusCode, headers: res.headers, bytes, body: json });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Whether a failed attempt may be sent again (with the same request id). */
const retriable = (status) => status === undefined || status >= 500 || status === 429;

class Load {
  /**
   * opts: base (the load balancer's URL), app ({applicationId, keys}), className, workers,
   * weights ({create, update, query, upload, download}), live (number of LiveQuery subscribers),
   * retryFor (ms a logical write keeps being retried), timeout (ms per attempt).
   */
  constructor(opts) {
    this.opts = { workers: 8, live: 0, retryFor: 60000, timeout: 10000, weights: { create: 35, update: 20, query: 30, upload: 10, download: 5 }, ...opts };
    this.agent = new http.Agent({ keepAlive: true, maxSockets: this.opts.workers * 2 });
    this.attempts = []; // {t0, t1, op, ok, status, err}
    this.creates = new Map(); // n -> {id, acked, gaveUp, attempts}
    this.objects = []; // per worker: [{id, n, acked, unacked}]
    this.files = []; // {url, name, sha, size}
    this.fileFailures = []; // download mismatches during the load
    this.refusals = []; // writes answered with a 4xx other than 429: never expected here
    this.nextN = 1;
    this.running = false;
    this.live = { subscribers: 0, events: 0, seen: new Set(), reconnects: 0, errors: 0 };
    this.sockets = [];
  }

  headers(extra = {}) {
    const { app } = this.opts;
    return { 'X-Parse-Application-Id': app.applicationId, 'X-Parse-Master-Key': app.keys.masterKey, ...extra };
  }

  /** One recorded attempt. */
  async attempt(op, method, path, { headers, body } = {}) {
    const t0 = Date.now();
    try {
      const res = await request(this.agent, this.opts.base, method, path, { headers: this.headers(headers), body, timeout: this.opts.timeout });
      const ok = res.status >= 200 && res.status < 300;
      // HAProxy's own answers (no instance up, or none answered) are HTML; Hearth's are JSON.
      const lb = !ok && res.body === undefined && /html/.test(res.headers['content-type'] || '');
      this.attempts.push({ t0, t1: Date.now(), op, ok, status: res.status, lb, retryAfter: res.headers['retry-after'] });
      return res;
    } catch (e) {
      this.attempts.push({ t0, t1: Date.now(), op, ok: false, err: e.code || e.message });
      return { status: undefined, err: e };
    }
  }

  /** A write sent until acknowledged: the same request id and body each time. Answers the
   * successful response, or null when it was given up (still failing after `retryFor`). */
  async write(op, method, path, body, contentType = 'application/json') {
    const id = crypto.randomUUID();
    const headers = { 'X-Parse-Request-Id': id, 'Content-Type': contentType };
    const deadline = Date.now() + this.opts.retryFor;
    for (let i = 0; ; i++) {
      const res = await this.attempt(op, method, path, { headers, body });
      if (res.status >= 200 && res.status < 300) return res;
      if (res.status !== undefined && !retriable(res.status)) {
        this.refusals.push(`${op} ${method} ${path}: ${res.status} ${res.bytes.toString('utf8').slice(0, 200)}`);
        return { refused: res };
      }
      if (Date.now() > deadline) return null;
      const ra = Number(res.headers && res.headers['retry-after']);
      await sleep(Math.min(1000, Number.isFinite(ra) && ra > 0 ? ra * 1000 : 50 * 2 ** Math.min(i, 4)));
    }
  }

  async create(w) {
    const n = this.nextN++;
    const rec = { n, id: null, acked: false, gaveUp: false };
    this.creates.set(n, rec);
    const body = JSON.stringify({ n, w, v: 0, pad: crypto.randomBytes(24).toString('base64') });
    const res = await this.write('create', 'POST', `/parse/classes/${this.opts.className}`, body);
    if (res && !res.refused && res.body && res.body.objectId) {
      rec.id = res.body.objectId;
      rec.acked = true;
      this.objects[w].push({ id: rec.id, n, acked: 0, unacked: 0 });
    } else {
      rec.gaveUp = true;
      rec.refused = res && res.refused ? `${res.refused.status} ${JSON.stringify(res.refused.body)}` : undefined;
    }
  }

  async update(w) {
    const mine = this.objects[w];
    if (!mine.length) return this.create(w);
    const o = mine[crypto.randomInt(mine.length)];
    const res = await this.write('update', 'PUT', `/parse/classes/${this.opts.className}/${o.id}`, JSON.stringify({ v: { __op: 'Increment', amount: 1 } }));
    if (res && !res.refused) o.acked++;
    else o.unacked++;
  }

  async query(w) {
    const where = encodeURIComponent(JSON.stringify({ w }));
    await this.attempt('query', 'GET', `/parse/classes/${this.opts.className}?where=${where}&order=-n&limit=20`);
  }

  async upload() {
    const bytes = crypto.randomBytes(1024 + crypto.randomInt(31 * 1024));
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    const deadline = Date.now() + this.opts.retryFor;
    for (let i = 0; ; i++) {
      // A file upload has no request id: a retry is a new upload, and only the acknowledged one is
      // remembered (the others may be stored without anyone knowing their names, as with S3).
      const res = await this.attempt('upload', 'POST', '/parse/files/ha.bin', { headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
      if (res.status === 201 && res.body && res.body.url) {
        this.files.push({ url: res.body.url, name: res.body.name, sha, size: bytes.length });
        return;
      }
      if (res.status !== undefined && !retriable(res.status)) {
        this.refusals.push(`upload: ${res.status} ${res.bytes.toString('utf8').slice(0, 200)}`);
        return;
      }
      if (Date.now() > deadline) return;
      await sleep(50 * 2 ** Math.min(i, 4));
    }
  }

  async download() {
    if (!this.files.length) return this.upload();
    const f = this.files[crypto.randomInt(this.files.length)];
    const u = new URL(f.url);
    const res = await this.attempt('download', 'GET', u.pathname);
    if (res.status === 200 && crypto.createHash('sha256').update(res.bytes).digest('hex') !== f.sha) this.fileFailures.push({ url: f.url, why: 'hash differs' });
  }

  async worker(w) {
    const { weights } = this.opts;
    const ops = Object.entries(weights);
    const total = ops.reduce((s, [, x]) => s + x, 0);
    while (this.running) {
      let r = crypto.randomInt(total);
      const [op] = ops.find(([, x]) => (r -= x) < 0);
      await this[op](w);
    }
  }

  start() {
    this.running = true;
    this.startedAt = Date.now();
    this.workers = [];
    for (let w = 0; w < this.opts.workers; w++) {
      this.objects.push([]);
      this.workers.push(this.worker(w));
    }
    for (let i = 0; i < this.opts.live; i++) this.subscribe(i);
    return this;
  }

  /** Stops issuing new operations and resolves when every operation in progress ended (its
   * retries included). */
  async stop() {
    this.running = false;
    await Promise.all(this.workers);
    this.stoppedAt = Date.now();
    for (const s of this.sockets) s.closed = true;
    for (const s of this.sockets) {
      try {
        s.ws && s.ws.terminate();
      } catch {}
    }
    this.agent.destroy();
  }

  // -------------------------------------------------------------------------------------------
  // LiveQuery

  subscribe(i) {
    let WebSocket;
    try {
      WebSocket = require('ws');
    } catch {
      return; // without the package, no subscribers (counted as 0)
    }
    const state = { closed: false, ws: null };
    this.sockets.push(state);
    this.live.subscribers++;
    const { app, className } = this.opts;
    const open = () => {
      if (state.closed) return;
      const ws = new WebSocket(`${this.opts.base.replace(/^http/, 'ws')}/parse`);
      state.ws = ws;
      ws.on('open', () => ws.send(JSON.stringify({ op: 'connect', applicationId: app.applicationId, masterKey: app.keys.masterKey })));
      ws.on('message', (data) => {
        let m;
        try {
          m = JSON.parse(data.toString());
        } catch {
          return;
        }
        if (m.op === 'connected') ws.send(JSON.stringify({ op: 'subscribe', requestId: 1, query: { className, where: {} } }));
        else if (m.op === 'create') {
          this.live.events++;
          if (m.object && m.object.n !== undefined) this.live.seen.add(`${i}:${m.object.n}`);
        } else if (m.op === 'error') this.live.errors++;
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        if (state.closed) return;
        this.live.reconnects++;
        setTimeout(open, 200);
      });
    };
    open();
  }
}

/** The start (ms since the epoch) of the first `streak` consecutive successful attempts (by
 * start time) among those begun at or after `from`, or null. */
function firstStreak(attempts, from, streak) {
  const after = attempts.filter((a) => a.t0 >= from).sort((x, y) => x.t0 - y.t0);
  let run = 0;
  for (let i = 0; i < after.length; i++) {
    run = after[i].ok ? run + 1 : 0;
    if (run === streak) return after[i - streak + 1].t0;
  }
  return null;
}

/** Error rate and recovery from the recorded attempts, for a fault from `start` to `end` (ms
 * since the epoch). An attempt counts in the fault when it overlaps it. Recovery: from the
 * fault's end to the start of the first `streak` consecutive successful attempts begun after it
 * (0 when no attempt failed after the end); `servingAgainMs` is the same from the fault's start
 * (how soon the bed served again while the fault lasted, e.g. without the killed instance). */
function faultStats(attempts, start, end, streak = 20) {
  const inFault = attempts.filter((a) => a.t1 >= start && a.t0 <= end);
  const failed = inFault.filter((a) => !a.ok);
  const failedAfter = attempts.filter((a) => !a.ok && a.t1 > end);
  const recoveredAt = failedAfter.length ? firstStreak(attempts, end, streak) : end;
  const servingAt = firstStreak(attempts, start, streak);
  const lastError = failedAfter.reduce((m, a) => Math.max(m, a.t1), 0);
  const byKind = {};
  for (const a of attempts.filter((x) => !x.ok && x.t1 >= start)) {
    const k = a.status ? `${a.status}${a.lb ? ' (HAProxy: no instance up)' : a.retryAfter ? ' Retry-After' : ''}` : a.err || 'error';
    byKind[k] = (byKind[k] || 0) + 1;
  }
  // The longest time without any successful answer, from the fault's start to the recovery.
  const oks = attempts.filter((a) => a.ok && a.t1 >= start).map((a) => a.t1).sort((x, y) => x - y);
  let stall = 0;
  let prev = start;
  for (const t of oks) {
    stall = Math.max(stall, t - prev);
    prev = t;
    if (recoveredAt !== null && t > recoveredAt) break;
  }
  const rate = (from, to) => (to > from ? round((attempts.filter((a) => a.ok && a.t1 >= from && a.t1 < to).length * 1000) / (to - from)) : null);
  const first = attempts.reduce((m, a) => Math.min(m, a.t0), start);
  return {
    faultMs: end - start,
    okPerSecondBefore: rate(first, start),
    okPerSecondDuringFault: rate(start, end),
    longestStallMs: stall,
    attemptsDuringFault: inFault.length,
    failedDuringFault: failed.length,
    errorRateDuringFault: inFault.length ? round(failed.length / inFault.length, 4) : 0,
    failuresByKind: byKind,
    recoveryMs: recoveredAt === null ? null : Math.max(0, recoveredAt - end),
    servingAgainMs: servingAt === null ? null : Math.max(0, servingAt - start),
    lastErrorAfterFaultEndMs: lastError ? lastError - end : 0,
    attemptsTotal: attempts.length,
    failedTotal: attempts.filter((a) => !a.ok).length,
  };
}

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** The p-th percentile (0-100) of `xs`. */
function percentile(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

module.exports = { Load, request, faultStats, percentile, round };
