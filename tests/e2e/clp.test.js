'use strict';
// Class-level permissions set through the schema API with the master key: each operation (get,
// find, count, create, update, delete, addField) for a user, a role or the public;
// requiresAuthentication; pointer permissions (pointerFields, readUserFields, writeUserFields);
// protected fields for the public, authenticated users, roles and `userField:`; the master key
// past all of it; the read-only master key, which reads everything and writes nothing.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

const master = { useMasterKey: true };
const as = (user) => ({ sessionToken: user.getSessionToken(), useMasterKey: false });
const restAs = (user) => ({ key: 'rest', headers: user ? { 'X-Parse-Session-Token': user.getSessionToken() } : {} });
const userPointer = (user) => ({ __type: 'Pointer', className: '_User', objectId: user.id });
const CLOSED = { find: {}, get: {}, count: {}, create: {}, update: {}, delete: {}, addField: {} };
const OPEN = { find: { '*': true }, get: { '*': true }, count: { '*': true }, create: { '*': true }, update: { '*': true }, delete: { '*': true }, addField: {} };

async function signUp() {
  const user = new Parse.User();
  user.set({ username: `u_${h.rand(10)}`, password: 'pw-Secret-1' });
  await user.signUp(null, { useMasterKey: false });
  return user;
}

/** A new class with `fields` and the class-level permissions `clp`; returns its name. */
async function classWith(fields, clp) {
  const name = h.cls('Clp');
  const res = await h.rest('POST', `/schemas/${name}`, { body: { className: name, fields, classLevelPermissions: clp } });
  assert.equal(res.status, 200, res.text);
  return name;
}

/** Creates an object with the master key (REST); returns its id. */
async function put(className, body) {
  const res = await h.rest('POST', `/classes/${className}`, { body });
  assert.equal(res.status, 201, res.text);
  return res.body.objectId;
}

describe('class-level permissions', () => {
  let ann;
  let bob;
  before(async () => {
    await h.setup();
    ann = await signUp();
    bob = await signUp();
  });

  test('each operation for one user: the others answer 119', async () => {
    const name = await classWith({ v: { type: 'Number' } }, {
      ...CLOSED,
      find: { [ann.id]: true }, get: { [ann.id]: true, [bob.id]: true }, count: { [ann.id]: true },
      create: { [ann.id]: true }, update: { [ann.id]: true }, delete: { [bob.id]: true },
    });
    const id = await put(name, { v: 1 });
    const deny = (res, what) => h.assertRestError(res, 400, 119, what);

    const created = await h.rest('POST', `/classes/${name}`, { ...restAs(ann), body: { v: 2 } });
    assert.equal(created.status, 201, created.text);
    deny(await h.rest('POST', `/classes/${name}`, { ...restAs(bob), body: { v: 3 } }), 'create by bob');
    deny(await h.rest('POST', `/classes/${name}`, { ...restAs(null), body: { v: 3 } }), 'create without a user');

    assert.equal((await h.rest('GET', `/classes/${name}`, restAs(ann))).body.results.length, 2);
    deny(await h.rest('GET', `/classes/${name}`, restAs(bob)), 'find by bob');
    assert.equal((await h.rest('GET', `/classes/${name}`, { ...restAs(ann), query: { where: { v: 1 }, count: 1, limit: 0 } })).body.count, 1);
    deny(await h.rest('GET', `/classes/${name}`, { ...restAs(bob), query: { where: { v: 1 }, count: 1, limit: 0 } }), 'count by bob');
    assert.equal((await h.rest('GET', `/classes/${name}/${id}`, restAs(bob))).body.v, 1, 'get by bob');
    deny(await h.rest('GET', `/classes/${name}/${id}`, restAs(null)), 'get without a user');
    // A query on one objectId alone is a get.
    const byId = await h.rest('GET', `/classes/${name}`, { ...restAs(bob), query: { where: { objectId: id } } });
    assert.equal(byId.status, 200, byId.text);
    assert.equal(byId.body.results.length, 1);

    assert.equal((await h.rest('PUT', `/classes/${name}/${id}`, { ...restAs(ann), body: { v: 10 } })).status, 200);
    deny(await h.rest('PUT', `/classes/${name}/${id}`, { ...restAs(bob), body: { v: 11 } }), 'update by bob');
    deny(await h.rest('DELETE', `/classes/${name}/${id}`, restAs(ann)), 'delete by ann');
    assert.equal((await h.rest('DELETE', `/classes/${name}/${id}`, restAs(bob))).status, 200, 'delete by bob');
    // The SDK sees the same code.
    await h.expectParseError(new Parse.Query(name).find(as(bob)), 119, 'an SDK find by bob');
    await h.expectParseError(new Parse.Object(name).save({ v: 5 }, as(bob)), 119, 'an SDK create by bob');
  });

  test('count needs its own permission, find its own', async () => {
    const name = await classWith({ v: { type: 'Number' } }, { ...CLOSED, find: { '*': true }, get: { '*': true }, count: {} });
    await put(name, { v: 1 });
    assert.equal((await new Parse.Query(name).find({ useMasterKey: false })).length, 1);
    await h.expectParseError(new Parse.Query(name).equalTo('v', 1).count({ useMasterKey: false }), 119, 'count without the count permission');
    const countOnly = await classWith({ v: { type: 'Number' } }, { ...CLOSED, count: { '*': true } });
    await put(countOnly, { v: 1 });
    assert.equal(await new Parse.Query(countOnly).equalTo('v', 1).count({ useMasterKey: false }), 1, 'count alone');
    await h.expectParseError(new Parse.Query(countOnly).find({ useMasterKey: false }), 119, 'find without the find permission');
  });

  test('permissions for a role, and for the public', async () => {
    const readers = new Parse.Role(`readers_${h.rand(8)}`, new Parse.ACL());
    readers.getUsers().add(ann);
    await readers.save(null, master);
    const name = await classWith({ v: { type: 'Number' } }, { ...CLOSED, find: { [`role:${readers.getName()}`]: true }, get: { '*': true }, create: { [`role:${readers.getName()}`]: true } });
    const id = await put(name, { v: 1 });
    assert.equal((await new Parse.Query(name).find(as(ann))).length, 1, 'a member finds');
    await h.expectParseError(new Parse.Query(name).find(as(bob)), 119, 'a non-member');
    assert.equal((await new Parse.Object(name).save({ v: 2 }, as(ann))).get('v'), 2, 'a member creates');
    await h.expectParseError(new Parse.Object(name).save({ v: 3 }, as(bob)), 119, 'a non-member creates');
    assert.equal((await new Parse.Query(name).get(id, { useMasterKey: false })).get('v'), 1, 'get is public');
    // Leaving the role ends the permission at once.
    readers.getUsers().remove(ann);
    await readers.save(null, master);
    await h.expectParseError(new Parse.Query(name).find(as(ann)), 119, 'after leaving the role');
  });

  test('addField: new fields only where it is granted', async () => {
    const closed = await classWith({ v: { type: 'Number' } }, { ...OPEN, addField: {} });
    assert.equal((await h.rest('POST', `/classes/${closed}`, { ...restAs(ann), body: { v: 1 } })).status, 201, 'known fields are fine');
    h.assertRestError(await h.rest('POST', `/classes/${closed}`, { ...restAs(ann), body: { v: 1, extra: 'x' } }), 400, 119, 'a new field on create');
    const id = await put(closed, { v: 1 });
    h.assertRestError(await h.rest('PUT', `/classes/${closed}/${id}`, { ...restAs(ann), body: { extra: 'x' } }), 400, 119, 'a new field on update');
    const open = await classWith({ v: { type: 'Number' } }, { ...OPEN, addField: { [ann.id]: true } });
    assert.equal((await h.rest('POST', `/classes/${open}`, { ...restAs(ann), body: { v: 1, extra: 'x' } })).status, 201, 'granted to ann');
    assert.equal((await h.rest('POST', `/classes/${open}`, { ...restAs(bob), body: { v: 1, extra: 'y' } })).status, 201, 'the field now exists for everyone');
    h.assertRestError(await h.rest('POST', `/classes/${open}`, { ...restAs(bob), body: { v: 1, other: 'y' } }), 400, 119, 'bob adds a field');
    const schema = await h.rest('GET', `/schemas/${open}`);
    assert.deepEqual(schema.body.fields.extra, { type: 'String' });
    assert.equal(schema.body.fields.other, undefined);
  });

  test('requiresAuthentication: clients without a user are refused (101), users go through', async () => {
    const name = await classWith({ v: { type: 'Number' } }, {
      ...CLOSED,
      find: { requiresAuthentication: true }, get: { requiresAuthentication: true }, count: { requiresAuthentication: true }, create: { requiresAuthentication: true },
    });
    const id = await put(name, { v: 1 });
    h.assertRestError(await h.rest('GET', `/classes/${name}`, restAs(null)), 404, 101, 'find without a user');
    h.assertRestError(await h.rest('GET', `/classes/${name}/${id}`, restAs(null)), 404, 101, 'get without a user');
    h.assertRestError(await h.rest('POST', `/classes/${name}`, { ...restAs(null), body: { v: 2 } }), 404, 101, 'create without a user');
    assert.equal((await new Parse.Query(name).find(as(bob))).length, 1);
    assert.equal((await new Parse.Query(name).get(id, as(bob))).get('v'), 1);
    assert.equal((await new Parse.Object(name).save({ v: 2 }, as(bob))).get('v'), 2);
    h.assertRestError(await h.rest('PUT', `/classes/${name}/${id}`, { ...restAs(bob), body: { v: 3 } }), 400, 119, 'update is granted to nobody');
  });

  test('pointer permissions: pointerFields per operation', async () => {
    const name = await classWith({ v: { type: 'Number' }, owner: { type: 'Pointer', targetClass: '_User' } }, {
      ...CLOSED, create: { '*': true },
      get: { pointerFields: ['owner'] }, find: { pointerFields: ['owner'] }, update: { pointerFields: ['owner'] }, delete: { pointerFields: ['owner'] },
    });
    const id = await put(name, { v: 1, owner: userPointer(ann) });
    await put(name, { v: 2, owner: userPointer(bob) });
    assert.equal((await h.rest('GET', `/classes/${name}/${id}`, restAs(ann))).body.v, 1, 'the owner gets it');
    h.assertRestError(await h.rest('GET', `/classes/${name}/${id}`, restAs(bob)), 404, 101, 'get by another user');
    assert.deepEqual(h.values(await new Parse.Query(name).find(as(ann)), 'v'), [1], 'a find returns one\'s own');
    assert.deepEqual(h.values(await new Parse.Query(name).find(as(bob)), 'v'), [2]);
    const anonymous = await h.rest('GET', `/classes/${name}`, restAs(null));
    assert.equal(anonymous.status, 200, anonymous.text);
    assert.deepEqual(anonymous.body.results, [], 'a client without a user finds nothing');
    h.assertRestError(await h.rest('PUT', `/classes/${name}/${id}`, { ...restAs(bob), body: { v: 5 } }), 404, 101, 'update by another user');
    h.assertRestError(await h.rest('DELETE', `/classes/${name}/${id}`, restAs(bob)), 404, 101, 'delete by another user');
    assert.equal((await h.rest('PUT', `/classes/${name}/${id}`, { ...restAs(ann), body: { v: 6 } })).status, 200);
    assert.equal((await h.rest('DELETE', `/classes/${name}/${id}`, restAs(ann))).status, 200);
  });

  test('pointer permissions: readUserFields and writeUserFields', async () => {
    const name = await classWith({ v: { type: 'Number' }, owner: { type: 'Pointer', targetClass: '_User' }, editors: { type: 'Array' } }, {
      ...CLOSED, create: { '*': true }, readUserFields: ['owner', 'editors'], writeUserFields: ['owner'],
    });
    const id = await put(name, { v: 1, owner: userPointer(ann), editors: [userPointer(bob)] });
    const cid = await signUp();
    assert.equal((await new Parse.Query(name).get(id, as(ann))).get('v'), 1, 'the owner reads');
    assert.equal((await new Parse.Query(name).get(id, as(bob))).get('v'), 1, 'a user in the editors array reads');
    await h.expectParseError(new Parse.Query(name).get(id, as(cid)), 101, 'anyone else');
    assert.equal((await new Parse.Query(name).find(as(cid))).length, 0);
    h.assertRestError(await h.rest('PUT', `/classes/${name}/${id}`, { ...restAs(bob), body: { v: 2 } }), 404, 101, 'an editor (read only) writing');
    assert.equal((await h.rest('PUT', `/classes/${name}/${id}`, { ...restAs(ann), body: { v: 3 } })).status, 200, 'the owner writes');
    // Pointer permissions do not stop creation (create is public here).
    assert.equal((await h.rest('POST', `/classes/${name}`, { ...restAs(cid), body: { v: 9 } })).status, 201);
  });

  test('protected fields for the public, authenticated users, a role and the pointed-to user', async () => {
    const staff = new Parse.Role(`staff_${h.rand(8)}`, new Parse.ACL());
    const cid = await signUp();
    staff.getUsers().add(cid);
    await staff.save(null, master);
    const name = await classWith(
      { owner: { type: 'Pointer', targetClass: '_User' }, phone: { type: 'String' }, mail: { type: 'String' }, salary: { type: 'Number' }, city: { type: 'String' } },
      {
        ...OPEN,
        protectedFields: {
          '*': ['phone', 'mail', 'salary'],
          authenticated: ['phone', 'salary'],
          [`role:${staff.getName()}`]: ['salary'],
          'userField:owner': [],
        },
      },
    );
    const id = await put(name, { owner: userPointer(ann), phone: '555', mail: 'a@x.com', salary: 100, city: 'Oslo' });
    const fields = async (user) => {
      const res = await h.rest('GET', `/classes/${name}/${id}`, restAs(user));
      assert.equal(res.status, 200, res.text);
      return ['phone', 'mail', 'salary', 'city'].filter((k) => res.body[k] !== undefined);
    };
    assert.deepEqual(await fields(null), ['city'], 'the public');
    // A user matches several groups: only the fields protected in all of them stay hidden.
    assert.deepEqual(await fields(bob), ['mail', 'city'], 'an authenticated user');
    assert.deepEqual(await fields(cid), ['phone', 'mail', 'city'], 'a staff member');
    assert.deepEqual(await fields(ann), ['phone', 'mail', 'salary', 'city'], 'the owner');
    const found = await new Parse.Query(name).find({ useMasterKey: false });
    assert.equal(found[0].get('phone'), undefined, 'hidden in a find too');
    const selected = await h.rest('GET', `/classes/${name}`, { ...restAs(null), query: { keys: 'phone,city' } });
    assert.deepEqual(Object.keys(selected.body.results[0]).filter((k) => ['phone', 'city'].includes(k)), ['city'], `keys cannot ask for it: ${selected.text}`);
    const m = await h.rest('GET', `/classes/${name}/${id}`);
    assert.equal(m.body.salary, 100, 'the master key sees everything');
  });

  test('a client may not query or sort on a field protected from it (119)', async () => {
    const name = await classWith({ phone: { type: 'String' }, city: { type: 'String' } }, { ...OPEN, protectedFields: { '*': ['phone'] } });
    await put(name, { phone: '555', city: 'Oslo' });
    h.assertRestError(await h.rest('GET', `/classes/${name}`, { ...restAs(bob), query: { where: { phone: '555' } } }), 400, 119, 'a where on a protected field');
    h.assertRestError(await h.rest('GET', `/classes/${name}`, { ...restAs(bob), query: { where: { phone: { $exists: true } } } }), 400, 119, '$exists on a protected field');
    h.assertRestError(await h.rest('GET', `/classes/${name}`, { ...restAs(bob), query: { order: 'phone' } }), 400, 119, 'an order on a protected field');
    assert.equal((await h.rest('GET', `/classes/${name}`, { ...restAs(bob), query: { where: { city: 'Oslo' } } })).body.results.length, 1);
    assert.equal((await h.rest('GET', `/classes/${name}`, { query: { where: { phone: '555' } } })).body.results.length, 1, 'the master key may');
  });

  test('the master key goes past every class-level permission and ACL', async () => {
    const name = await classWith({ v: { type: 'Number' }, secret: { type: 'String' } }, { ...CLOSED, protectedFields: { '*': ['secret'] } });
    const created = await h.rest('POST', `/classes/${name}`, { body: { v: 1, secret: 's', brandNew: true, ACL: {} } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.objectId;
    const got = await h.rest('GET', `/classes/${name}/${id}`);
    assert.equal(got.body.secret, 's');
    assert.equal(got.body.brandNew, true);
    assert.equal((await h.rest('GET', `/classes/${name}`, { query: { where: { v: 1 }, count: 1 } })).body.count, 1);
    assert.equal((await h.rest('PUT', `/classes/${name}/${id}`, { body: { v: 2, another: 1 } })).status, 200);
    assert.equal((await h.rest('DELETE', `/classes/${name}/${id}`)).status, 200);
    await h.expectParseError(new Parse.Query(name).find({ useMasterKey: false }), 119, 'and a client is still refused');
  });

  test('the read-only master key reads everything and writes nothing (119)', async () => {
    const name = await classWith({ v: { type: 'Number' }, secret: { type: 'String' } }, { ...CLOSED, protectedFields: { '*': ['secret'] } });
    const id = await put(name, { v: 1, secret: 's', ACL: {} });
    const ro = { key: 'readOnlyMaster' };
    const got = await h.rest('GET', `/classes/${name}/${id}`, ro);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.secret, 's', 'protected fields too');
    assert.equal((await h.rest('GET', `/classes/${name}`, { ...ro, query: { where: { v: 1 } } })).body.results.length, 1, 'a find past the CLP and the ACL');
    assert.equal((await h.rest('GET', `/schemas/${name}`, ro)).status, 200, 'the schema');
    const agg = await h.rest('GET', `/aggregate/${name}`, { ...ro, query: { pipeline: [{ $match: { v: 1 } }] } });
    assert.equal(agg.status, 200, agg.text);

    const deny = (res, what) => h.assertRestError(res, 400, 119, what);
    deny(await h.rest('POST', `/classes/${name}`, { ...ro, body: { v: 2 } }), 'create');
    deny(await h.rest('PUT', `/classes/${name}/${id}`, { ...ro, body: { v: 2 } }), 'update');
    deny(await h.rest('DELETE', `/classes/${name}/${id}`, ro), 'delete');
    deny(await h.rest('PUT', `/schemas/${name}`, { ...ro, body: { classLevelPermissions: OPEN } }), 'a schema change');
    deny(await h.rest('POST', '/users', { ...ro, body: { username: `ro_${h.rand(6)}`, password: 'pw' } }), 'a sign-up');
    const batch = await h.rest('POST', '/batch', { ...ro, body: { requests: [{ method: 'POST', path: `/parse/classes/${name}`, body: { v: 3 } }] } });
    assert.equal(batch.status, 200, batch.text);
    assert.equal(batch.body[0].error && batch.body[0].error.code, 119, batch.text);
    assert.equal((await h.rest('GET', `/classes/${name}`, { query: { count: 1, limit: 0, where: { v: { $gte: 0 } } } })).body.count, 1, 'nothing was written');
  });

  test('the schema API: CLPs as set, invalid ones refused (107), schemas closed to clients', async () => {
    const clp = { ...OPEN, find: { requiresAuthentication: true }, readUserFields: ['owner'], protectedFields: { '*': ['phone'] } };
    const name = await classWith({ owner: { type: 'Pointer', targetClass: '_User' }, phone: { type: 'String' } }, clp);
    const schema = await h.rest('GET', `/schemas/${name}`);
    assert.deepEqual(schema.body.classLevelPermissions.find, { requiresAuthentication: true });
    assert.deepEqual(schema.body.classLevelPermissions.readUserFields, ['owner']);
    assert.deepEqual(schema.body.classLevelPermissions.protectedFields, { '*': ['phone'] });
    h.assertRestError(await h.rest('PUT', `/schemas/${name}`, { body: { classLevelPermissions: { ...OPEN, find: { '*': 'yes' } } } }), 400, 107, 'a value that is not true');
    h.assertRestError(await h.rest('PUT', `/schemas/${name}`, { body: { classLevelPermissions: { ...OPEN, fly: { '*': true } } } }), 400, 107, 'an unknown operation');
    const forClient = await h.rest('GET', `/schemas/${name}`, restAs(ann));
    assert.equal(forClient.status, 403, forClient.text);
    // A change applies at once.
    const res = await h.rest('PUT', `/schemas/${name}`, { body: { classLevelPermissions: { ...OPEN, find: {} } } });
    assert.equal(res.status, 200, res.text);
    await h.expectParseError(new Parse.Query(name).find(as(ann)), 119, 'find closed after the change');
  });
});
