'use strict';
// Field operators: Increment, Add, AddUnique, Remove, Delete (unset), several at once, on create,
// and the values that a REST update answers for them. (AddRelation/RemoveRelation: relations.test.js;
// concurrent operators: concurrency.test.js.)

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const sorted = (arr) => [...arr].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

async function make(attrs) {
  const obj = new Parse.Object(h.cls('Ops'));
  obj.set(attrs);
  await obj.save();
  return obj;
}
async function reload(obj) {
  return new Parse.Query(obj.className).get(obj.id);
}

test('increment adds 1 by default, any amount, negative and fractional amounts', async () => {
  const obj = await make({ n: 10 });
  obj.increment('n');
  await obj.save();
  assert.equal((await reload(obj)).get('n'), 11, 'increment() adds 1');
  obj.increment('n', 5);
  await obj.save();
  assert.equal((await reload(obj)).get('n'), 16, 'increment(5)');
  obj.decrement('n', 20);
  await obj.save();
  assert.equal((await reload(obj)).get('n'), -4, 'decrement(20)');
  obj.increment('n', 0.5);
  await obj.save();
  assert.equal((await reload(obj)).get('n'), -3.5, 'increment(0.5)');
});

test('increment of a field that does not exist yet starts from 0', async () => {
  const obj = await make({ other: 'x' });
  obj.increment('fresh', 7);
  await obj.save();
  assert.equal((await reload(obj)).get('fresh'), 7);
});

test('increment is applied by the server, not computed from a stale client copy', async () => {
  const obj = await make({ n: 1 });
  const stale = new Parse.Object(obj.className);
  stale.id = obj.id; // never fetched: the client does not know n
  stale.increment('n', 2);
  await stale.save();
  obj.increment('n', 3);
  await obj.save();
  assert.equal((await reload(obj)).get('n'), 6, '1 + 2 + 3');
  assert.equal(obj.get('n'), 6, 'the save answer carries the new value to the SDK');
});

test('REST update with Increment answers the new value', async () => {
  const obj = await make({ n: 40 });
  const res = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Increment', amount: 2 } } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.n, 42, `the answer holds the incremented value: ${res.text}`);
  assert.ok(res.body.updatedAt, 'and updatedAt');
});

test('operators on create: Increment and Add on a new object', async () => {
  const className = h.cls('Ops');
  const res = await h.rest('POST', `/classes/${className}`, {
    body: { n: { __op: 'Increment', amount: 3 }, arr: { __op: 'Add', objects: ['a', 'b'] }, u: { __op: 'AddUnique', objects: [1, 2] } },
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.n, 3, `the create answer holds the computed n: ${res.text}`);
  const got = await new Parse.Query(className).get(res.body.objectId);
  assert.equal(got.get('n'), 3);
  assert.deepEqual(sorted(got.get('arr')), ['a', 'b']);
  assert.deepEqual(sorted(got.get('u')), [1, 2], 'AddUnique on create');
});

test('add appends items, keeping duplicates', async () => {
  const obj = await make({ arr: [1, 2] });
  obj.add('arr', 3);
  await obj.save();
  obj.addAll('arr', [3, 'x', { k: 1 }]);
  await obj.save();
  const got = (await reload(obj)).get('arr');
  assert.deepEqual(sorted(got), sorted([1, 2, 3, 3, 'x', { k: 1 }]), `all items are there, duplicates kept (got ${JSON.stringify(got)})`);
});

test('add to a field that does not exist creates the array', async () => {
  const obj = await make({ other: 1 });
  obj.addAll('tags', ['a', 'b']);
  await obj.save();
  assert.deepEqual(sorted((await reload(obj)).get('tags')), ['a', 'b']);
});

test('add keeps the order of the array and appends at the end (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL reorders array elements in Add/AddUnique (e.g. [1,2] + Add [3,3] -> [2,1,3,3])' }, async () => {
  const obj = await make({ arr: ['c', 'a', 'b'] });
  obj.addAll('arr', ['z', 'a']);
  await obj.save();
  assert.deepEqual((await reload(obj)).get('arr'), ['c', 'a', 'b', 'z', 'a']);
  obj.addAllUnique('arr', ['a', 'y']);
  await obj.save();
  assert.deepEqual((await reload(obj)).get('arr'), ['c', 'a', 'b', 'z', 'a', 'y'], 'AddUnique appends only the new items, at the end');
});

test('addUnique adds only items that are not there yet (scalars and objects)', async () => {
  const obj = await make({ arr: [1, 'two', { three: 3 }] });
  obj.addAllUnique('arr', [1, 'two', 4, 4, { three: 3 }, { four: 4 }]);
  await obj.save();
  const got = (await reload(obj)).get('arr');
  assert.deepEqual(sorted(got), sorted([1, 'two', { three: 3 }, 4, { four: 4 }]), `no duplicates (got ${JSON.stringify(got)})`);
});

test('addUnique with pointers compares by class and id', async () => {
  const className = h.cls('PtrArr');
  const a = new Parse.Object(className);
  const b = new Parse.Object(className);
  await Parse.Object.saveAll([a, b]);
  const holder = new Parse.Object(className);
  holder.set('list', [a]);
  await holder.save();
  holder.addAllUnique('list', [a, b]);
  await holder.save();
  const got = (await reload(holder)).get('list');
  assert.deepEqual(got.map((p) => p.id).sort(), [a.id, b.id].sort(), 'a is not added twice, b is added');
});

test('remove takes out every occurrence of the given items', async () => {
  const obj = await make({ arr: [1, 2, 2, 3, 'x', { k: 1 }, { k: 2 }] });
  obj.removeAll('arr', [2, 'x', { k: 1 }, 'not-there']);
  await obj.save();
  const got = (await reload(obj)).get('arr');
  assert.deepEqual(sorted(got), sorted([1, 3, { k: 2 }]), `all 2s, "x" and {k:1} are gone (got ${JSON.stringify(got)})`);
});

test('remove from a field that does not exist leaves an empty array', async () => {
  const obj = await make({ other: 1 });
  const res = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { arr: { __op: 'Remove', objects: [1] } } });
  assert.equal(res.status, 200, res.text);
  const got = (await reload(obj)).get('arr');
  assert.ok(got === undefined || (Array.isArray(got) && got.length === 0), `no items (got ${JSON.stringify(got)})`);
});

test('unset (Delete) removes the field', async () => {
  const obj = await make({ gone: 'soon', kept: 'yes', arr: [1] });
  obj.unset('gone');
  await obj.save();
  let got = await reload(obj);
  assert.equal(got.get('gone'), undefined, 'field removed');
  assert.equal(got.has('gone'), false, 'has() is false');
  assert.equal(got.get('kept'), 'yes', 'other fields stay');
  const res = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { arr: { __op: 'Delete' } } });
  assert.equal(res.status, 200, res.text);
  got = await reload(obj);
  assert.equal(got.get('arr'), undefined, 'REST Delete op removes the field');
  const rest = await h.rest('GET', `/classes/${obj.className}/${obj.id}`);
  assert.equal('gone' in rest.body, false, `the REST answer has no key for an unset field: ${rest.text}`);
  const q = await new Parse.Query(obj.className).doesNotExist('gone').find();
  assert.deepEqual(q.map((o) => o.id), [obj.id], 'doesNotExist matches the unset field');
});

test('several operators in one save are all applied', async () => {
  const obj = await make({ n: 1, arr: ['a'], tags: ['x', 'y'], drop: true, name: 'old' });
  obj.increment('n', 4);
  obj.add('arr', 'b');
  obj.remove('tags', 'x');
  obj.unset('drop');
  obj.set('name', 'new');
  await obj.save();
  const got = await reload(obj);
  assert.equal(got.get('n'), 5);
  assert.deepEqual(sorted(got.get('arr')), ['a', 'b']);
  assert.deepEqual(got.get('tags'), ['y']);
  assert.equal(got.get('drop'), undefined);
  assert.equal(got.get('name'), 'new');
});

test('an operator that does not fit the field type fails with 111 and changes nothing', async () => {
  const obj = await make({ s: 'text', n: 1 });
  const inc = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { s: { __op: 'Increment', amount: 1 } } });
  h.assertRestError(inc, 400, 111, 'Increment on a String field');
  const add = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Add', objects: [1] } } });
  h.assertRestError(add, 400, 111, 'Add on a Number field');
  const got = await reload(obj);
  assert.equal(got.get('s'), 'text');
  assert.equal(got.get('n'), 1);
});

const PS_500 = h.isParseServer && 'Parse Server 9 answers 500 {"code":1,"message":"Internal server error."} here; Hearth must answer a Parse error';

test('an Increment amount that is not a number is refused with a Parse error', { skip: PS_500 }, async () => {
  const obj = await make({ n: 1 });
  const res = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Increment', amount: 'lots' } } });
  assert.equal(res.status, 400, `400 for a non-numeric amount: ${res.text}`);
  assert.equal(typeof res.body.code, 'number', `a Parse error code: ${res.text}`);
  assert.equal((await reload(obj)).get('n'), 1, 'n is unchanged');
});

test('Add/AddUnique/Remove without an objects array are refused with 107 on create', async () => {
  const className = h.cls('Ops');
  for (const op of ['Add', 'AddUnique', 'Remove']) {
    const res = await h.rest('POST', `/classes/${className}`, { body: { arr: { __op: op, objects: 5 } } });
    h.assertRestError(res, 400, 107, `create with ${op} and objects: 5`);
  }
});

test('Add/AddUnique/Remove without an objects array are refused with a Parse error on update', { skip: PS_500 }, async () => {
  const obj = await make({ arr: [1] });
  for (const op of ['Add', 'AddUnique', 'Remove']) {
    const res = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { arr: { __op: op, objects: 5 } } });
    assert.equal(res.status, 400, `${op} with objects: 5 answers 400: ${res.text}`);
    assert.equal(typeof res.body.code, 'number', `${op} with objects: 5 answers a Parse error code: ${res.text}`);
  }
  assert.deepEqual((await reload(obj)).get('arr'), [1]);
});

test('an unknown __op is refused with a Parse error', { skip: PS_500 }, async () => {
  const obj = await make({ n: 1 });
  const res = await h.rest('PUT', `/classes/${obj.className}/${obj.id}`, { body: { n: { __op: 'Multiply', amount: 2 } } });
  assert.equal(res.status, 400, `unknown op answers 400: ${res.text}`);
  assert.equal(typeof res.body.code, 'number', `a Parse error code: ${res.text}`);
  assert.equal((await reload(obj)).get('n'), 1);
});
