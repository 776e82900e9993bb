'use strict';
// Roles: members get the role's access; a role's child roles get it too (Parse's direction:
// `parent.getRoles().add(child)` gives the child's users what the parent may do), through several
// levels; leaving a role takes access away at once; the role object's own ACL decides who may
// change its members; and Parse's rules for creating roles.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { as, restAs, signUp } = require('../lib/users');
const { Parse } = h;

const master = { useMasterKey: true };

/** A role saved with the master key: `users` as members, public read by default. */
async function role(prefix, users = [], acl) {
  const roleAcl = acl || new Parse.ACL();
  if (!acl) roleAcl.setPublicReadAccess(true);
  const r = new Parse.Role(`${prefix}_${h.rand(8)}`, roleAcl);
  if (users.length) r.getUsers().add(users);
  await r.save(null, master);
  return r;
}

/** An object of a new class readable (and writable when `write`) by `r` only. */
async function guarded(r, write = false) {
  const acl = new Parse.ACL();
  acl.setRoleReadAccess(r, true);
  if (write) acl.setRoleWriteAccess(r, true);
  const o = new Parse.Object(h.cls('Guarded'));
  o.set('v', 1);
  o.setACL(acl);
  await o.save(null, master);
  return o;
}

const canRead = async (o, user) => {
  try {
    await new Parse.Query(o.className).get(o.id, as(user));
    return true;
  } catch (e) {
    assert.equal(e.code, 101, `refused reads are 101 (got ${e.code}: ${e.message})`);
    return false;
  }
};

describe('roles', () => {
  before(async () => {
    await h.setup();
  });

  test('members read and write what the role may; others get 101', async () => {
    const [ann, bob] = [await signUp(), await signUp()];
    const staff = await role('staff', [ann]);
    const o = await guarded(staff, true);
    assert.equal(await canRead(o, ann), true, 'a member');
    assert.equal(await canRead(o, bob), false, 'a non-member');
    assert.equal((await new Parse.Query(o.className).find(as(bob))).length, 0);
    const up = await h.rest('PUT', `/classes/${o.className}/${o.id}`, { ...restAs(ann), body: { v: 2 } });
    assert.equal(up.status, 200, up.text);
    h.assertRestError(await h.rest('PUT', `/classes/${o.className}/${o.id}`, { ...restAs(bob), body: { v: 3 } }), 404, 101, 'a non-member writing');
    h.assertRestError(await h.rest('DELETE', `/classes/${o.className}/${o.id}`, restAs(bob)), 404, 101, 'a non-member deleting');
    const del = await h.rest('DELETE', `/classes/${o.className}/${o.id}`, restAs(ann));
    assert.equal(del.status, 200, del.text);
  });

  test('child roles inherit the parent\'s access, through several levels, and not the other way', async () => {
    const [ann, bob, cid, dan] = [await signUp(), await signUp(), await signUp(), await signUp()];
    const editors = await role('editors', [ann]);
    const juniors = await role('juniors', [bob]);
    const interns = await role('interns', [cid]);
    // juniors is a child of editors, interns a child of juniors.
    editors.getRoles().add(juniors);
    await editors.save(null, master);
    juniors.getRoles().add(interns);
    await juniors.save(null, master);

    const forEditors = await guarded(editors, true);
    const forJuniors = await guarded(juniors);
    const forInterns = await guarded(interns);
    assert.equal(await canRead(forEditors, ann), true, 'a member of the role');
    assert.equal(await canRead(forEditors, bob), true, 'a member of a child role');
    assert.equal(await canRead(forEditors, cid), true, 'a member of a grandchild role');
    assert.equal(await canRead(forEditors, dan), false, 'a user in no role');
    assert.equal(await canRead(forJuniors, cid), true, 'interns get juniors\' access');
    assert.equal(await canRead(forJuniors, ann), false, 'a parent role\'s members get nothing of the child\'s');
    assert.equal(await canRead(forInterns, bob), false, 'nor of the grandchild\'s');
    assert.equal(await canRead(forInterns, cid), true);
    const up = await h.rest('PUT', `/classes/${forEditors.className}/${forEditors.id}`, { ...restAs(cid), body: { v: 5 } });
    assert.equal(up.status, 200, `write access is inherited too: ${up.text}`);
  });

  test('leaving a role, or a child role leaving its parent, takes the access away at once', async () => {
    const [ann, bob] = [await signUp(), await signUp()];
    const admins = await role('admins', [ann]);
    const helpers = await role('helpers', [bob]);
    admins.getRoles().add(helpers);
    await admins.save(null, master);
    const o = await guarded(admins);
    assert.equal(await canRead(o, ann), true);
    assert.equal(await canRead(o, bob), true);

    admins.getUsers().remove(ann);
    await admins.save(null, master);
    assert.equal(await canRead(o, ann), false, 'after leaving the role');
    admins.getRoles().remove(helpers);
    await admins.save(null, master);
    assert.equal(await canRead(o, bob), false, 'after the child role left');
    // And joining gives it at once.
    helpers.getUsers().add(ann);
    await helpers.save(null, master);
    admins.getRoles().add(helpers);
    await admins.save(null, master);
    assert.equal(await canRead(o, ann), true, 'after joining through the child role');
  });

  test('the role\'s ACL decides who may change its members', async () => {
    const [ann, bob, cid] = [await signUp(), await signUp(), await signUp()];
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    acl.setWriteAccess(ann, true);
    const team = await role('team', [], acl);
    const o = await guarded(team);

    // Bob may read the role but not add himself.
    const seen = await new Parse.Query(Parse.Role).get(team.id, as(bob));
    assert.equal(seen.getName(), team.getName());
    const self = await h.rest('PUT', `/roles/${team.id}`, { ...restAs(bob), body: { users: { __op: 'AddRelation', objects: [bob.toPointer()] } } });
    h.assertRestError(self, 404, 101, 'a user without write access joining');
    assert.equal(await canRead(o, bob), false);
    // Ann, who may write the role, adds Cid.
    const byAnn = await new Parse.Query(Parse.Role).get(team.id, as(ann));
    byAnn.getUsers().add(cid);
    await byAnn.save(null, as(ann));
    assert.equal(await canRead(o, cid), true, 'added by a user with write access');
    assert.equal(await canRead(o, ann), false, 'writing a role does not make one a member');
    // A role with a private ACL is invisible to clients.
    const hidden = await role('hidden', [ann], new Parse.ACL());
    await h.expectParseError(new Parse.Query(Parse.Role).get(hidden.id, as(ann)), 101, 'a role nobody may read, even as a member');
  });

  test('the roles of a user, found by querying users', async () => {
    const [ann, bob] = [await signUp(), await signUp()];
    const r1 = await role('one', [ann]);
    const r2 = await role('two', [ann, bob]);
    await role('three', [bob]);
    const anns = await new Parse.Query(Parse.Role).equalTo('users', ann).find(master);
    assert.deepEqual(anns.map((r) => r.id).sort(), [r1.id, r2.id].sort());
    const users = await r2.getUsers().query().find(master);
    assert.deepEqual(users.map((u) => u.id).sort(), [ann.id, bob.id].sort());
    const mine = await new Parse.Query(Parse.Role).equalTo('users', ann).find(as(ann));
    assert.deepEqual(mine.map((r) => r.id).sort(), [r1.id, r2.id].sort(), 'a user finds its public roles');
  });

  test('creating roles: a name and an ACL are required (111), names are unique (137)', async () => {
    const name = `uniq_${h.rand(8)}`;
    const made = await h.rest('POST', '/roles', { body: { name, ACL: { '*': { read: true } } } });
    assert.equal(made.status, 201, made.text);
    h.assertRestError(await h.rest('POST', '/roles', { body: { name, ACL: { '*': { read: true } } } }), 400, 137, 'a taken name');
    h.assertRestError(await h.rest('POST', '/roles', { body: { ACL: { '*': { read: true } } } }), 400, 111, 'no name');
    h.assertRestError(await h.rest('POST', '/roles', { body: { name: `noacl_${h.rand(6)}` } }), 400, 111, 'no ACL');
    const listed = await h.rest('GET', '/roles', { query: { where: { name } } });
    assert.equal(listed.body.results.length, 1, listed.text);
  });
});
