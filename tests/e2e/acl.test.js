'use strict';
// Object ACLs in depth: what another user, or a client with no user, sees and may change of an
// object on every route (get, find, count, include, relations, subqueries, batch, aggregate), for
// ACLs naming a user, the public, nobody, or a role.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

const master = { useMasterKey: true };
/** SDK options acting as `user`. */
const as = (user) => ({ sessionToken: user.getSessionToken(), useMasterKey: false });
/** REST options acting as `user` (none: a client without a user). */
const restAs = (user) => ({ key: 'rest', headers: user ? { 'X-Parse-Session-Token': user.getSessionToken() } : {} });
const pointer = (className, id) => ({ __type: 'Pointer', className, objectId: id });

async function signUp() {
  const user = new Parse.User();
  user.set({ username: `u_${h.rand(10)}`, password: 'pw-Secret-1' });
  await user.signUp(null, { useMasterKey: false });
  return user;
}

/** Saves an object of `className` with the master key, with `attrs` and `acl` (a Parse.ACL). */
async function make(className, attrs, acl) {
  const o = new Parse.Object(className);
  o.set(attrs);
  if (acl) o.setACL(acl);
  await o.save(null, master);
  return o;
}

describe('ACLs', () => {
  let ann;
  let bob;
  before(async () => {
    await h.setup();
    ann = await signUp();
    bob = await signUp();
  });

  test('an object of one user: hidden from other users and from clients without a user', async () => {
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
