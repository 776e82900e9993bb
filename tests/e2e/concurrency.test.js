'use strict';
// Concurrent operators give exact results (Increment, Add, AddUnique, creates), and writes retried
// with the same X-Parse-Request-Id are applied once.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const N = 20;
const range = (n) => Array.from({ length: n }, (_, i) => i);

async function make(attrs) {
  const obj = new Parse.Object(h.cls('Conc'));
  obj.set(attrs);
  await obj.save();
  return obj;
}

test(`${N} parallel REST increments on one object add exactly ${N}`, async () => {
  const obj = await make({ n: 100 });
  const answers = await Promise.all(
    range(N).map(() => h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Increment', amount: 1 } } })),
  );
  answers.forEach((r) => assert.equal(r.status, 200, r.text));
  const seen = answers.map((r) => r.body.n).sort((a, b) => a - b);
  assert.deepEqual(seen, range(N).map((i) => 101 + i), 'each increment answered a distinct new value: 101..120');
  const got = await new Parse.Query(obj.className).get(obj.id);
  assert.equal(got.get('n'), 100 + N);
});

test(`${N} parallel SDK increments (separate object instances) add exactly ${N}`, async () => {
  const obj = await make({ n: 0 });
  await Promise.all(
    range(N).map(() => {
      const copy = new Parse.Object(obj.className);
      copy.id = obj.id;
      copy.increment('n', 2);
      return copy.save();
    }),
  );
  const got = await new Parse.Query(obj.className).get(obj.id);
  assert.equal(got.get('n'), 2 * N);
});

test('parallel increments of different fields of one object all count', async () => {
  const obj = await make({ a: 0, b: 0 });
  await Promise.all(
    range(N).map((i) => h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { [i % 2 ? 'a' : 'b']: { __op: 'Increment', amount: 1 } } })),
  );
  const got = await new Parse.Query(obj.className).get(obj.id);
  assert.equal(got.get('a') + got.get('b'), N, 'no increment lost');
  assert.equal(got.get('a'), N / 2);
});

test('parallel increments mixed with plain updates of another field lose no increment', async () => {
  const obj = await make({ n: 0, label: 'start' });
  await Promise.all(
    range(N).map((i) =>
      h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: i % 2 ? { n: { __op: 'Increment', amount: 1 } } : { label: `label ${i}` } }),
    ),
  );
  const got = await new Parse.Query(obj.className).get(obj.id);
  assert.equal(got.get('n'), N / 2, 'every increment counted');
  assert.match(got.get('label'), /^label \d+$/, 'the label is one of the written values');
});

test(`${N} parallel Add operations keep every item`, async () => {
  const obj = await make({ items: [] });
  await Promise.all(range(N).map((i) => h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { items: { __op: 'Add', objects: [i] } } })));
  const got = await new Parse.Query(obj.className).get(obj.id);
  assert.deepEqual([...got.get('items')].sort((a, b) => a - b), range(N), 'all 20 items, none lost or doubled');
});

test(`${N} parallel AddUnique operations with overlapping items give a set`, async () => {
  const obj = await make({ tags: ['common'] });
  await Promise.all(
    range(N).map((i) => h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { tags: { __op: 'AddUnique', objects: [`t${i % 5}`, 'common', `u${i}`] } } })),
  );
  const got = (await new Parse.Query(obj.className).get(obj.id)).get('tags');
  const expected = ['common', ...range(5).map((i) => `t${i}`), ...range(N).map((i) => `u${i}`)].sort();
  assert.deepEqual([...got].sort(), expected, `every item exactly once (got ${got.length} items)`);
});

test('parallel Remove operations remove every item', async () => {
  const obj = await make({ items: range(N) });
  await Promise.all(range(N / 2).map((i) => h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { items: { __op: 'Remove', objects: [i * 2] } } })));
  const got = (await new Parse.Query(obj.className).get(obj.id)).get('items');
  assert.deepEqual([...got].sort((a, b) => a - b), range(N / 2).map((i) => i * 2 + 1), 'only odd numbers left');
});

test('parallel creates in one new class all succeed with distinct ids', async () => {
  const className = h.cls('Burst');
  const answers = await Promise.all(range(30).map((i) => h.rest('POST', `/classes/${className}`, { body: { i, tag: 'burst' } })));
  answers.forEach((r) => assert.equal(r.status, 201, `every create succeeds, even while the class is being created: ${r.text}`));
  assert.equal(new Set(answers.map((r) => r.body.objectId)).size, 30, '30 distinct ids');
  assert.equal(await h.countAll(className), 30);
  const schema = await new Parse.Schema(className).get();
  assert.deepEqual(schema.fields.i, { type: 'Number' }, 'the schema got the field once');
});

test('parallel creates that add different new fields all land in the schema', async () => {
  const className = h.cls('Fields');
  await h.seed(className, [{ base: 1 }]);
  const answers = await Promise.all(range(10).map((i) => h.rest('POST', `/classes/${className}`, { body: { [`f${i}`]: i } })));
  answers.forEach((r) => assert.equal(r.status, 201, r.text));
  const schema = await new Parse.Schema(className).get();
  for (const i of range(10)) assert.deepEqual(schema.fields[`f${i}`], { type: 'Number' }, `field f${i} is in the schema`);
});

// -------------------------------------------------------------------------------------------
// Idempotency (X-Parse-Request-Id)

const requestId = () => `e2e-${h.rand(16)}`;

test('a create retried with the same X-Parse-Request-Id creates one object', async () => {
  const className = h.cls('Idem');
  await h.seed(className, [{ marker: 'seed' }]);
  const headers = { 'X-Parse-Request-Id': requestId() };
  const first = await h.rest('POST', `/classes/${className}`, { body: { marker: 'once' }, headers });
  assert.equal(first.status, 201, first.text);
  const retry = await h.rest('POST', `/classes/${className}`, { body: { marker: 'once' }, headers });
  assert.ok(retry.status < 500, `the retry is not a 5xx: ${retry.text}`);
  const found = await new Parse.Query(className).equalTo('marker', 'once').find();
  assert.equal(found.length, 1, 'one object');
  assert.equal(found[0].id, first.body.objectId);
});

test('a retried write answers what the first one answered (Hearth)', { skip: h.isParseServer && 'Parse Server 9 answers a retry with 400 {"code":159,"error":"Duplicate request"}' }, async () => {
  const className = h.cls('Idem');
  const headers = { 'X-Parse-Request-Id': requestId() };
  const first = await h.rest('POST', `/classes/${className}`, { body: { marker: 'once' }, headers });
  const retry = await h.rest('POST', `/classes/${className}`, { body: { marker: 'once' }, headers });
  assert.equal(retry.status, first.status, 'same status');
  assert.deepEqual(retry.body, first.body, 'same body (same objectId)');
  const obj = first.body.objectId;
  const h2 = { 'X-Parse-Request-Id': requestId() };
  const inc1 = await h.rest('PUT', `/classes/${className}/${obj}`, { body: { n: { __op: 'Increment', amount: 5 } }, headers: h2 });
  const inc2 = await h.rest('PUT', `/classes/${className}/${obj}`, { body: { n: { __op: 'Increment', amount: 5 } }, headers: h2 });
  assert.deepEqual(inc2.body, inc1.body, 'the retried increment answers the first answer');
});

test('a retry of a create is recognised as a duplicate by Parse Server (159)', { skip: h.isHearth && 'Hearth answers the original answer instead (see the test above)' }, async () => {
  const className = h.cls('Idem');
  const headers = { 'X-Parse-Request-Id': requestId() };
  await h.ok(await h.rest('POST', `/classes/${className}`, { body: { x: 1 }, headers }));
  const retry = await h.rest('POST', `/classes/${className}`, { body: { x: 1 }, headers });
  h.assertRestError(retry, 400, 159, 'retry');
});

test('a request id reused by another client for another sign-up is refused (159), without the first answer', async () => {
  const headers = { 'X-Parse-Request-Id': requestId() };
  const first = await h.rest('POST', '/users', { key: 'rest', body: { username: `idem-${h.rand(8)}`, password: 'first-password' }, headers });
  assert.equal(first.status, 201, first.text);
  const other = await h.rest('POST', '/users', { key: 'rest', body: { username: `idem-${h.rand(8)}`, password: 'other-password' }, headers });
  h.assertRestError(other, 400, 159, 'another sign-up with the same request id');
  assert.ok(!other.text.includes(first.body.objectId) && !other.text.includes(first.body.sessionToken), `nothing of the first answer: ${other.text}`);
});

test('an increment retried with the same request id is applied once', async () => {
  const obj = await make({ n: 10 });
  const headers = { 'X-Parse-Request-Id': requestId() };
  for (let i = 0; i < 3; i++) {
    const r = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Increment', amount: 5 } }, headers });
    assert.ok(r.status < 500, r.text);
  }
  assert.equal((await new Parse.Query(obj.className).get(obj.id)).get('n'), 15, 'applied once: 10 + 5');
});

test('parallel retries of one request are applied once', async () => {
  const obj = await make({ n: 0 });
  const headers = { 'X-Parse-Request-Id': requestId() };
  const answers = await Promise.all(
    range(8).map(() => h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Increment', amount: 1 } }, headers })),
  );
  answers.forEach((r) => assert.ok(r.status < 500, `no 5xx: ${r.text}`));
  assert.ok(answers.some((r) => r.status === 200), 'at least one answer is the success');
  assert.equal((await new Parse.Query(obj.className).get(obj.id)).get('n'), 1, 'applied once');
  const className = h.cls('IdemPar');
  const h2 = { 'X-Parse-Request-Id': requestId() };
  const creates = await Promise.all(range(8).map(() => h.rest('POST', `/classes/${className}`, { body: { x: 1 }, headers: h2 })));
  creates.forEach((r) => assert.ok(r.status < 500, `no 5xx: ${r.text}`));
  assert.equal(await h.countAll(className), 1, 'one object from 8 parallel copies of one create');
});

test('different request ids are different writes', async () => {
  const obj = await make({ n: 0 });
  for (let i = 0; i < 3; i++) {
    const r = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Increment', amount: 1 } }, headers: { 'X-Parse-Request-Id': requestId() } });
    assert.equal(r.status, 200, r.text);
  }
  assert.equal((await new Parse.Query(obj.className).get(obj.id)).get('n'), 3);
});

test('a batch retried with the same request id is applied once (Hearth)', { skip: h.isParseServer && 'Parse Server 9 does not apply idempotency to /batch (the SDK sends X-Parse-Request-Id with saveAll batches, and a retry doubles them)' }, async () => {
  const className = h.cls('IdemBatch');
  const headers = { 'X-Parse-Request-Id': requestId() };
  const body = {
    requests: [
      { method: 'POST', path: `/parse/classes/${className}`, body: { i: 1 } },
      { method: 'POST', path: `/parse/classes/${className}`, body: { i: 2 } },
    ],
  };
  const first = await h.rest('POST', '/batch', { body, headers });
  assert.equal(first.status, 200, first.text);
  const retry = await h.rest('POST', '/batch', { body, headers });
  assert.ok(retry.status < 500, retry.text);
  assert.equal(await h.countAll(className), 2, 'two objects, not four');
});

test('the SDK with idempotency on sends request ids and saves normally', async () => {
  Parse.CoreManager.set('IDEMPOTENCY', true);
  try {
    const className = h.cls('SdkIdem');
    const objs = range(5).map((i) => {
      const o = new Parse.Object(className);
      o.set('i', i);
      return o;
    });
    await Parse.Object.saveAll(objs);
    const one = new Parse.Object(className);
    one.set('i', 99);
    await one.save();
    one.increment('i');
    await one.save();
    assert.equal(await h.countAll(className), 6);
    assert.equal((await new Parse.Query(className).get(one.id)).get('i'), 100);
  } finally {
    Parse.CoreManager.set('IDEMPOTENCY', false);
  }
});
