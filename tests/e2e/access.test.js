'use strict';
// Who may see and change what: object ACLs (a user, the public, nobody, a role) on every route
// (get, find, count, include, relations, subqueries, batch, aggregate); class-level permissions
// set through the schema API (each operation for a user, a role or the public; count apart from
// find; addField; requiresAuthentication); pointer permissions (pointerFields, readUserFields,
// writeUserFields); protected fields for the public, authenticated users, roles and `userField:`;
// the master key past all of it; the read-only master key, which reads everything and writes
// nothing. Roles themselves (membership, child roles): roles.test.js.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { as, restAs, signUp, userPointer } = require('../lib/users');
const { Parse } = h;

const master = { useMasterKey: true };
const pointer = (className, id) => ({ __type: 'Pointer', className, objectId: id });
const CLOSED = { find: {}, get: {}, count: {}, create: {}, update: {}, delete: {}, addField: {} };
const OPEN = { find: { '*': true }, get: { '*': true }, count: { '*': true }, create: { '*': true }, update: { '*': true }, delete: { '*': true }, addField: {} };

/** Saves an object of `className` with the master key, with `attrs` and `acl` (a Parse.ACL). */
async function make(className, attrs, acl) {
  const o = new Parse.Object(className);
  o.set(attrs);
  if (acl) o.setACL(acl);
  await o.save(null, master);
  return o;
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

let ann;
let bob;
before(async () => {
  await h.setup();
  ann = await signUp();
  bob = await signUp();
});

describe('ACLs', () => {
  test('an object of one user: hidden from other users and from clients without a user, who cannot change it', async () => {
    const Doc = h.cls('Doc');
    const doc = await make(Doc, { title: 'secret', n: 1 }, new Parse.ACL(ann));
    await make(Doc, { title: 'public', n: 2 }, null);

    assert.equal((await new Parse.Query(Doc).get(doc.id, as(ann))).get('title'), 'secret', 'the owner reads it');
    assert.deepEqual(h.values(await new Parse.Query(Doc).find(as(ann)), 'n'), [1, 2]);
    assert.equal(await new Parse.Query(Doc).greaterThan('n', 0).count(as(ann)), 2);
    for (const [who, user] of [['another user', bob], ['a client without a user', null]]) {
      const opts = user ? as(user) : { useMasterKey: false };
      await h.expectParseError(new Parse.Query(Doc).get(doc.id, opts), 101, `get as ${who}`);
      h.assertRestError(await h.rest('GET', `/classes/${Doc}/${doc.id}`, restAs(user)), 404, 101, `REST get as ${who}`);
      assert.deepEqual(h.values(await new Parse.Query(Doc).find(opts), 'n'), [2], `find as ${who}`);
      assert.equal(await new Parse.Query(Doc).greaterThan('n', 0).count(opts), 1, `count as ${who}`);
      assert.equal((await new Parse.Query(Doc).equalTo('objectId', doc.id).find(opts)).length, 0, `a query on its id as ${who}`);
      assert.equal((await new Parse.Query(Doc).equalTo('title', 'secret').find(opts)).length, 0, `a query on its fields as ${who}`);
    }
    h.assertRestError(await h.rest('PUT', `/classes/${Doc}/${doc.id}`, { ...restAs(bob), body: { title: 'mine now' } }), 404, 101, 'an update by another user');
    h.assertRestError(await h.rest('DELETE', `/classes/${Doc}/${doc.id}`, restAs(bob)), 404, 101, 'a delete by another user');
    assert.equal((await new Parse.Query(Doc).get(doc.id, master)).get('title'), 'secret', 'nothing changed');
  });

  test('public read, owner write: readers cannot update, delete or re-ACL it (101)', async () => {
    const Note = h.cls('Note');
    const acl = new Parse.ACL(ann);
    acl.setPublicReadAccess(true);
    const note = await make(Note, { text: 'hello' }, acl);
    const read = await new Parse.Query(Note).get(note.id, as(bob));
    assert.equal(read.get('text'), 'hello');
    assert.equal((await new Parse.Query(Note).get(note.id, { useMasterKey: false })).get('text'), 'hello', 'a client without a user reads it');
    read.set('text', 'changed');
    await h.expectParseError(read.save(null, as(bob)), 101, 'an SDK save by a reader');
    h.assertRestError(await h.rest('PUT', `/classes/${Note}/${note.id}`, { ...restAs(bob), body: { text: 'x' } }), 404, 101, 'an update by a reader');
    h.assertRestError(await h.rest('PUT', `/classes/${Note}/${note.id}`, { ...restAs(bob), body: { ACL: { '*': { read: true, write: true } } } }), 404, 101, 'a reader opening the ACL');
    h.assertRestError(await h.rest('PUT', `/classes/${Note}/${note.id}`, { ...restAs(null), body: { text: 'x' } }), 404, 101, 'an update without a user');
    h.assertRestError(await h.rest('DELETE', `/classes/${Note}/${note.id}`, restAs(bob)), 404, 101, 'a delete by a reader');
    await h.expectParseError(read.destroy(as(bob)), 101, 'an SDK destroy by a reader');
    const fresh = await new Parse.Query(Note).get(note.id, master);
    assert.equal(fresh.get('text'), 'hello', 'nothing changed');
    assert.deepEqual(fresh.getACL().toJSON(), { '*': { read: true }, [ann.id]: { read: true, write: true } });
    fresh.set('text', 'edited');
    await fresh.save(null, as(ann));
    assert.equal((await new Parse.Query(Note).get(note.id, as(bob))).get('text'), 'edited');
    await fresh.destroy(as(ann));
  });

  test('public write without read: others may change and delete what they cannot see', async () => {
    const Box = h.cls('Box');
    const acl = new Parse.ACL();
    acl.setPublicWriteAccess(true);
    const box = await make(Box, { v: 1 }, acl);
    const box2 = await make(Box, { v: 1 }, acl);
    const up = await h.rest('PUT', `/classes/${Box}/${box.id}`, { ...restAs(bob), body: { v: 2 } });
    assert.equal(up.status, 200, up.text);
    h.assertRestError(await h.rest('GET', `/classes/${Box}/${box.id}`, restAs(bob)), 404, 101, 'but not read it');
    assert.equal((await new Parse.Query(Box).get(box.id, master)).get('v'), 2);
    const del = await h.rest('DELETE', `/classes/${Box}/${box2.id}`, restAs(null));
    assert.equal(del.status, 200, del.text);
    assert.equal((await new Parse.Query(Box).equalTo('objectId', box2.id).find(master)).length, 0);
  });

  test('an empty ACL: only the master key reads or writes it', async () => {
    const Vault = h.cls('Vault');
    await h.rest('POST', `/schemas/${Vault}`, { body: { className: Vault, fields: { v: { type: 'Number' } } } });
    const o = new Parse.Object(Vault);
    o.set('v', 1);
    o.setACL(new Parse.ACL());
    await o.save(null, as(ann));
    assert.deepEqual(o.getACL().toJSON(), {});
    await h.expectParseError(new Parse.Query(Vault).get(o.id, as(ann)), 101, 'not even its creator');
    h.assertRestError(await h.rest('PUT', `/classes/${Vault}/${o.id}`, { ...restAs(ann), body: { v: 2 } }), 404, 101, 'an update by its creator');
    assert.equal((await new Parse.Query(Vault).get(o.id, master)).get('v'), 1);
  });

  test('a client sets the ACL of what it creates', async () => {
    const Diary = h.cls('Diary');
    await h.rest('POST', `/schemas/${Diary}`, { body: { className: Diary, fields: { text: { type: 'String' } } } });
    const entry = new Parse.Object(Diary);
    entry.set('text', 'dear diary');
    entry.setACL(new Parse.ACL(ann));
    await entry.save(null, as(ann));
    const res = await h.rest('GET', `/classes/${Diary}/${entry.id}`, restAs(ann));
    assert.deepEqual(res.body.ACL, { [ann.id]: { read: true, write: true } }, res.text);
    await h.expectParseError(new Parse.Query(Diary).get(entry.id, as(bob)), 101, 'another user');
    // Without an ACL, a client's object is public (read and write).
    const open = await h.rest('POST', `/classes/${Diary}`, { ...restAs(ann), body: { text: 'open' } });
    assert.equal(open.status, 201, open.text);
    const edit = await h.rest('PUT', `/classes/${Diary}/${open.body.objectId}`, { ...restAs(bob), body: { text: 'edited by bob' } });
    assert.equal(edit.status, 200, edit.text);
  });

  test('ACLs for a role: members read or write as the ACL says', async () => {
    const members = new Parse.Role(`members_${h.rand(6)}`, new Parse.ACL());
    members.getUsers().add(ann);
    await members.save(null, master);
    const Memo = h.cls('Memo');
    const acl = new Parse.ACL();
    acl.setRoleReadAccess(members, true);
    const memo = await make(Memo, { v: 1 }, acl);
    const wacl = new Parse.ACL();
    wacl.setRoleReadAccess(members, true);
    wacl.setRoleWriteAccess(members, true);
    const board = await make(Memo, { v: 2 }, wacl);

    assert.equal((await new Parse.Query(Memo).get(memo.id, as(ann))).get('v'), 1, 'a member reads it');
    assert.deepEqual(h.values(await new Parse.Query(Memo).find(as(ann)), 'v'), [1, 2]);
    await h.expectParseError(new Parse.Query(Memo).get(memo.id, as(bob)), 101, 'a non-member');
    assert.equal((await new Parse.Query(Memo).find(as(bob))).length, 0);
    h.assertRestError(await h.rest('PUT', `/classes/${Memo}/${memo.id}`, { ...restAs(ann), body: { v: 10 } }), 404, 101, 'a member without write access');
    const ok = await h.rest('PUT', `/classes/${Memo}/${board.id}`, { ...restAs(ann), body: { v: 20 } });
    assert.equal(ok.status, 200, ok.text);
    h.assertRestError(await h.rest('PUT', `/classes/${Memo}/${board.id}`, { ...restAs(bob), body: { v: 30 } }), 404, 101, 'a non-member writing');
    assert.equal((await new Parse.Query(Memo).get(board.id, master)).get('v'), 20);
  });

  test('include drops pointers to hidden objects; the owner gets them included', async () => {
    const Secret = h.cls('Secret');
    const Post = h.cls('Post');
    const secret = await make(Secret, { code: 42 }, new Parse.ACL(ann));
    const pub = await make(Secret, { code: 7 }, null);
    const post = await make(Post, { title: 'p', ref: secret, refs: [secret, pub], open: pub }, null);

    const res = await h.rest('GET', `/classes/${Post}/${post.id}`, { ...restAs(bob), query: { include: 'ref,refs,open' } });
    assert.equal(res.status, 200, res.text);
    assert.ok(!res.text.includes('"code":42'), `the hidden object's fields never show: ${res.text}`);
    assert.equal(res.body.ref, undefined, `a pointer to a hidden object is left out of an include: ${res.text}`);
    assert.deepEqual(res.body.refs.map((r) => [r.__type, r.objectId, r.code]), [['Object', pub.id, 7]], `an array keeps the readable objects only: ${res.text}`);
    assert.equal(res.body.open.code, 7, 'a readable pointer is included');
    // Without include, the pointers are there, unfetched.
    const plain = await h.rest('GET', `/classes/${Post}/${post.id}`, restAs(bob));
    assert.deepEqual(plain.body.ref, pointer(Secret, secret.id), plain.text);
    // The SDK's view.
    const seen = await new Parse.Query(Post).include(['ref', 'refs']).get(post.id, as(bob));
    assert.equal(seen.get('ref'), undefined);
    assert.equal(seen.get('refs').length, 1);
    const own = await new Parse.Query(Post).include(['ref', 'refs']).get(post.id, as(ann));
    assert.equal(own.get('ref').get('code'), 42, 'the owner gets it included');
    assert.deepEqual(own.get('refs').map((r) => r.get('code')), [42, 7]);
    // A find with include hides it the same way.
    const found = await h.rest('GET', `/classes/${Post}`, { ...restAs(bob), query: { include: 'ref', where: { title: 'p' } } });
    assert.equal(found.body.results.length, 1, found.text);
    assert.equal(found.body.results[0].ref, undefined, found.text);
  });

  test('relations and subqueries see only readable objects', async () => {
    const Item = h.cls('Item');
    const Bag = h.cls('Bag');
    const hidden = await make(Item, { name: 'hidden' }, new Parse.ACL(ann));
    const shown = await make(Item, { name: 'shown' }, null);
    const bag = new Parse.Object(Bag);
    bag.set({ tag: 'b', first: hidden });
    bag.relation('items').add([hidden, shown]);
    await bag.save(null, master);
    const other = await make(Bag, { tag: 'o', first: shown }, null);

    assert.deepEqual(h.values(await bag.relation('items').query().find(as(bob)), 'name'), ['shown'], 'the relation as another user');
    assert.deepEqual(h.values(await bag.relation('items').query().find(as(ann)), 'name'), ['hidden', 'shown'], 'the relation as the owner');
    assert.equal(await bag.relation('items').query().count(as(bob)), 1);
    const related = await h.rest('GET', `/classes/${Item}`, { ...restAs(bob), query: { where: { $relatedTo: { object: pointer(Bag, bag.id), key: 'items' } } } });
    assert.deepEqual(related.body.results.map((r) => r.name), ['shown'], related.text);

    // $inQuery, $notInQuery and $select only match readable inner objects.
    const inner = new Parse.Query(Item).equalTo('name', 'hidden');
    assert.equal((await new Parse.Query(Bag).matchesQuery('first', inner).find(as(bob))).length, 0, '$inQuery');
    assert.equal((await new Parse.Query(Bag).matchesQuery('first', inner).find(as(ann))).length, 1, '$inQuery as the owner');
    assert.deepEqual(h.values(await new Parse.Query(Bag).doesNotMatchQuery('first', inner).find(as(bob)), 'tag'), ['b', 'o'], '$notInQuery: nothing hidden matched');
    const names = new Parse.Query(Item).containedIn('name', ['hidden', 'shown']);
    assert.deepEqual(h.values(await new Parse.Query(Item).matchesKeyInQuery('name', 'name', names).find(as(bob)), 'name'), ['shown'], '$select');
    assert.equal(other.get('tag'), 'o');
  });

  test('batch: each hidden or read-only object fails with 101, the others go through', async () => {
    const Row = h.cls('Row');
    const priv = await make(Row, { v: 1 }, new Parse.ACL(ann));
    const racl = new Parse.ACL(ann);
    racl.setPublicReadAccess(true);
    const readOnly = await make(Row, { v: 2 }, racl);
    const open = await make(Row, { v: 3 }, null);
    const path = (id) => `/parse/classes/${Row}${id ? `/${id}` : ''}`;

    const gets = await h.rest('POST', '/batch', { ...restAs(bob), body: { requests: [{ method: 'GET', path: path(priv.id) }, { method: 'GET', path: path(readOnly.id) }] } });
    assert.equal(gets.status, 200, gets.text);
    assert.equal(gets.body[0].error && gets.body[0].error.code, 101, gets.text);
    assert.equal(gets.body[1].success && gets.body[1].success.v, 2, gets.text);

    const writes = await h.rest('POST', '/batch', {
      ...restAs(bob),
      body: {
        requests: [
          { method: 'PUT', path: path(priv.id), body: { v: 10 } },
          { method: 'PUT', path: path(readOnly.id), body: { v: 20 } },
          { method: 'DELETE', path: path(priv.id) },
          { method: 'DELETE', path: path(readOnly.id) },
          { method: 'PUT', path: path(open.id), body: { v: 30 } },
          { method: 'POST', path: path(), body: { v: 40 } },
        ],
      },
    });
    assert.equal(writes.status, 200, writes.text);
    assert.deepEqual(writes.body.map((r) => (r.error ? r.error.code : 'ok')), [101, 101, 101, 101, 'ok', 'ok'], writes.text);
    assert.deepEqual(h.values(await new Parse.Query(Row).find(master), 'v'), [1, 2, 30, 40], 'only the allowed writes happened');
  });

  test('aggregate needs the master key (403 for users and clients)', async () => {
    const Stat = h.cls('Stat');
    await make(Stat, { v: 1 }, new Parse.ACL(ann));
    for (const [who, user] of [['a user', ann], ['a client', null]]) {
      const res = await h.rest('GET', `/aggregate/${Stat}`, { ...restAs(user), query: { pipeline: [{ $match: {} }] } });
      assert.equal(res.status, 403, `${who}: ${res.text}`);
      assert.equal(typeof res.body.error, 'string', res.text);
    }
    const ok = await h.rest('GET', `/aggregate/${Stat}`, { query: { pipeline: [{ $group: { _id: null, total: { $sum: '$v' } } }] } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.results[0].total, 1);
  });
});

describe('class-level permissions', () => {
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
    const sdkObject = new Parse.Object(name);
    sdkObject.id = id;
    await h.expectParseError(sdkObject.destroy(as(ann)), 119, 'an SDK delete by ann');
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
    await h.expectParseError(new Parse.Object(closed).save({ v: 3, extra: true }, as(ann)), 119, 'an SDK create with a new field');
    h.assertRestError(await h.rest('POST', `/classes/${closed}`, { key: 'js', body: { v: 1, extra: 'x' } }), 400, 119, 'a new field from a client without a user');
    assert.equal((await h.rest('GET', `/schemas/${closed}`)).body.fields.extra, undefined, 'the field was not added');
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

  test('the schema API: CLPs as set, invalid ones refused (107), schemas closed to clients', async () => {
    const clp = { ...OPEN, delete: {}, find: { requiresAuthentication: true }, readUserFields: ['owner'], protectedFields: { '*': ['phone'] } };
    const name = await classWith({ owner: { type: 'Pointer', targetClass: '_User' }, phone: { type: 'String' } }, clp);
    const schema = await h.rest('GET', `/schemas/${name}`);
    assert.deepEqual(schema.body.classLevelPermissions.find, { requiresAuthentication: true });
    assert.deepEqual(schema.body.classLevelPermissions.readUserFields, ['owner']);
    assert.deepEqual(schema.body.classLevelPermissions.protectedFields, { '*': ['phone'] });
    const got = await new Parse.Schema(name).get();
    for (const [op, v] of Object.entries(clp)) assert.deepEqual(got.classLevelPermissions[op], v, `Parse.Schema answers the CLP of ${op} as set`);
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

describe('pointer permissions', () => {
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

  test('requiresAuthentication with readUserFields and writeUserFields: a user is required, and only the pointed-to one reads and writes', async () => {
    const name = await classWith({ owner: { type: 'Pointer', targetClass: '_User' }, v: { type: 'Number' } }, {
      find: { requiresAuthentication: true }, get: { requiresAuthentication: true }, count: { requiresAuthentication: true },
      create: { '*': true }, update: {}, delete: {}, addField: {}, readUserFields: ['owner'], writeUserFields: ['owner'],
    });
    const mine = new Parse.Object(name);
    mine.set({ owner: ann, v: 1 });
    await mine.save(null, master);
    const anonymous = await h.rest('GET', `/classes/${name}`, { key: 'rest' });
    assert.ok(anonymous.status >= 400 && anonymous.status < 500, `a user is required: ${anonymous.text}`);
    assert.equal((await new Parse.Query(name).find(as(ann))).length, 1, 'the owner reads through readUserFields');
    assert.equal((await new Parse.Query(name).find(as(bob))).length, 0, 'another user reads nothing');
    mine.set('v', 2);
    await mine.save(null, as(ann));
    const other = await h.rest('PUT', `/classes/${name}/${mine.id}`, { ...restAs(bob), body: { v: 3 } });
    assert.ok(other.status >= 400 && other.status < 500, other.text);
    assert.equal((await new Parse.Query(name).get(mine.id, master)).get('v'), 2);
  });
});

describe('protected fields', () => {
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
});

describe('the master key and the read-only master key', () => {
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
});
