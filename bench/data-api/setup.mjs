// Setup and answer checks for bench/data-api/run.sh, run once per server before the timed runs.
//
//   node setup.mjs --base http://127.0.0.1:PORT/parse --objects 10000 --out results/parse
//
// 1. Creates the class BenchItem (score: Number, name: String, tag: String) with the index
//    tag_score (tag, score descending) through the schema API with the master key: Parse Server 9
//    refuses client class creation by default, so both servers get the class the same way.
// 2. Checks each workload's answer, so that a broken server cannot produce fast-looking numbers
//    from errors:
//      create: POST answers 201 with an objectId and createdAt;
//      batch:  a batch of 50 creates answers 50 successes, each with an objectId;
//      get:    GET of seeded ids answers the object with its fields;
//      query:  the filtered query answers 20 results, tag t3, score >= 100, by -score, the first
//              being the highest seeded score with tag t3.
// 3. Seeds --objects objects (score n, name item<n>, tag t<n%10>, n = 0..N-1) with batches of 50
//    (or single creates when batch does not work) and writes their ids, one a line, to <out>.ids.
// Writes <out>.verify.json: {"create": "ok" | reason, "batch": ..., "get": ..., "query": ...}.
// Exits 0 even when checks fail: run.sh reports the failing workloads as not available.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { Unavailable, caller, expect, reason } from '../lib.mjs';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    objects: { type: 'string', default: '10000' },
    out: { type: 'string' },
    'app-id': { type: 'string', default: 'benchApp' },
    'rest-key': { type: 'string', default: 'benchRestKey' },
    'master-key': { type: 'string', default: 'benchMasterKey' },
    concurrency: { type: 'string', default: '4' },
  },
});
const base = opt.base.replace(/\/$/, '');
const mount = new URL(base).pathname; // "/parse"
const N = Number(opt.objects);
const headers = {
  'X-Parse-Application-Id': opt['app-id'],
  'X-Parse-REST-API-Key': opt['rest-key'],
  'Content-Type': 'application/json',
};
const item = (n) => ({ score: n, name: `item${n}`, tag: `t${n % 10}` });

const call = caller(base, headers);

const verify = {
  schema: 'ok', create: 'ok', batch: 'ok', get: 'ok', query: 'ok',
  get_session: 'ok', query_session: 'ok', get_acl: 'ok', query_acl: 'ok', login: 'ok',
};
const t0 = Date.now();

// 1. The class.
{
  const r = await call('POST', '/schemas/BenchItem', {
    className: 'BenchItem',
    fields: { score: { type: 'Number' }, name: { type: 'String' }, tag: { type: 'String' } },
    // The index an app would add for the query workload; both servers build it from this.
    indexes: { tag_score: { tag: 1, score: -1 } },
  }, { 'X-Parse-Master-Key': opt['master-key'] });
  if (r.status !== 200 && r.status !== 201) verify.schema = reason(r, 'POST /schemas/BenchItem');
}

// 2a. create
try {
  const r = await call('POST', '/classes/BenchItem', { score: -1, name: 'probe', tag: 'probe' });
  expect(r.status === 201 && typeof r.body?.objectId === 'string' && r.body.createdAt, r, 'POST /classes/BenchItem');
} catch (e) {
  verify.create = e.message;
}

// 2b. batch, and 3. seeding
const batchBody = (from, count) => ({
  requests: Array.from({ length: count }, (_, i) => ({
    method: 'POST', path: `${mount}/classes/BenchItem`, body: item(from + i),
  })),
});
async function createBatch(from, count) {
  const r = await call('POST', '/batch', batchBody(from, count));
  expect(r.status === 200 && Array.isArray(r.body) && r.body.length === count, r, 'POST /batch');
  return r.body.map((x, i) => {
    if (typeof x?.success?.objectId !== 'string') {
      throw new Unavailable(`POST /batch: item ${i} answered ${JSON.stringify(x).slice(0, 160)}`);
    }
    return x.success.objectId;
  });
}
async function createOne(n) {
  const r = await call('POST', '/classes/BenchItem', item(n));
  expect(r.status === 201 && typeof r.body?.objectId === 'string', r, 'POST /classes/BenchItem');
  return r.body.objectId;
}

const ids = new Array(N);
let seeded = 'no';
async function seed(start, step, make, concurrency) {
  let next = start;
  const worker = async () => {
    while (next < N) {
      const from = next;
      const count = Math.min(step, N - from);
      next += count;
      const got = await make(from, count);
      got.forEach((id, i) => { ids[from + i] = id; });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
try {
  // The first batch is the check: 50 successes.
  const first = await createBatch(0, Math.min(50, N));
  first.forEach((id, i) => { ids[i] = id; });
  if (first.length !== 50 && N >= 50) throw new Unavailable('POST /batch: wrong count');
} catch (e) {
  verify.batch = e.message;
}
try {
  if (verify.batch === 'ok') {
    await seed(Math.min(50, N), 50, createBatch, Number(opt.concurrency));
    seeded = 'batch';
  } else if (verify.create === 'ok') {
    await seed(0, 1, async (n) => [await createOne(n)], 16);
    seeded = 'create';
  } else {
    throw new Unavailable(`cannot seed: ${verify.create}`);
  }
} catch (e) {
  verify.get = verify.query = `seeding failed: ${e.message}`;
}
const seedSeconds = (Date.now() - t0) / 1000;

// 2c. get by id: 50 ids spread over the set.
if (verify.get === 'ok') {
  try {
    for (let k = 0; k < 50; k++) {
      const n = Math.floor((k * (N - 1)) / 49);
      const r = await call('GET', `/classes/BenchItem/${ids[n]}`);
      const o = r.body;
      expect(r.status === 200 && o?.objectId === ids[n] && o.score === n && o.name === `item${n}` &&
        o.tag === `t${n % 10}` && o.createdAt && o.updatedAt, r, `GET /classes/BenchItem/${ids[n]}`);
    }
  } catch (e) {
    verify.get = e.message;
  }
}

// 2d. query.
if (verify.query === 'ok') {
  try {
    const where = encodeURIComponent(JSON.stringify({ tag: 't3', score: { $gte: 100 } }));
    const r = await call('GET', `/classes/BenchItem?where=${where}&order=-score&limit=20`);
    const res = r.body?.results;
    let top = N - 1;
    while (top % 10 !== 3) top -= 1;
    expect(r.status === 200 && Array.isArray(res) && res.length === 20, r, 'query: 20 results');
    expect(res.every((o, i) => o.tag === 't3' && o.score >= 100 && typeof o.objectId === 'string' &&
      (i === 0 || res[i - 1].score > o.score)), r, 'query: results match and are ordered by -score');
    expect(res[0].score === top, r, `query: first score should be ${top}`);
  } catch (e) {
    verify.query = e.message;
  }
}

// 4. The security layer: a logged-in user reads the public class (BenchItem) and a class whose
//    every object is readable by that user alone (SecureItem, same fields, index and seed), and
//    logs in. Writes <out>.token (the user's session token) and <out>.secure.ids.
const USERNAME = 'benchuser';
const PASSWORD = 'bench-password-1';
const secure = [];
let token;
try {
  const r = await call('POST', '/users', { username: USERNAME, password: PASSWORD });
  expect(r.status === 201 && typeof r.body?.sessionToken === 'string', r, 'POST /users');
  token = r.body.sessionToken;
  const userId = r.body.objectId;
  const s = await call('POST', '/schemas/SecureItem', {
    className: 'SecureItem',
    fields: { score: { type: 'Number' }, name: { type: 'String' }, tag: { type: 'String' } },
    indexes: { tag_score: { tag: 1, score: -1 } },
  }, { 'X-Parse-Master-Key': opt['master-key'] });
  expect(s.status === 200 || s.status === 201, s, 'POST /schemas/SecureItem');
  const acl = { [userId]: { read: true, write: true } };
  for (let from = 0; from < N; from += 50) {
    const count = Math.min(50, N - from);
    const b = await call('POST', '/batch', {
      requests: Array.from({ length: count }, (_, i) => ({
        method: 'POST', path: `${mount}/classes/SecureItem`, body: { ...item(from + i), ACL: acl },
      })),
    }, { 'X-Parse-Master-Key': opt['master-key'] });
    expect(b.status === 200 && Array.isArray(b.body) && b.body.every((x) => x?.success?.objectId), b, 'seeding SecureItem');
    b.body.forEach((x) => secure.push(x.success.objectId));
  }
  writeFileSync(`${opt.out}.token`, token + '\n');
  writeFileSync(`${opt.out}.secure.ids`, secure.join('\n') + '\n');
} catch (e) {
  for (const k of ['get_session', 'query_session', 'get_acl', 'query_acl', 'login']) verify[k] = e.message;
}
const asUser = { 'X-Parse-Session-Token': token };
const checkGet = async (key, cls, list) => {
  if (verify[key] !== 'ok') return;
  try {
    for (let k = 0; k < 20; k++) {
      const n = Math.floor((k * (N - 1)) / 19);
      const r = await call('GET', `/classes/${cls}/${list[n]}`, undefined, asUser);
      expect(r.status === 200 && r.body?.objectId === list[n] && r.body.score === n, r, `GET /classes/${cls}/${list[n]} as the user`);
    }
  } catch (e) {
    verify[key] = e.message;
  }
};
const checkQuery = async (key, cls) => {
  if (verify[key] !== 'ok') return;
  try {
    const where = encodeURIComponent(JSON.stringify({ tag: 't3', score: { $gte: 100 } }));
    const r = await call('GET', `/classes/${cls}?where=${where}&order=-score&limit=20`, undefined, asUser);
    const res = r.body?.results;
    expect(r.status === 200 && Array.isArray(res) && res.length === 20 && res.every((o) => o.tag === 't3'), r, `query ${cls} as the user`);
  } catch (e) {
    verify[key] = e.message;
  }
};
await checkGet('get_session', 'BenchItem', ids);
await checkQuery('query_session', 'BenchItem');
await checkGet('get_acl', 'SecureItem', secure);
await checkQuery('query_acl', 'SecureItem');
if (verify.get_acl === 'ok') {
  // Hidden from everyone else.
  const r = await call('GET', `/classes/SecureItem/${secure[0]}`);
  if (r.status !== 404) verify.get_acl = `GET of a private object without a session answered ${r.status}`;
}
if (verify.login === 'ok') {
  try {
    const r = await call('GET', `/login?username=${USERNAME}&password=${PASSWORD}`);
    expect(r.status === 200 && typeof r.body?.sessionToken === 'string', r, 'GET /login');
  } catch (e) {
    verify.login = e.message;
  }
}

if (ids.every((x) => typeof x === 'string')) writeFileSync(`${opt.out}.ids`, ids.join('\n') + '\n');
writeFileSync(`${opt.out}.verify.json`, JSON.stringify({ ...verify, seeded, objects: N, seed_seconds: seedSeconds }, null, 2) + '\n');
console.log(`${base}: seeded ${seeded === 'no' ? 0 : N} objects (${seeded}) in ${seedSeconds.toFixed(1)} s`);
for (const [k, v] of Object.entries(verify)) console.log(`  ${k}: ${v}`);
