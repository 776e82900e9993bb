'use strict';
// The schema API (Parse.Schema and /parse/schemas): get, all, save (create), addField of every
// type, update, deleteField, indexes, delete, purge; and what clients may not do. Class-level
// permissions (set here, enforced on the data): access.test.js.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const DEFAULT_FIELDS = {
  objectId: { type: 'String' },
  createdAt: { type: 'Date' },
  updatedAt: { type: 'Date' },
  ACL: { type: 'ACL' },
};

test('Parse.Schema save creates a class with typed fields; get returns it', async () => {
  const className = h.cls('Schema');
  const target = h.cls('Target');
  const schema = new Parse.Schema(className);
  schema
    .addString('s')
    .addNumber('n')
    .addBoolean('b')
    .addDate('d')
    .addArray('a')
    .addObject('o')
    .addPointer('p', target)
    .addRelation('r', target)
    .addGeoPoint('g')
    .addPolygon('poly')
    .addFile('f')
    .addField('by', 'Bytes');
  const saved = await schema.save();
  assert.equal(saved.className, className, 'save() answers the schema');

  const got = await new Parse.Schema(className).get();
  assert.equal(got.className, className);
  assert.deepEqual(got.fields, {
    ...DEFAULT_FIELDS,
    s: { type: 'String' },
    n: { type: 'Number' },
    b: { type: 'Boolean' },
    d: { type: 'Date' },
    a: { type: 'Array' },
    o: { type: 'Object' },
    p: { type: 'Pointer', targetClass: target },
    r: { type: 'Relation', targetClass: target },
    g: { type: 'GeoPoint' },
    poly: { type: 'Polygon' },
    f: { type: 'File' },
    by: { type: 'Bytes' },
  });
  assert.ok(got.classLevelPermissions && typeof got.classLevelPermissions === 'object', 'classLevelPermissions is there');
  for (const op of ['find', 'get', 'count', 'create', 'update', 'delete', 'addField']) {
    assert.deepEqual(got.classLevelPermissions[op], { '*': true }, `default CLP ${op} is public`);
  }
});

test('REST schema create answers 200 with the full schema; creating it again fails with 103', async () => {
  const className = h.cls('Schema');
  const res = await h.rest('POST', `/schemas/${className}`, { body: { className, fields: { name: { type: 'String' } } } });
  assert.equal(res.status, 200, `POST /schemas answers 200: ${res.text}`);
  assert.equal(res.body.className, className);
  assert.deepEqual(res.body.fields, { ...DEFAULT_FIELDS, name: { type: 'String' } }, res.text);
  assert.ok(res.body.classLevelPermissions, 'with classLevelPermissions');
  const again = await h.rest('POST', `/schemas/${className}`, { body: { className } });
  h.assertRestError(again, 400, 103, 'creating an existing class');
  const mismatch = await h.rest('POST', `/schemas/${h.cls('Schema')}`, { body: { className: 'SomethingElse' } });
  h.assertRestError(mismatch, 400, 103, 'className in the body differs from the URL');
});

test('a new empty class and its objects', async () => {
  const className = h.cls('Empty');
  await new Parse.Schema(className).save();
  const got = await new Parse.Schema(className).get();
  assert.deepEqual(got.fields, DEFAULT_FIELDS, 'only the default fields');
  assert.deepEqual(await new Parse.Query(className).find(), [], 'no objects');
});

test('Parse.Schema.all lists the classes of the app', async () => {
  const a = h.cls('ListA');
  const b = h.cls('ListB');
  await new Parse.Schema(a).addString('x').save();
  await new Parse.Schema(b).addNumber('y').save();
  const all = await Parse.Schema.all();
  const names = all.map((s) => s.className);
  assert.ok(names.includes(a) && names.includes(b), 'both new classes are listed');
  const sa = all.find((s) => s.className === a);
  assert.deepEqual(sa.fields.x, { type: 'String' }, 'with their fields');
  const rest = await h.rest('GET', '/schemas');
  assert.equal(rest.status, 200, rest.text);
  assert.ok(Array.isArray(rest.body.results), 'GET /schemas answers {"results":[...]}');
});

test('a class created by saving an object appears in the schema', async () => {
  const className = h.cls('Implicit');
  const obj = new Parse.Object(className);
  obj.set({ title: 'x', views: 3 });
  await obj.save();
  const got = await new Parse.Schema(className).get();
  assert.deepEqual(got.fields.title, { type: 'String' });
  assert.deepEqual(got.fields.views, { type: 'Number' });
  obj.set('later', true);
  await obj.save();
  const after = await new Parse.Schema(className).get();
  assert.deepEqual(after.fields.later, { type: 'Boolean' }, 'a field added by a later save is in the schema');
});

test('update adds fields and deleteField removes a field and its values', async () => {
  const className = h.cls('Evolve');
  await new Parse.Schema(className).addString('keep').addString('drop').save();
  const obj = new Parse.Object(className);
  obj.set({ keep: 'k', drop: 'd' });
  await obj.save();

  const schema = new Parse.Schema(className);
  schema.addNumber('added');
  await schema.update();
  let got = await new Parse.Schema(className).get();
  assert.deepEqual(got.fields.added, { type: 'Number' }, 'added by update()');

  const del = new Parse.Schema(className);
  del.deleteField('drop');
  await del.update();
  got = await new Parse.Schema(className).get();
  assert.equal(got.fields.drop, undefined, 'drop is gone from the schema');
  const reloaded = await new Parse.Query(className).get(obj.id);
  assert.equal(reloaded.get('drop'), undefined, 'and from the objects');
  assert.equal(reloaded.get('keep'), 'k', 'other values stay');

  // The field can be added again with another type.
  const again = new Parse.Schema(className);
  again.addNumber('drop');
  await again.update();
  const o2 = new Parse.Object(className);
  o2.set('drop', 5);
  await o2.save();
  assert.equal((await new Parse.Query(className).get(o2.id)).get('drop'), 5, 'a deleted field can come back with a new type');
});

test('deleting a relation field removes the relation', async () => {
  const className = h.cls('RelDel');
  const target = h.cls('RelDelT');
  const t = new Parse.Object(target);
  await t.save();
  const obj = new Parse.Object(className);
  obj.relation('rel').add(t);
  await obj.save();
  const schema = new Parse.Schema(className);
  schema.deleteField('rel');
  await schema.update();
  const got = await new Parse.Schema(className).get();
  assert.equal(got.fields.rel, undefined);
});

test('schema update errors: unknown field delete (255), bad type (111), bad field name (105), unknown class (103)', async () => {
  const className = h.cls('Errs');
  await new Parse.Schema(className).addString('s').save();
  h.assertRestError(await h.rest('PUT', `/schemas/${className}`, { body: { fields: { nope: { __op: 'Delete' } } } }), 400, 255, 'deleting a field that does not exist');
  h.assertRestError(await h.rest('PUT', `/schemas/${className}`, { body: { fields: { x: { type: 'Foo' } } } }), 400, 111, 'an unknown field type');
  h.assertRestError(await h.rest('PUT', `/schemas/${className}`, { body: { fields: { 'bad-name': { type: 'String' } } } }), 400, 105, 'an invalid field name');
  h.assertRestError(await h.rest('PUT', `/schemas/${h.cls('Missing')}`, { body: { fields: { x: { type: 'String' } } } }), 400, 103, 'updating a class that does not exist');
  h.assertRestError(await h.rest('GET', `/schemas/${h.cls('Missing')}`), 400, 103, 'getting a class that does not exist');
  h.assertRestError(await h.rest('POST', `/schemas/1Bad`, { body: {} }), 400, 103, 'creating a class with an invalid name');
});

test('required fields with default values', async () => {
  const className = h.cls('Req');
  const res = await h.rest('POST', `/schemas/${className}`, {
    body: { className, fields: { n: { type: 'Number', required: true, defaultValue: 5 }, s: { type: 'String', defaultValue: 'dflt' } } },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.fields.n, { type: 'Number', required: true, defaultValue: 5 }, 'required and defaultValue are kept in the schema');
  const created = await h.rest('POST', `/classes/${className}`, { body: { other: 1 } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.n, 5, `the create answer carries the default value: ${created.text}`);
  const got = await new Parse.Query(className).get(created.body.objectId);
  assert.equal(got.get('n'), 5, 'default number applied');
  assert.equal(got.get('s'), 'dflt', 'default string applied');
});

test('indexes: add, list, delete', async () => {
  const className = h.cls('Idx');
  const schema = new Parse.Schema(className);
  schema.addString('name').addNumber('score').addIndex('name_score', { name: 1, score: -1 });
  await schema.save();
  let got = await new Parse.Schema(className).get();
  assert.deepEqual(got.indexes && got.indexes.name_score, { name: 1, score: -1 }, `the index is listed: ${JSON.stringify(got.indexes)}`);
  const dup = await h.rest('PUT', `/schemas/${className}`, { body: { indexes: { name_score: { name: 1 } } } });
  h.assertRestError(dup, 400, 102, 'adding an index that exists');
  const missingField = await h.rest('PUT', `/schemas/${className}`, { body: { indexes: { nope_1: { nope: 1 } } } });
  h.assertRestError(missingField, 400, 102, 'an index on a field that does not exist');
  const del = new Parse.Schema(className);
  del.deleteIndex('name_score');
  await del.update();
  got = await new Parse.Schema(className).get();
  assert.equal(got.indexes && got.indexes.name_score, undefined, 'the index is gone');
  // Objects can still be saved and found.
  const o = new Parse.Object(className);
  o.set({ name: 'a', score: 1 });
  await o.save();
  assert.equal((await new Parse.Query(className).equalTo('name', 'a').find()).length, 1);
});

test('schema changes without the master key are refused (403, code 119 on Hearth)', async () => {
  const className = h.cls('Guarded');
  await new Parse.Schema(className).addString('s').save();
  const attempts = [
    ['POST', `/schemas/${h.cls('Guarded')}`, { fields: { x: { type: 'String' } } }],
    ['PUT', `/schemas/${className}`, { fields: { x: { type: 'String' } } }],
    ['DELETE', `/schemas/${className}`, undefined],
    ['DELETE', `/purge/${className}`, undefined],
    ['GET', `/schemas/${className}`, undefined],
    ['GET', '/schemas', undefined],
  ];
  for (const key of ['js', 'rest', 'client']) {
    for (const [method, path, body] of attempts) {
      const res = await h.rest(method, path, { key, body });
      const what = `${method} ${path} with the ${key} key`;
      assert.equal(res.status, 403, `${what} answers 403: ${res.text}`);
      assert.equal(typeof res.body.error, 'string', `${what} has an error message: ${res.text}`);
      // Parse Server 9 answers {"error":"Permission denied"} with no code; Hearth adds code 119.
      if (h.isHearth) assert.equal(res.body.code, 119, `${what} answers code 119: ${res.text}`);
    }
  }
  const got = await new Parse.Schema(className).get();
  assert.equal(got.fields.x, undefined, 'nothing changed');
});

test('delete removes an empty class; a class with objects is refused with 255', async () => {
  const className = h.cls('Drop');
  const obj = new Parse.Object(className);
  obj.set('x', 1);
  await obj.save();
  const refused = await h.rest('DELETE', `/schemas/${className}`);
  h.assertRestError(refused, 400, 255, 'deleting a class that holds objects');
  await obj.destroy();
  await new Parse.Schema(className).delete();
  h.assertRestError(await h.rest('GET', `/schemas/${className}`), 400, 103, 'the deleted class is gone');
  const res = await h.rest('DELETE', `/schemas/${h.cls('NeverWas')}`);
  assert.equal(res.status, 200, `deleting a class that does not exist answers 200: ${res.text}`);
  // A new class with the same name starts empty and without the old fields.
  const again = new Parse.Object(className);
  again.set('y', 'text');
  await again.save();
  const got = await new Parse.Schema(className).get();
  assert.equal(got.fields.x, undefined, 'old field is gone');
  assert.deepEqual(got.fields.y, { type: 'String' });
});

test('purge deletes every object but keeps the schema', async () => {
  const className = h.cls('Purge');
  const rows = [];
  for (let i = 0; i < 12; i++) rows.push({ i });
  await h.seed(className, rows);
  await new Parse.Schema(className).purge();
  assert.equal(await h.countAll(className), 0, 'no objects left');
  const got = await new Parse.Schema(className).get();
  assert.deepEqual(got.fields.i, { type: 'Number' }, 'the schema is kept');
  await new Parse.Schema(className).delete();
  h.assertRestError(await h.rest('GET', `/schemas/${className}`), 400, 103, 'after purge, the class can be deleted');
});
