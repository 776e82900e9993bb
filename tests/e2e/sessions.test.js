'use strict';
// Sessions as Parse clients meet them: Parse.Session.current(), /sessions/me, what a session
// records (createdWith, installationId, expiresAt), listing and revoking one's own sessions, and
// everything a client may not do with sessions (another user's, none at all, ACLs, expiry).

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../lib/harness');
const { PASSWORD, client, withToken, userPointer, signUpRest } = require('../lib/users');
const { Parse } = h;

/** A new session of `user` by login, from installation `installationId` (none by default). */
async function login(user, installationId) {
  const res = await h.rest('POST', '/login', { key: 'rest', headers: installationId ? { 'X-Parse-Installation-Id': installationId } : {}, body: { username: user.username, password: PASSWORD } });
  assert.equal(res.status, 200, res.text);
  return res.body.sessionToken;
}

async function sessionOf(token) {
  const res = await h.rest('GET', '/sessions/me', withToken(token));
  assert.equal(res.status, 200, res.text);
  return res.body;
}

describe('sessions', () => {
  before(async () => {
    await h.setup();
    Parse.User.enableUnsafeCurrentUser();
  });

  test('Parse.Session.current() is the current user\'s session, as /sessions/me', async () => {
    const user = await signUpRest();
    await Parse.User.become(user.token);
    const current = await Parse.Session.current();
    assert.equal(current.getSessionToken(), user.token);
    assert.equal(current.get('user').id, user.id);
    const me = await sessionOf(user.token);
    assert.equal(me.objectId, current.id);
    assert.equal(me.sessionToken, user.token);
    assert.deepEqual(me.user, userPointer(user.id));
    assert.equal(me.expiresAt.__type, 'Date');
    const expires = Date.parse(me.expiresAt.iso);
    assert.ok(expires > Date.now() + 300 * 86400e3, `a session lasts about a year by default: ${me.expiresAt.iso}`);
    await Parse.User.logOut();
  });

  test('what a session records: how it was created and from which installation', async () => {
    const user = await signUpRest();
    assert.deepEqual((await sessionOf(user.token)).createdWith, { action: 'signup', authProvider: 'password' });
    const installationId = crypto.randomUUID();
    const byLogin = await sessionOf(await login(user, installationId));
    assert.deepEqual(byLogin.createdWith, { action: 'login', authProvider: 'password' });
    assert.equal(byLogin.installationId, installationId);
    const anon = await h.rest('POST', '/users', { key: 'rest', body: { authData: { anonymous: { id: crypto.randomUUID() } } } });
    assert.equal(anon.status, 201, anon.text);
    assert.deepEqual((await sessionOf(anon.body.sessionToken)).createdWith, { action: 'login', authProvider: 'anonymous' }, 'Parse records an anonymous sign-up as a login');
    const made = await h.rest('POST', '/sessions', { ...withToken(user.token), body: {} });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.user.objectId, user.id, made.text);
    assert.deepEqual((await sessionOf(made.body.sessionToken)).createdWith, { action: 'create' });
    assert.equal((await h.rest('GET', '/users/me', withToken(made.body.sessionToken))).body.objectId, user.id, 'the new session works');
  });

  test('a login replaces the earlier session of the same installation only', async () => {
    const user = await signUpRest();
    const device = crypto.randomUUID();
    const first = await login(user, device);
    const other = await login(user, crypto.randomUUID());
    const second = await login(user, device);
    h.assertRestError(await h.rest('GET', '/users/me', withToken(first)), 400, 209, 'the earlier session of the same installation');
    for (const token of [second, other, user.token]) {
      assert.equal((await h.rest('GET', '/users/me', withToken(token))).status, 200, 'the other sessions stay');
    }
  });

  test('a user lists its own sessions only, with their tokens', async () => {
    const ann = await signUpRest();
    const bob = await signUpRest();
    const annSecond = await login(ann);
    await login(bob);
    const mine = await new Parse.Query(Parse.Session).find({ sessionToken: ann.token, useMasterKey: false });
    assert.equal(mine.length, 2, 'both of Ann\'s sessions');
    assert.ok(mine.every((s) => s.get('user').id === ann.id));
    if (h.isHearth) {
      // Hearth stores session tokens only as hashes, so a listing cannot show them
      // (docs/users-and-security.md); Parse Server shows each session's token.
      assert.ok(mine.every((s) => !s.getSessionToken()), 'no token is shown');
    } else {
      assert.deepEqual(mine.map((s) => s.getSessionToken()).sort(), [ann.token, annSecond].sort(), 'each with its token');
    }
    assert.equal(await new Parse.Query(Parse.Session).count({ sessionToken: ann.token, useMasterKey: false }), 2);
    // Asking for Bob's sessions by name finds nothing.
    const bobs = await h.rest('GET', '/sessions', { ...withToken(ann.token), query: { where: { user: userPointer(bob.id) } } });
    assert.equal(bobs.status, 200, bobs.text);
    assert.deepEqual(bobs.body.results, []);
    // `keys` works on sessions as on any class.
    const keys = await h.rest('GET', '/sessions', { ...withToken(ann.token), query: { keys: 'sessionToken' } });
    assert.equal(keys.status, 200, keys.text);
    assert.equal(keys.body.results.length, 2, keys.text);
    if (!h.isHearth) assert.deepEqual(keys.body.results.map((s) => s.sessionToken).sort(), [ann.token, annSecond].sort(), keys.text);
    assert.ok(keys.body.results.every((s) => s.user === undefined), `only the keys asked for: ${keys.text}`);
    // The master key sees every session of any user.
    const all = await h.rest('GET', '/sessions', { query: { where: { user: userPointer(bob.id) } } });
    assert.equal(all.body.results.length, 2, all.text);
  });

  test('revoking a session: its token fails with 209 at once, the others keep working', async () => {
    const user = await signUpRest();
    const second = await login(user);
    const target = await sessionOf(second);
    const session = await new Parse.Query(Parse.Session).get(target.objectId, { sessionToken: user.token, useMasterKey: false });
    await session.destroy({ sessionToken: user.token, useMasterKey: false });
    h.assertRestError(await h.rest('GET', '/users/me', withToken(second)), 400, 209, '/users/me with a revoked token');
    h.assertRestError(await h.rest('GET', '/sessions/me', withToken(second)), 400, 209, '/sessions/me with a revoked token');
    h.assertRestError(await h.rest('GET', '/classes/_Session', withToken(second)), 400, 209, 'a query with a revoked token');
    assert.equal((await h.rest('GET', '/users/me', withToken(user.token))).status, 200, 'the other session stays');
    // A session may end itself over REST too.
    const third = await login(user);
    const own = await sessionOf(third);
    const del = await h.rest('DELETE', `/sessions/${own.objectId}`, withToken(third));
    assert.equal(del.status, 200, del.text);
    h.assertRestError(await h.rest('GET', '/users/me', withToken(third)), 400, 209, 'a session that deleted itself');
    // Logging out removes the session record.
    const fourth = await login(user);
    await h.rest('POST', '/logout', withToken(fourth));
    const gone = await h.rest('GET', '/sessions', { query: { where: { sessionToken: fourth } } });
    assert.deepEqual(gone.body.results, [], gone.text);
  });

  test('another user\'s session cannot be read, changed or deleted (101)', async () => {
    const ann = await signUpRest();
    const bob = await signUpRest();
    const annSession = await sessionOf(ann.token);
    h.assertRestError(await h.rest('GET', `/sessions/${annSession.objectId}`, withToken(bob.token)), 404, 101, 'get');
    h.assertRestError(await h.rest('PUT', `/sessions/${annSession.objectId}`, { ...withToken(bob.token), body: { note: 'x' } }), 404, 101, 'update');
    h.assertRestError(await h.rest('DELETE', `/sessions/${annSession.objectId}`, withToken(bob.token)), 404, 101, 'delete');
    await h.expectParseError(new Parse.Query(Parse.Session).get(annSession.objectId, { sessionToken: bob.token, useMasterKey: false }), 101, 'the SDK, get');
    assert.equal((await h.rest('GET', '/users/me', withToken(ann.token))).status, 200, 'Ann\'s session still works');
  });

  test('without a session: /sessions/me, listing, reading and creating sessions are 209', async () => {
    await Parse.User.logOut();
    const user = await signUpRest();
    const session = await sessionOf(user.token);
    h.assertRestError(await h.rest('GET', '/sessions/me', { key: 'rest' }), 400, 209, '/sessions/me without a token');
    h.assertRestError(await h.rest('GET', '/sessions/me', withToken('r:0123456789abcdef')), 400, 209, '/sessions/me with a bad token');
    h.assertRestError(await h.rest('GET', '/sessions', { key: 'rest' }), 400, 209, 'listing sessions');
    h.assertRestError(await h.rest('GET', `/sessions/${session.objectId}`, { key: 'rest' }), 400, 209, 'reading a session');
    h.assertRestError(await h.rest('POST', '/sessions', { key: 'rest', body: {} }), 400, 209, 'creating a session');
    h.assertRestError(await h.rest('POST', '/sessions', { key: 'rest', body: { user: userPointer(user.id) } }), 400, 209, 'creating a session for a named user');
    await h.expectParseError(new Parse.Object('_Session').save({}, client()), 209, 'the SDK, creating a session');
  });

  test('a user may note things on its session, but not set its ACL or move it to another user (105)', async () => {
    const ann = await signUpRest();
    const bob = await signUpRest();
    const session = await sessionOf(ann.token);
    const note = await h.rest('PUT', `/sessions/${session.objectId}`, { ...withToken(ann.token), body: { device: 'laptop' } });
    assert.equal(note.status, 200, note.text);
    assert.equal((await sessionOf(ann.token)).device, 'laptop');
    h.assertRestError(await h.rest('PUT', `/sessions/${session.objectId}`, { ...withToken(ann.token), body: { ACL: { '*': { read: true } } } }), 400, 105, 'an ACL on a session');
    h.assertRestError(await h.rest('PUT', `/sessions/${session.objectId}`, { ...withToken(ann.token), body: { user: userPointer(bob.id) } }), 400, 105, 'moving the session to another user');
    const still = await sessionOf(ann.token);
    assert.equal(still.user.objectId, ann.id);
    h.assertRestError(await h.rest('GET', `/sessions/${session.objectId}`, withToken(bob.token)), 404, 101, 'Bob still cannot read it');
  });

  test('an expired session answers 209 "Session token is expired."', async () => {
    const user = await signUpRest();
    const token = await login(user);
    const session = await sessionOf(token);
    const res = await h.rest('PUT', `/sessions/${session.objectId}`, { body: { expiresAt: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } } });
    assert.equal(res.status, 200, res.text);
    const me = await h.rest('GET', '/users/me', withToken(token));
    h.assertRestError(me, 400, 209, 'an expired session');
    assert.equal(me.body.error, 'Session token is expired.');
    h.assertRestError(await h.rest('GET', '/classes/_User', withToken(token)), 400, 209, 'a query with an expired session');
    assert.equal((await h.rest('GET', '/users/me', withToken(user.token))).status, 200, 'the user\'s other session is fine');
  });

  test('the master key writes a session as given; a user creates sessions for itself only', async () => {
    const ann = await signUpRest();
    const bob = await signUpRest();
    const token = `r:${h.rand(32)}`;
    const expiresAt = { __type: 'Date', iso: new Date(Date.now() + 86400e3).toISOString() };
    const made = await h.rest('POST', '/sessions', { body: { user: userPointer(ann.id), sessionToken: token, expiresAt } });
    assert.equal(made.status, 201, made.text);
    const byMaster = await h.rest('GET', `/sessions/${made.body.objectId}`);
    assert.equal(byMaster.body.user.objectId, ann.id, byMaster.text);
    // Hearth keeps only the token's hash (docs/users-and-security.md): the token works, but no
    // read shows it again.
    assert.equal(byMaster.body.sessionToken, h.isHearth ? undefined : token);
    assert.equal((await h.rest('GET', '/users/me', withToken(token))).body.objectId, ann.id, 'the session works');
    const forOther = await h.rest('POST', '/sessions', { ...withToken(ann.token), body: { user: userPointer(bob.id) } });
    assert.equal(forOther.status, 201, forOther.text);
    assert.equal(forOther.body.user.objectId, ann.id, 'the session is the caller\'s whatever it names');
  });
});
