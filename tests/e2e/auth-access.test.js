'use strict';
// ACLs, roles and class-level permissions through the SDK: what one user may see and change of
// another's objects, on every route (get, find, count, include, relations, batch, aggregate).

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

async function signUp() {
  const user = new Parse.User();
  user.set({ username: `u_${h.rand(10)}`, password: 'pw-Secret-1' });
  await user.signUp(null, { useMasterKey: false });
  return user;
}

/** SDK options acting as `user` (no master key). */
const as = (user) => ({ sessionToken: user.getSessionToken(), useMasterKey: false });
/** REST options acting as `user` (the REST key and its session). */
const restAs = (user) => ({ key: 'rest', headers: user ? { 'X-Parse-Session-Token': user.getSessionToken() } : {} });

describe('ACLs', () => {
  let ann;
  let bob;
  before(async () => {
    await h.setup();
    ann = await signUp();
    bob = await signUp();
  });

  test('a private object: its owner reads and writes it, nobody else does', async () => {
    const Doc = h.cls('Doc');
    const doc = new Parse.Object(Doc);
    doc.set('title', 'secret');
    doc.setACL(new Parse.ACL(ann));
    await doc.save(null, { useMasterKey: true });

    const mine = await new Parse.Query(Doc).get(doc.id, as(ann));
    assert.equal(mine.get('title'), 'secret');
    await h.expectParseError(new Parse.Query(Doc).get(doc.id, as(bob)), 101, 'get as another user');
    await h.expectParseError(new Parse.Query(Doc).get(doc.id, { useMasterKey: false }), 101, 'get without a user');
    assert.equal((await new Parse.Query(Doc).find(as(bob))).length, 0, 'find as another user');
    assert.equal(await new Parse.Query(Doc).count(as(bob)), 0, 'count as another user');
    assert.equal(await new Parse.Query(Doc).count(as(ann)), 1, 'count as the owner');

    const update = await h.rest('PUT', `/classes/${Doc}/${doc.id}`, { ...restAs(bob), body: { title: 'mine now' } });
    h.assertRestError(update, 404, 101, 'update as another user');
    const del = await h.rest('DELETE', `/classes/${Doc}/${doc.id}`, restAs(bob));
    h.assertRestError(del, 404, 101, 'delete as another user');
    const batch = await h.rest('POST', '/batch', { ...restAs(bob), body: { requests: [{ method: 'PUT', path: `/parse/classes/${Doc}/${doc.id}`, body: { title: 'x' } }, { method: 'DELETE', path: `/parse/classes/${Doc}/${doc.id}` }] } });
    assert.equal(batch.status, 200, batch.text);
    assert.deepEqual(batch.body.map((r) => r.error && r.error.code), [101, 101], batch.text);
    const agg = await h.rest('GET', `/aggregate/${Doc}`, { ...restAs(bob), query: { pipeline: [{ $match: {} }] } });
    assert.ok(agg.status === 403 || agg.status === 400, `aggregate needs the master key: ${agg.text}`);

    const still = await new Parse.Query(Doc).get(doc.id, { useMasterKey: true });
    assert.equal(still.get('title'), 'secret', 'nothing changed');
  });

  test('public read, owner write', async () => {
    const Note = h.cls('Note');
    const acl = new Parse.ACL(ann);
    acl.setPublicReadAccess(true);
    const note = new Parse.Object(Note);
    note.set('text', 'hello');
    note.setACL(acl);
    await note.save(null, { useMasterKey: true });
    const read = await new Parse.Query(Note).get(note.id, as(bob));
    assert.equal(read.get('text'), 'hello');
    read.set('text', 'changed');
    await h.expectParseError(read.save(null, as(bob)), 101, 'a save by a reader');
    note.set('text', 'edited');
    await note.save(null, as(ann));
    assert.equal((await new Parse.Query(Note).get(note.id, as(bob))).get('text'), 'edited');
  });

  test('include and relations never reveal hidden objects', async () => {
    const Secret = h.cls('Secret');
    const Post = h.cls('Post');
    const secret = new Parse.Object(Secret);
    secret.set('code', 42);
    secret.setACL(new Parse.ACL(ann));
    await secret.save(null, { useMasterKey: true });
    const post = new Parse.Object(Post);
    post.set('ref', secret);
    post.relation('refs').add(secret);
    await post.save(null, { useMasterKey: true });

    const seen = await new Parse.Query(Post).include('ref').get(post.id, as(bob));
    const ref = seen.get('ref');
    assert.ok(!ref || ref.get('code') === undefined, 'the hidden object is not included');
    const own = await new Parse.Query(Post).include('ref').get(post.id, as(ann));
    assert.equal(own.get('ref').get('code'), 42, 'the owner gets it included');
    assert.equal((await seen.relation('refs').query().find(as(bob))).length, 0, 'the relation hides it');
    assert.equal((await own.relation('refs').query().find(as(ann))).length, 1);
    const inQuery = await new Parse.Query(Post).matchesQuery('ref', new Parse.Query(Secret)).find(as(bob));
    assert.equal(inQuery.length, 0, '$inQuery sees only readable objects');
  });
});

describe('roles', () => {
  before(async () => {
    await h.setup();
  });

  test('role members read what the role may read, through child roles too', async () => {
    const [ann, bob, cid] = [await signUp(), await signUp(), await signUp()];
    const roleAcl = new Parse.ACL();
    roleAcl.setPublicReadAccess(true);
    const editors = new Parse.Role(`editors_${h.rand(6)}`, roleAcl);
    editors.getUsers().add(ann);
    await editors.save(null, { useMasterKey: true });
    // Members of `juniors` get what `editors` may do: juniors is a child role of editors.
    const juniors = new Parse.Role(`juniors_${h.rand(6)}`, roleAcl);
    juniors.getUsers().add(bob);
    await juniors.save(null, { useMasterKey: true });
    editors.getRoles().add(juniors);
    await editors.save(null, { useMasterKey: true });

    const Draft = h.cls('Draft');
    const acl = new Parse.ACL();
    acl.setRoleReadAccess(editors, true);
    const draft = new Parse.Object(Draft);
    draft.set('v', 1);
    draft.setACL(acl);
    await draft.save(null, { useMasterKey: true });

    assert.equal((await new Parse.Query(Draft).get(draft.id, as(ann))).get('v'), 1, 'a direct member');
    assert.equal((await new Parse.Query(Draft).get(draft.id, as(bob))).get('v'), 1, 'a member of a child role');
    await h.expectParseError(new Parse.Query(Draft).get(draft.id, as(cid)), 101, 'a user in no role');

    // Leaving the role takes the access away at once.
    juniors.getUsers().remove(bob);
    await juniors.save(null, { useMasterKey: true });
    await h.expectParseError(new Parse.Query(Draft).get(draft.id, as(bob)), 101, 'after leaving the role');
  });
});

describe('class-level permissions', () => {
  before(async () => {
    await h.setup();
  });

  async function withClp(fields, clp) {
    const name = h.cls('Clp');
    const res = await h.rest('POST', `/schemas/${name}`, { body: { className: name, fields, classLevelPermissions: clp } });
    assert.equal(res.status, 200, res.text);
    return name;
  }

  test('find, get, create and delete per user and role; master key bypasses', async () => {
    const [ann, bob] = [await signUp(), await signUp()];
    const name = await withClp({ n: { type: 'Number' } }, {
      find: { [ann.id]: true }, get: { [ann.id]: true, [bob.id]: true }, count: { [ann.id]: true },
      create: { [ann.id]: true }, update: { [ann.id]: true }, delete: {}, addField: {}, protectedFields: {},
    });
    const o = new Parse.Object(name);
    o.set('n', 1);
    await o.save(null, as(ann));
    await h.expectParseError(new Parse.Object(name).save({ n: 2 }, as(bob)), 119, 'create without the permission');
    assert.equal((await new Parse.Query(name).find(as(ann))).length, 1);
    await h.expectParseError(new Parse.Query(name).find(as(bob)), 119, 'find without the permission');
    assert.equal((await new Parse.Query(name).get(o.id, as(bob))).get('n'), 1, 'get with the permission');
    await h.expectParseError(o.destroy(as(ann)), 119, 'delete granted to nobody');
    await h.expectParseError(new Parse.Object(name).save({ n: 3, extra: true }, as(ann)), 119, 'a new field without addField');
    await o.destroy({ useMasterKey: true });
  });

  test('requiresAuthentication and pointer permissions', async () => {
    const [ann, bob] = [await signUp(), await signUp()];
    const name = await withClp({ owner: { type: 'Pointer', targetClass: '_User' }, v: { type: 'Number' } }, {
      find: { requiresAuthentication: true }, get: { requiresAuthentication: true }, count: { requiresAuthentication: true },
      create: { '*': true }, update: {}, delete: {}, addField: {}, readUserFields: ['owner'], writeUserFields: ['owner'],
    });
    const mine = new Parse.Object(name);
    mine.set({ owner: ann, v: 1 });
    await mine.save(null, { useMasterKey: true });
    const anonymous = await h.rest('GET', `/classes/${name}`, { key: 'rest' });
    assert.ok(anonymous.status >= 400 && anonymous.status < 500, `a user is required: ${anonymous.text}`);
    assert.equal((await new Parse.Query(name).find(as(ann))).length, 1, 'the owner reads through readUserFields');
    assert.equal((await new Parse.Query(name).find(as(bob))).length, 0, 'another user reads nothing');
    mine.set('v', 2);
    await mine.save(null, as(ann));
    const other = await h.rest('PUT', `/classes/${name}/${mine.id}`, { ...restAs(bob), body: { v: 3 } });
    assert.ok(other.status >= 400 && other.status < 500, other.text);
    assert.equal((await new Parse.Query(name).get(mine.id, { useMasterKey: true })).get('v'), 2);
  });

  test('protected fields', async () => {
    const [ann, bob] = [await signUp(), await signUp()];
    const name = await withClp({ owner: { type: 'Pointer', targetClass: '_User' }, phone: { type: 'String' }, city: { type: 'String' } }, {
      find: { '*': true }, get: { '*': true }, count: { '*': true }, create: { '*': true }, update: { '*': true }, delete: { '*': true }, addField: {},
      protectedFields: { '*': ['phone'], 'userField:owner': [] },
    });
    const card = new Parse.Object(name);
    card.set({ owner: ann, phone: '555-0100', city: 'Oslo' });
    await card.save(null, { useMasterKey: true });
    const forBob = await new Parse.Query(name).get(card.id, as(bob));
    assert.equal(forBob.get('phone'), undefined, 'hidden from others');
    assert.equal(forBob.get('city'), 'Oslo');
    const forAnn = await new Parse.Query(name).get(card.id, as(ann));
    assert.equal(forAnn.get('phone'), '555-0100', 'the owner (userField:owner) sees it');
    const master = await new Parse.Query(name).get(card.id, { useMasterKey: true });
    assert.equal(master.get('phone'), '555-0100');
  });

  test('the read-only master key reads everything and writes nothing', async () => {
    const Thing = h.cls('RoThing');
    const o = new Parse.Object(Thing);
    o.setACL(new Parse.ACL());
    o.set('v', 1);
    await o.save(null, { useMasterKey: true });
    const read = await h.rest('GET', `/classes/${Thing}/${o.id}`, { key: 'readOnlyMaster' });
    assert.equal(read.status, 200, read.text);
    const write = await h.rest('PUT', `/classes/${Thing}/${o.id}`, { key: 'readOnlyMaster', body: { v: 2 } });
    assert.ok(write.status >= 400 && write.status < 500 && write.body.code === 119, write.text);
    const schema = await h.rest('PUT', `/schemas/${Thing}`, { key: 'readOnlyMaster', body: { fields: { w: { type: 'Number' } } } });
    assert.ok(schema.status >= 400 && schema.status < 500, schema.text);
  });
});
