'use strict';
// Batch: saveAll/destroyAll through the SDK, and raw POST /parse/batch with mixed operations,
// per-request success/error answers, and transaction: true.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

test('POST /batch answers one {"success":...} per request, in order', async () => {
  const c = h.cls('Batch');
  const res = await h.rest('POST', '/batch', {
    body: {
      requests: [
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 1 } },
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 2 } },
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 3 } },
      ],
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.body), `the answer is an array: ${res.text}`);
  assert.equal(res.body.length, 3);
  for (const item of res.body) {
    assert.deepEqual(Object.keys(item), ['success'], `each item is {"success":...}: ${JSON.stringify(item)}`);
    assert.match(item.success.objectId, /^[A-Za-z0-9]{10}$/);
    assert.ok(item.success.createdAt, 'with createdAt');
  }
  const found = await new Parse.Query(c).ascending('n').find();
  assert.deepEqual(found.map((o) => o.get('n')), [1, 2, 3]);
  const ids = res.body.map((r) => r.success.objectId);
  const byId = Object.fromEntries(found.map((o) => [o.id, o.get('n')]));
  assert.deepEqual(ids.map((id) => byId[id]), [1, 2, 3], 'answers are in the order of the requests');
});

test('a batch mixes creates, updates and deletes, each answered like the single call', async () => {
  const c = h.cls('Batch');
  const [a, b] = await h.seed(c, [{ n: 1 }, { n: 2 }]);
  const res = await h.rest('POST', '/batch', {
    body: {
      requests: [
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 3 } },
        { method: 'PUT', path: `/parse/classes/${c}/${a.id}`, body: { n: { __op: 'Increment', amount: 10 } } },
        { method: 'DELETE', path: `/parse/classes/${c}/${b.id}` },
      ],
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.body[0].success.objectId, 'create answers objectId');
  assert.equal(res.body[1].success.n, 11, `update answers the incremented value: ${JSON.stringify(res.body[1])}`);
  assert.ok(res.body[1].success.updatedAt, 'update answers updatedAt');
  assert.deepEqual(res.body[2], { success: {} }, 'delete answers {"success":{}}');
  const found = await new Parse.Query(c).ascending('n').find();
  assert.deepEqual(found.map((o) => o.get('n')), [3, 11]);
});

test('in a batch without transaction, a failing request does not stop the others', async () => {
  const c = h.cls('Batch');
  await h.seed(c, [{ n: 0 }]); // n is a Number
  const res = await h.rest('POST', '/batch', {
    body: {
      requests: [
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 1 } },
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 'not a number' } },
        { method: 'PUT', path: `/parse/classes/${c}/aaaaaaaaaa`, body: { n: 5 } },
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 2 } },
      ],
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.body[0].success, 'first succeeds');
  assert.deepEqual(Object.keys(res.body[1]), ['error'], `a failure is {"error":{code,error}}: ${JSON.stringify(res.body[1])}`);
  assert.equal(res.body[1].error.code, 111, 'wrong type: 111');
  assert.equal(typeof res.body[1].error.error, 'string', 'with a message');
  assert.equal(res.body[2].error.code, 101, 'update of a missing object: 101');
  assert.ok(res.body[3].success, 'the last one succeeds');
  const found = await new Parse.Query(c).ascending('n').find();
  assert.deepEqual(found.map((o) => o.get('n')), [0, 1, 2]);
});

test('transaction: true applies every request', async () => {
  const c = h.cls('Tx');
  const [a] = await h.seed(c, [{ n: 1 }]);
  const res = await h.rest('POST', '/batch', {
    body: {
      transaction: true,
      requests: [
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 2 } },
        { method: 'PUT', path: `/parse/classes/${c}/${a.id}`, body: { n: { __op: 'Increment', amount: 1 } } },
      ],
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.body.every((r) => r.success), res.text);
  const found = await new Parse.Query(c).ascending('n').find();
  assert.deepEqual(found.map((o) => o.get('n')), [2, 2]);
});

test('transaction: true with a failing request applies none of them', async () => {
  const c = h.cls('Tx');
  const [a] = await h.seed(c, [{ n: 1, s: 'text' }]);
  const res = await h.rest('POST', '/batch', {
    body: {
      transaction: true,
      requests: [
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 100 } },
        { method: 'PUT', path: `/parse/classes/${c}/${a.id}`, body: { n: { __op: 'Increment', amount: 1 } } },
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 'not a number' } },
      ],
    },
  });
  assert.notEqual(res.status, 200, `a failed transaction is not a success: ${res.text}`);
  const found = await new Parse.Query(c).find();
  assert.equal(found.length, 1, 'no object was created');
  assert.equal(found[0].get('n'), 1, 'the update was rolled back');
});

test('transaction: true with a failing request answers a Parse error (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL answers 500 {"code":1,"message":"Internal server error."} for a failed transaction' }, async () => {
  const c = h.cls('Tx');
  await h.seed(c, [{ n: 1 }]);
  const res = await h.rest('POST', '/batch', {
    body: {
      transaction: true,
      requests: [
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 2 } },
        { method: 'POST', path: `/parse/classes/${c}`, body: { n: 'not a number' } },
      ],
    },
  });
  assert.ok(res.status >= 400 && res.status < 500, `a 4xx: ${res.status} ${res.text}`);
  const carries111 = (res.body && res.body.code === 111) || (Array.isArray(res.body) && res.body.some((r) => r.error && r.error.code === 111));
  assert.ok(carries111, `the answer carries the failing request's code 111: ${res.text}`);
});

test('a batch path outside the /parse mount is refused with 107', async () => {
  const c = h.cls('Batch');
  const res = await h.rest('POST', '/batch', { body: { requests: [{ method: 'POST', path: `/elsewhere/classes/${c}`, body: { n: 1 } }] } });
  h.assertRestError(res, 400, 107, 'a batch path outside /parse');
});

test('malformed batches are refused with 107', async () => {
  const notArray = await h.rest('POST', '/batch', { body: { requests: 'nope' } });
  h.assertRestError(notArray, 400, 107, 'requests is not an array');
  const nested = await h.rest('POST', '/batch', { body: { requests: [{ method: 'POST', path: '/parse/batch', body: { requests: [] } }] } });
  assert.equal(nested.status < 500, true, `a nested batch is not a 5xx: ${nested.text}`);
  if (nested.status === 200) {
    assert.equal(nested.body[0].error.code, 107, `a nested batch is refused: ${nested.text}`);
  } else {
    h.assertRestError(nested, 400, 107, 'a nested batch');
  }
});

test('batch GET requests are answered too', async () => {
  const c = h.cls('Batch');
  const [a] = await h.seed(c, [{ n: 7 }]);
  const res = await h.rest('POST', '/batch', {
    body: { requests: [{ method: 'GET', path: `/parse/classes/${c}/${a.id}` }] },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body[0].success.n, 7, `GET in a batch answers the object: ${res.text}`);
});

test('saveAll of more than the SDK batch size (and of new objects with pointers between them)', async () => {
  const c = h.cls('SaveAll');
  const parent = new Parse.Object(c);
  parent.set('role', 'parent');
  const children = [];
  for (let i = 0; i < 60; i++) {
    const child = new Parse.Object(c);
    child.set({ role: 'child', i, parent });
    children.push(child);
  }
  await Parse.Object.saveAll(children);
  assert.ok(parent.id, 'the unsaved parent was saved first');
  const found = await new Parse.Query(c).equalTo('parent', parent).limit(100).find();
  assert.equal(found.length, 60, 'all 60 children point at the parent');
});

test('destroyAll of objects, some already deleted, reports the missing ones', async () => {
  const c = h.cls('DestroyAll');
  const objs = await h.seed(c, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  await objs[1].destroy();
  let err;
  try {
    await Parse.Object.destroyAll(objs);
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'destroyAll fails for the already deleted object');
  assert.equal(err.code, Parse.Error.AGGREGATE_ERROR, `an AggregateError (600): ${err && err.message}`);
  assert.equal(err.errors.length, 1, 'one object failed');
  assert.equal(err.errors[0].code, Parse.Error.OBJECT_NOT_FOUND, 'with 101');
  assert.equal(await h.countAll(c), 0, 'the others are deleted');
});
