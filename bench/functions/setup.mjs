// Setup and answer checks for bench/functions/run.sh, run once per server before the timed runs.
//
//   node setup.mjs --base http://127.0.0.1:PORT/parse --objects 1000 --out results/parse \
//     [--guest call_wat=benchWat:MASTER_KEY ...]
//
// 1. Creates, with the master key through the schema API (as bench/data-api does), the classes
//    BenchItem (score: Number, name: String, tag: String), and BenchPlain and BenchTriggered (the
//    same fields and triggered: Boolean). The server's cloud code has a beforeSave trigger on
//    BenchTriggered that sets triggered = true, and none on BenchPlain.
// 2. Seeds --objects BenchItem objects with batches of 50 (ids to <out>.ids, for the get workload).
// 3. Checks each workload's answer, so that a broken server cannot produce fast-looking numbers:
//      info:             GET /serverInfo with the master key answers 200 with parseServerVersion;
//      call:             POST /functions/noop {} with the master key answers {"result":1} (and with
//                        the REST key too);
//      call_wat, ...:    the same on each --guest WORKLOAD=APP:MASTER_KEY (Hearth's other apps:
//                        the Rust SDK module, the plain Rust cdylib, the handwritten module);
//      get:              GET of 20 seeded ids answers the objects;
//      create_plain:     POST /classes/BenchPlain answers 201; the object has no `triggered`;
//      create_triggered: POST /classes/BenchTriggered answers 201; the object, read back, has
//                        triggered = true (the trigger ran and its change was saved).
// Writes <out>.verify.json: {"info": "ok" | reason, ...}. Exits 0 even when checks fail: run.sh
// reports the failing workloads as not available.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { caller, expect, reason } from '../lib.mjs';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    objects: { type: 'string', default: '1000' },
    out: { type: 'string' },
    'app-id': { type: 'string', default: 'benchApp' },
    'rest-key': { type: 'string', default: 'benchRestKey' },
    'master-key': { type: 'string', default: 'benchMasterKey' },
    guest: { type: 'string', multiple: true, default: [] },
  },
});
const base = opt.base.replace(/\/$/, '');
const mount = new URL(base).pathname; // "/parse"
const N = Number(opt.objects);
const client = { 'X-Parse-Application-Id': opt['app-id'], 'X-Parse-REST-API-Key': opt['rest-key'] };
const master = { 'X-Parse-Application-Id': opt['app-id'], 'X-Parse-Master-Key': opt['master-key'] };
const item = (n) => ({ score: n, name: `item${n}`, tag: `t${n % 10}` });

const call = caller(base);
async function check(key, fn) {
  try {
    await fn();
  } catch (e) {
    verify[key] = e.message;
  }
}

const verify = { schema: 'ok', info: 'ok', missing: 'ok', call: 'ok', get: 'ok', create_plain: 'ok', create_triggered: 'ok' };
// WORKLOAD=APP:MASTER_KEY: another app whose module answers `noop` (Hearth only).
const guests = opt.guest.map((g) => {
  const m = /^(\w+)=([^:]+):(.+)$/.exec(g);
  if (!m) throw new Error(`--guest ${g}: expected WORKLOAD=APP:MASTER_KEY`);
  return { workload: m[1], app: m[2], masterKey: m[3] };
});
for (const g of guests) verify[g.workload] = 'ok';

// 1. The classes.
const fields = { score: { type: 'Number' }, name: { type: 'String' }, tag: { type: 'String' } };
for (const [className, extra] of [['BenchItem', {}], ['BenchPlain', { triggered: { type: 'Boolean' } }], ['BenchTriggered', { triggered: { type: 'Boolean' } }]]) {
  const r = await call('POST', `/schemas/${className}`, { className, fields: { ...fields, ...extra } }, master);
  if (r.status !== 200 && r.status !== 201) verify.schema = reason(r, `POST /schemas/${className}`);
}

// 2. Seeding BenchItem.
const ids = [];
await check('get', async () => {
  for (let from = 0; from < N; from += 50) {
    const count = Math.min(50, N - from);
    const r = await call('POST', '/batch', {
      requests: Array.from({ length: count }, (_, i) => ({ method: 'POST', path: `${mount}/classes/BenchItem`, body: item(from + i) })),
    }, client);
    expect(r.status === 200 && Array.isArray(r.body) && r.body.length === count && r.body.every((x) => typeof x?.success?.objectId === 'string'), r, 'seeding BenchItem');
    r.body.forEach((x) => ids.push(x.success.objectId));
  }
  writeFileSync(`${opt.out}.ids`, ids.join('\n') + '\n');
  for (let k = 0; k < 20; k++) {
    const n = Math.floor((k * (N - 1)) / 19);
    const r = await call('GET', `/classes/BenchItem/${ids[n]}`, undefined, client);
    expect(r.status === 200 && r.body?.objectId === ids[n] && r.body.score === n && r.body.name === `item${n}`, r, `GET /classes/BenchItem/${ids[n]}`);
  }
});

// 3. The checks.
await check('info', async () => {
  const r = await call('GET', '/serverInfo', undefined, master);
  expect(r.status === 200 && typeof r.body?.parseServerVersion === 'string', r, 'GET /serverInfo');
});
const isOne = (r) => r.status === 200 && r.text.replace(/\s/g, '') === '{"result":1}';
// The baseline of a call: the same request to a function that does not exist (141, no guest runs).
await check('missing', async () => {
  const r = await call('POST', '/functions/nosuch', {}, master);
  expect(r.status === 400 && r.body?.code === 141, r, 'POST /functions/nosuch (master key)');
});
await check('call', async () => {
  let r = await call('POST', '/functions/noop', {}, master);
  expect(isOne(r), r, 'POST /functions/noop (master key)');
  r = await call('POST', '/functions/noop', {}, client);
  expect(isOne(r), r, 'POST /functions/noop (REST key)');
});
for (const g of guests) {
  await check(g.workload, async () => {
    const r = await call('POST', '/functions/noop', {}, { 'X-Parse-Application-Id': g.app, 'X-Parse-Master-Key': g.masterKey });
    expect(isOne(r), r, `POST /functions/noop (app ${g.app})`);
  });
}
for (const [key, className, triggered] of [['create_plain', 'BenchPlain', undefined], ['create_triggered', 'BenchTriggered', true]]) {
  await check(key, async () => {
    const r = await call('POST', `/classes/${className}`, item(-1), client);
    expect(r.status === 201 && typeof r.body?.objectId === 'string' && r.body.createdAt, r, `POST /classes/${className}`);
    const g = await call('GET', `/classes/${className}/${r.body.objectId}`, undefined, client);
    expect(g.status === 200 && g.body?.score === -1 && g.body.triggered === triggered, g,
      `GET /classes/${className}/${r.body.objectId}: triggered should be ${triggered}`);
  });
}

writeFileSync(`${opt.out}.verify.json`, JSON.stringify(verify, null, 2) + '\n');
console.log(`setup ${base}: ${JSON.stringify(verify)}`);
