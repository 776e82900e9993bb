'use strict';
// Objects: save, fetch, update, destroy, saveAll/destroyAll, every field type with its JSON
// encoding, and the client (JavaScript key) path of the SDK.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const OBJECT_ID = /^[A-Za-z0-9]{10}$/;
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('save creates an object with a 10-character objectId and timestamps', async () => {
  const obj = new Parse.Object(h.cls('Thing'));
  obj.set({ name: 'first', count: 3 });
  await obj.save();
  assert.match(obj.id, OBJECT_ID, 'objectId is 10 alphanumerics');
  assert.ok(obj.createdAt instanceof Date, 'createdAt is set');
  assert.ok(obj.updatedAt instanceof Date, 'updatedAt is set');
  assert.equal(obj.createdAt.getTime(), obj.updatedAt.getTime(), 'a new object has updatedAt = createdAt');
  assert.ok(Math.abs(obj.createdAt.getTime() - Date.now()) < 60000, 'createdAt is about now');
});

test('REST create answers 201 with objectId, createdAt and a Location header', async () => {
  const className = h.cls('Thing');
  const res = await h.rest('POST', `/classes/${className}`, { body: { name: 'rest' } });
  assert.equal(res.status, 201, `POST /classes answers 201: ${res.text}`);
  assert.deepEqual(Object.keys(res.body).sort(), ['createdAt', 'objectId'], `the body holds only objectId and createdAt: ${res.text}`);
  assert.match(res.body.objectId, OBJECT_ID);
  assert.match(res.body.createdAt, ISO_DATE, 'createdAt is an ISO date with milliseconds and Z');
  const location = res.headers.get('location');
  assert.ok(location && location.endsWith(`/parse/classes/${className}/${res.body.objectId}`), `Location points at the new object (got ${location})`);
});

test('fetch by id returns the saved fields (Query.get, Object.fetch, REST GET)', async () => {
  const className = h.cls('Thing');
  const obj = new Parse.Object(className);
  obj.set({ name: 'fetch me', count: 7, nested: { a: [1, 2, { b: 'c' }] } });
  await obj.save();

  const got = await new Parse.Query(className).get(obj.id);
  assert.equal(got.get('name'), 'fetch me');
  assert.equal(got.get('count'), 7);
  assert.deepEqual(got.get('nested'), { a: [1, 2, { b: 'c' }] });
  assert.equal(got.createdAt.getTime(), obj.createdAt.getTime(), 'createdAt round-trips');

  const ref = new Parse.Object(className);
  ref.id = obj.id;
  await ref.fetch();
  assert.equal(ref.get('name'), 'fetch me', 'fetch() fills the attributes');

  const res = await h.rest('GET', `/classes/${className}/${obj.id}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.objectId, obj.id);
  assert.equal(res.body.name, 'fetch me');
  assert.match(res.body.createdAt, ISO_DATE, 'REST createdAt is a plain ISO string');
  assert.match(res.body.updatedAt, ISO_DATE, 'REST updatedAt is a plain ISO string');
});

test('update changes only the given fields and advances updatedAt', async () => {
  const className = h.cls('Thing');
  const obj = new Parse.Object(className);
  obj.set({ name: 'before', keep: 'same', count: 1 });
  await obj.save();
  const firstUpdated = obj.updatedAt.getTime();

  const res = await h.rest('PUT', `/classes/${className}/${obj.id}`, { body: { name: 'after' } });
  assert.equal(res.status, 200, `PUT answers 200: ${res.text}`);
  assert.deepEqual(Object.keys(res.body), ['updatedAt'], `PUT of plain values answers only updatedAt: ${res.text}`);
  assert.match(res.body.updatedAt, ISO_DATE);
  assert.ok(new Date(res.body.updatedAt).getTime() >= firstUpdated, 'updatedAt does not go back');

  const got = await new Parse.Query(className).get(obj.id);
  assert.equal(got.get('name'), 'after', 'the updated field changed');
  assert.equal(got.get('keep'), 'same', 'other fields are untouched');
  assert.equal(got.get('count'), 1, 'other fields are untouched');

  got.set('count', 2);
  await got.save();
  const again = await new Parse.Query(className).get(obj.id);
  assert.equal(again.get('count'), 2, 'SDK save() of a changed field updates it');
});

test('destroy removes the object; getting it afterwards fails with 101', async () => {
  const className = h.cls('Thing');
  const obj = new Parse.Object(className);
  obj.set('name', 'doomed');
  await obj.save();
  await obj.destroy();
  await h.expectParseError(new Parse.Query(className).get(obj.id), Parse.Error.OBJECT_NOT_FOUND, 'get after destroy');

  const other = new Parse.Object(className);
  other.set('name', 'rest-doomed');
  await other.save();
  const res = await h.rest('DELETE', `/classes/${className}/${other.id}`);
  assert.equal(res.status, 200, `DELETE answers 200: ${res.text}`);
  assert.deepEqual(res.body, {}, 'DELETE answers an empty object');
  const count = await h.countAll(className);
  assert.equal(count, 0, 'no object is left');
});

test('saveAll saves many objects at once and destroyAll removes them', async () => {
  const className = h.cls('Many');
  const objs = [];
  for (let i = 0; i < 45; i++) {
    const o = new Parse.Object(className);
    o.set({ i, label: `item ${i}` });
    objs.push(o);
  }
  const saved = await Parse.Object.saveAll(objs);
  assert.equal(saved.length, 45);
  assert.ok(saved.every((o) => OBJECT_ID.test(o.id)), 'every object got an id');
  assert.equal(new Set(saved.map((o) => o.id)).size, 45, 'the ids are distinct');
  assert.equal(await h.countAll(className), 45, '45 objects exist');

  // saveAll also updates existing objects.
  saved.forEach((o) => o.set('label', `updated ${o.get('i')}`));
  await Parse.Object.saveAll(saved);
  const updated = await new Parse.Query(className).equalTo('label', 'updated 44').find();
  assert.equal(updated.length, 1, 'saveAll updated existing objects');

  await Parse.Object.destroyAll(saved.slice(0, 30));
  assert.equal(await h.countAll(className), 15, 'destroyAll removed 30 of 45');
  await Parse.Object.destroyAll(saved.slice(30));
  assert.equal(await h.countAll(className), 0, 'all destroyed');
});

test('every field type round-trips through the SDK', async () => {
  const className = h.cls('Types');
  const target = new Parse.Object(className);
  target.set('name', 'pointee');
  await target.save();

  const date = new Date('2021-03-04T05:06:07.089Z');
  const polygon = new Parse.Polygon([
    [0, 0],
    [0, 1],
    [1, 1],
    [1, 0],
  ]);
  const acl = new Parse.ACL();
  acl.setPublicReadAccess(true);
  acl.setPublicWriteAccess(false);
  acl.setWriteAccess('someUserId', true);

  const obj = new Parse.Object(className);
  obj.set({
    str: 'héllo wörld ✓',
    int: 42,
    float: -3.25,
    bool: false,
    date,
    arr: [1, 'two', { three: 3 }, [4], null, true],
    obj: { a: 1, b: { c: [1, 2], d: null }, 'e f': 'spaces' },
    ptr: target,
    geo: new Parse.GeoPoint(40.7128, -74.006),
    poly: polygon,
    bytes: { __type: 'Bytes', base64: Buffer.from('hello bytes').toString('base64') },
    empty: '',
    zero: 0,
    emptyArr: [],
    emptyObj: {},
  });
  obj.setACL(acl);
  await obj.save();

  const got = await new Parse.Query(className).get(obj.id);
  assert.equal(got.get('str'), 'héllo wörld ✓', 'string with non-ASCII characters');
  assert.equal(got.get('int'), 42, 'integer');
  assert.equal(got.get('float'), -3.25, 'float');
  assert.equal(got.get('bool'), false, 'boolean false');
  assert.ok(got.get('date') instanceof Date, 'Date comes back as a Date');
  assert.equal(got.get('date').toISOString(), date.toISOString(), 'Date keeps its milliseconds');
  assert.deepEqual(got.get('arr'), [1, 'two', { three: 3 }, [4], null, true], 'mixed array');
  assert.deepEqual(got.get('obj'), { a: 1, b: { c: [1, 2], d: null }, 'e f': 'spaces' }, 'nested object');
  assert.equal(got.get('ptr').className, className, 'pointer class');
  assert.equal(got.get('ptr').id, target.id, 'pointer id');
  assert.ok(got.get('geo') instanceof Parse.GeoPoint, 'GeoPoint');
  assert.equal(got.get('geo').latitude, 40.7128);
  assert.equal(got.get('geo').longitude, -74.006);
  assert.ok(got.get('poly') instanceof Parse.Polygon, 'Polygon');
  assert.ok(got.get('poly').containsPoint(new Parse.GeoPoint(0.5, 0.5)), 'Polygon keeps its shape');
  assert.deepEqual(got.get('bytes'), { __type: 'Bytes', base64: Buffer.from('hello bytes').toString('base64') }, 'Bytes');
  assert.equal(got.get('empty'), '', 'empty string');
  assert.equal(got.get('zero'), 0, 'zero');
  assert.deepEqual(got.get('emptyArr'), [], 'empty array');
  assert.deepEqual(got.get('emptyObj'), {}, 'empty object');
  const gotAcl = got.getACL();
  assert.ok(gotAcl, 'ACL comes back');
  assert.equal(gotAcl.getPublicReadAccess(), true, 'ACL public read');
  assert.equal(gotAcl.getPublicWriteAccess(), false, 'ACL no public write');
  assert.equal(gotAcl.getWriteAccess('someUserId'), true, 'ACL user write');
});

test('REST answers use Parse JSON encodings for each type', async () => {
  const className = h.cls('Enc');
  const pointee = await h.rest('POST', `/classes/${className}`, { body: { name: 'pointee' } });
  const body = {
    date: { __type: 'Date', iso: '2020-01-02T03:04:05.678Z' },
    ptr: { __type: 'Pointer', className, objectId: pointee.body.objectId },
    geo: { __type: 'GeoPoint', latitude: 10, longitude: 20 },
    bytes: { __type: 'Bytes', base64: 'aGVsbG8=' },
    poly: { __type: 'Polygon', coordinates: [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]] },
    file: { __type: 'File', name: 'notes.txt', url: 'http://files.example.test/notes.txt' },
    ACL: { '*': { read: true } },
  };
  const created = await h.rest('POST', `/classes/${className}`, { body });
  assert.equal(created.status, 201, created.text);
  const res = await h.rest('GET', `/classes/${className}/${created.body.objectId}`);
  assert.equal(res.status, 200, res.text);
  const b = res.body;
  assert.deepEqual(b.date, body.date, 'Date: {"__type":"Date","iso":...}');
  assert.deepEqual(b.ptr, body.ptr, 'Pointer: {"__type":"Pointer","className","objectId"}');
  assert.deepEqual(b.geo, body.geo, 'GeoPoint: {"__type":"GeoPoint","latitude","longitude"}');
  assert.deepEqual(b.bytes, body.bytes, 'Bytes: {"__type":"Bytes","base64"}');
  assert.deepEqual(b.poly, body.poly, 'Polygon: {"__type":"Polygon","coordinates":[[lat,lng],...]}');
  assert.equal(b.file.__type, 'File', 'File keeps __type');
  assert.equal(b.file.name, 'notes.txt', 'File keeps its name');
  assert.equal(typeof b.file.url, 'string', 'File has a url');
  assert.deepEqual(b.ACL, { '*': { read: true } }, 'ACL: {"*":{"read":true}}');
  assert.match(b.createdAt, ISO_DATE, 'createdAt is a plain ISO string, not a Date object');
});

test('a File value (name and url, no upload) is stored and returned as a File', async () => {
  const className = h.cls('FileVal');
  const obj = new Parse.Object(className);
  obj.set('doc', { __type: 'File', name: 'report.pdf', url: 'http://files.example.test/report.pdf' });
  await obj.save();
  const got = await new Parse.Query(className).get(obj.id);
  const file = got.get('doc');
  assert.ok(file instanceof Parse.File, `the SDK decodes it as a Parse.File (got ${JSON.stringify(file)})`);
  assert.equal(file.name(), 'report.pdf', 'File name round-trips');
  assert.equal(typeof file.url(), 'string', 'File has a url');
  const schema = await new Parse.Schema(className).get();
  assert.equal(schema.fields.doc.type, 'File', 'the schema records a File field');
});

test('a Relation field value is returned as {"__type":"Relation","className"}', async () => {
  const className = h.cls('RelHolder');
  const targetClass = h.cls('RelTarget');
  const t = new Parse.Object(targetClass);
  await t.save();
  const holder = new Parse.Object(className);
  holder.relation('members').add(t);
  await holder.save();
  const res = await h.rest('GET', `/classes/${className}/${holder.id}`);
  assert.deepEqual(res.body.members, { __type: 'Relation', className: targetClass }, `relation field encoding: ${res.text}`);
  const schema = await new Parse.Schema(className).get();
  assert.deepEqual(schema.fields.members, { type: 'Relation', targetClass }, 'schema records Relation with targetClass');
});

test('null: saving null leaves no value, and unset fields read as undefined', async () => {
  const className = h.cls('Nulls');
  const obj = new Parse.Object(className);
  obj.set({ name: 'n', maybe: 'something' });
  await obj.save();
  const res = await h.rest('PUT', `/classes/${className}/${obj.id}`, { body: { maybe: null } });
  assert.equal(res.status, 200, res.text);
  const got = await new Parse.Query(className).get(obj.id);
  assert.ok(got.get('maybe') === undefined || got.get('maybe') === null, `a field set to null reads as null or undefined (got ${JSON.stringify(got.get('maybe'))})`);
  assert.equal(got.get('neverSet'), undefined);
  const q = await new Parse.Query(className).doesNotExist('maybe').find();
  assert.deepEqual(q.map((o) => o.id), [obj.id], 'a field set to null counts as not existing');
});

test('schema types are inferred from the first values saved', async () => {
  const className = h.cls('Infer');
  const target = new Parse.Object(className);
  await target.save();
  const obj = new Parse.Object(className);
  obj.set({
    s: 'x',
    n: 1.5,
    b: true,
    d: new Date(),
    a: [1],
    o: { k: 'v' },
    p: target,
    g: new Parse.GeoPoint(1, 2),
    poly: new Parse.Polygon([
      [0, 0],
      [0, 1],
      [1, 1],
    ]),
    by: { __type: 'Bytes', base64: 'AA==' },
  });
  await obj.save();
  const schema = await new Parse.Schema(className).get();
  const t = (k) => schema.fields[k] && schema.fields[k].type;
  assert.equal(t('s'), 'String');
  assert.equal(t('n'), 'Number');
  assert.equal(t('b'), 'Boolean');
  assert.equal(t('d'), 'Date');
  assert.equal(t('a'), 'Array');
  assert.equal(t('o'), 'Object');
  assert.deepEqual(schema.fields.p, { type: 'Pointer', targetClass: className });
  assert.equal(t('g'), 'GeoPoint');
  assert.equal(t('poly'), 'Polygon');
  assert.equal(t('by'), 'Bytes');
  assert.equal(t('objectId'), 'String', 'system field objectId');
  assert.equal(t('createdAt'), 'Date', 'system field createdAt');
  assert.equal(t('updatedAt'), 'Date', 'system field updatedAt');
  assert.equal(t('ACL'), 'ACL', 'system field ACL');
});

test('a client (JavaScript key, no master key) reads and writes an existing class', async () => {
  const className = h.cls('Client');
  const seedObj = new Parse.Object(className);
  seedObj.set({ name: 'made by master', n: 1 });
  await seedObj.save(); // the master key creates the class

  const opts = { useMasterKey: false };
  const obj = new Parse.Object(className);
  obj.set({ name: 'made by client', n: 2, newField: 'clients may add fields by default' });
  await obj.save(null, opts);
  assert.match(obj.id, OBJECT_ID);
  const found = await new Parse.Query(className).ascending('n').find(opts);
  assert.deepEqual(found.map((o) => o.get('name')), ['made by master', 'made by client']);
  obj.increment('n', 10);
  await obj.save(null, opts);
  assert.equal(obj.get('n'), 12, 'client increment');
  await obj.destroy(opts);
  assert.equal(await h.countAll(className, opts), 1);

  // The REST API key and the client key work the same way.
  for (const key of ['rest', 'js', 'client']) {
    const res = await h.rest('GET', `/classes/${className}`, { key });
    assert.equal(res.status, 200, `GET with the ${key} key: ${res.text}`);
    assert.equal(res.body.results.length, 1, `GET with the ${key} key sees the object`);
  }
});

test('a client cannot create a new class when client class creation is off (119)', async () => {
  const className = h.cls('NoClientClass');
  const obj = new Parse.Object(className);
  obj.set('x', 1);
  await h.expectParseError(obj.save(null, { useMasterKey: false }), Parse.Error.OPERATION_FORBIDDEN, 'client creating a class');
  const res = await h.rest('POST', `/classes/${className}`, { key: 'rest', body: { x: 1 } });
  h.assertRestError(res, 400, 119, 'REST-key create of a new class');
});

test('requests with a wrong or missing key are refused', async () => {
  const className = h.cls('Keys');
  await h.ok(await h.rest('POST', `/classes/${className}`, { body: { a: 1 } }));
  const app = await h.getApp();
  const wrong = { applicationId: app.applicationId, keys: { ...app.keys, masterKey: 'wrong-master-key', restApiKey: 'wrong-rest-key' } };
  const bad = await h.rest('GET', `/classes/${className}`, { app: wrong, key: 'rest' });
  assert.equal(bad.status, 403, `a wrong REST key answers 403: ${bad.text}`);
  assert.equal(bad.body.error, 'unauthorized', `a wrong key answers {"error":"unauthorized"}: ${bad.text}`);
  const badMaster = await h.rest('GET', `/classes/${className}`, { app: wrong, key: 'master' });
  assert.equal(badMaster.status, 403, `a wrong master key answers 403: ${badMaster.text}`);
  const unknownApp = await h.rest('GET', `/classes/${className}`, { app: { applicationId: 'no-such-app-id', keys: app.keys } });
  assert.equal(unknownApp.status, 403, `an unknown application id answers 403: ${unknownApp.text}`);
  assert.equal(unknownApp.body.error, 'unauthorized');
});
