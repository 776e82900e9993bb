'use strict';
// Users and sessions through the official SDK, as an app's users meet them: sign up, log in and
// out, become, update themselves, anonymous users, linking authData, sessions listed and revoked,
// and Parse's error codes for each wrong move.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../lib/harness');
const { Parse } = h;

/** Fresh SDK options for the client's view: linkWith and AnonymousUtils.logIn write a sessionToken
 * into the options object they get, so a shared object would carry a stale token to later calls. */
const client = () => ({ useMasterKey: false });

/** A new user signed up through the SDK (as a client); returns it with its session token. */
async function signUp(extra = {}) {
  const user = new Parse.User();
  user.set({ username: `u_${h.rand(10)}`, password: 'pw-Secret-1', ...extra });
  await user.signUp(null, client());
  return user;
}

describe('users', () => {
  before(async () => {
    await h.setup();
    Parse.User.enableUnsafeCurrentUser();
  });

  test('sign up, log in, the current user, log out', async () => {
    const name = `ann_${h.rand(8)}`;
    const user = new Parse.User();
    user.set({ username: name, password: 'pw-Secret-1', email: `${name}@example.com`, city: 'Lyon' });
    await user.signUp(null, client());
    assert.ok(user.id && user.getSessionToken().startsWith('r:'), 'a session token comes back');
    assert.equal(user.get('password'), undefined, 'the password never comes back');

    const logged = await Parse.User.logIn(name, 'pw-Secret-1', client());
    assert.equal(logged.id, user.id);
    assert.notEqual(logged.getSessionToken(), user.getSessionToken(), 'each login is a new session');
    assert.equal(Parse.User.current().id, user.id, 'the SDK keeps the current user');

    const me = await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': logged.getSessionToken() } });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.username, name);
    assert.equal(me.body.email, `${name}@example.com`, 'a user sees its own email');
    assert.equal(me.body.sessionToken, logged.getSessionToken());

    const token = logged.getSessionToken();
    await Parse.User.logOut();
    assert.equal(Parse.User.current(), null);
    const after = await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': token } });
    h.assertRestError(after, 400, 209, 'a logged-out token');
  });

  test('become, and the current user updates itself but not others', async () => {
    const ann = await signUp();
    const bob = await signUp();
    const me = await Parse.User.become(ann.getSessionToken());
    assert.equal(me.id, ann.id);
    me.set('nickname', 'annie');
    await me.save(null, { sessionToken: ann.getSessionToken(), useMasterKey: false });
    const fetched = await new Parse.Query(Parse.User).get(ann.id);
    assert.equal(fetched.get('nickname'), 'annie');

    // Bob's token cannot change Ann (her ACL lets only her write).
    const res = await h.rest('PUT', `/users/${ann.id}`, { key: 'rest', headers: { 'X-Parse-Session-Token': bob.getSessionToken() }, body: { nickname: 'x' } });
    assert.ok(res.status >= 400 && res.status < 500, res.text);
    assert.ok([101, 206].includes(res.body.code), `refused with 101 or 206: ${res.text}`);
    const again = await new Parse.Query(Parse.User).get(ann.id);
    assert.equal(again.get('nickname'), 'annie');
  });

  test('users are private by default, and never show a password', async () => {
    const ann = await signUp({ email: `a_${h.rand(8)}@example.com` });
    const bob = await signUp();
    // As Parse Server 9 (enforcePrivateUsers): a new user's ACL lets only that user read it.
    const res = await h.rest('GET', '/users', { key: 'rest', headers: { 'X-Parse-Session-Token': bob.getSessionToken() }, query: { where: { objectId: ann.id } } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results, [], 'another user is not readable');
    // A user made public by its ACL shows, without its email.
    const me = await Parse.User.become(ann.getSessionToken());
    const acl = new Parse.ACL(me);
    acl.setPublicReadAccess(true);
    me.setACL(acl);
    await me.save(null, { sessionToken: ann.getSessionToken(), useMasterKey: false });
    const visible = await h.rest('GET', '/users', { key: 'rest', headers: { 'X-Parse-Session-Token': bob.getSessionToken() }, query: { where: { objectId: ann.id } } });
    assert.equal(visible.body.results.length, 1, visible.text);
    assert.equal(visible.body.results[0].email, undefined, 'another user\'s email is hidden');
    assert.ok(!/password/i.test(visible.text), 'no password or hash anywhere');
  });

  test('login over REST: GET with query parameters and POST with JSON', async () => {
    const ann = await signUp();
    const get = await h.rest('GET', '/login', { key: 'rest', query: { username: ann.get('username'), password: 'pw-Secret-1' } });
    assert.equal(get.status, 200, get.text);
    const post = await h.rest('POST', '/login', { key: 'rest', body: { username: ann.get('username'), password: 'pw-Secret-1' } });
    assert.equal(post.status, 200, post.text);
    assert.ok(post.body.sessionToken && post.body.sessionToken !== get.body.sessionToken);
    const verify = await h.rest('GET', '/verifyPassword', { key: 'rest', query: { username: ann.get('username'), password: 'pw-Secret-1' } });
    assert.equal(verify.status, 200, verify.text);
    assert.equal(verify.body.sessionToken, undefined, 'verifyPassword starts no session');
  });

  test('error codes of sign-up and login', async () => {
    const name = `dup_${h.rand(8)}`;
    await signUp({ username: name, email: `${name}@Example.com` });
    const cases = [
      [{ password: 'x' }, 200],
      [{ username: `n_${h.rand(6)}` }, 201],
      [{ username: name, password: 'x' }, 202],
      [{ username: `n_${h.rand(6)}`, password: 'x', email: `${name.toUpperCase()}@example.COM` }, 203],
      [{ username: `n_${h.rand(6)}`, password: 'x', email: 'not-an-email' }, 125],
    ];
    for (const [body, code] of cases) {
      const res = await h.rest('POST', '/users', { key: 'rest', body });
      h.assertRestError(res, 400, code, JSON.stringify(body));
    }
    await h.expectParseError(Parse.User.logIn(name, 'wrong-password', client()), 101, 'a wrong password');
    await h.expectParseError(Parse.User.logIn(`nobody_${h.rand(6)}`, 'pw', client()), 101, 'an unknown user');
    const res = await h.rest('GET', '/login', { key: 'rest', query: { username: name, password: 'wrong' } });
    h.assertRestError(res, 404, 101, 'a wrong password over REST');
    const bad = await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': 'r:not-a-token' } });
    h.assertRestError(bad, 400, 209, 'an invalid token');
  });

  test('anonymous users, and linking and unlinking authData', async () => {
    const anon = await Parse.AnonymousUtils.logIn(client());
    assert.ok(anon.id && anon.getSessionToken());
    assert.ok(Parse.AnonymousUtils.isLinked(anon), 'the user is anonymous');
    const authData = anon.get('authData');
    // The same anonymous id logs the same user in again.
    const again = await h.rest('POST', '/users', { key: 'rest', body: { authData } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.objectId, anon.id);

    // A password user links a second provider (any name the SDK knows no module for is sent as
    // given); the link keeps existing providers, and unlinking removes only that one.
    const user = await signUp();
    await Parse.User.become(user.getSessionToken());
    const current = Parse.User.current();
    await current.linkWith('anonymous', { authData: { id: crypto.randomUUID() } }, client());
    const linked = await new Parse.Query(Parse.User).get(user.id, { sessionToken: user.getSessionToken(), useMasterKey: false });
    assert.ok(linked.get('authData') && linked.get('authData').anonymous, 'linked');
    await current._unlinkFrom('anonymous', client());
    const unlinked = await new Parse.Query(Parse.User).get(user.id, { sessionToken: user.getSessionToken(), useMasterKey: false });
    assert.ok(!unlinked.get('authData') || !unlinked.get('authData').anonymous, 'unlinked');
    // The password still logs in.
    const back = await Parse.User.logIn(user.get('username'), 'pw-Secret-1', client());
    assert.equal(back.id, user.id);
  });

  test('loginAs needs the master key', async () => {
    const ann = await signUp();
    const refused = await h.rest('POST', '/loginAs', { key: 'rest', body: { userId: ann.id } });
    assert.ok(refused.status === 403 || refused.status === 400, refused.text);
    const res = await h.rest('POST', '/loginAs', { body: { userId: ann.id } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.objectId, ann.id);
    const me = await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': res.body.sessionToken } });
    assert.equal(me.body.objectId, ann.id);
  });
});

describe('sessions', () => {
  before(async () => {
    await h.setup();
    Parse.User.enableUnsafeCurrentUser();
  });

  test('a user lists and revokes its own sessions only', async () => {
    const bob = await signUp();
    const ann = await signUp();
    // A second session, on another device.
    const other = await h.rest('POST', '/login', { key: 'rest', headers: { 'X-Parse-Installation-Id': crypto.randomUUID() }, body: { username: ann.get('username'), password: 'pw-Secret-1' } });
    assert.equal(other.status, 200, other.text);
    const second = other.body.sessionToken;

    await Parse.User.become(ann.getSessionToken());
    const current = await Parse.Session.current();
    assert.equal(current.get('user').id, ann.id, 'Session.current is the current user\'s');
    const mine = await new Parse.Query(Parse.Session).find({ sessionToken: ann.getSessionToken(), useMasterKey: false });
    assert.equal(mine.length, 2, 'both of Ann\'s sessions');
    assert.ok(mine.every((s) => s.get('user').id === ann.id));

    // Bob sees none of them and cannot end them.
    const bobs = await new Parse.Query(Parse.Session).find({ sessionToken: bob.getSessionToken(), useMasterKey: false });
    assert.ok(bobs.every((s) => s.get('user').id === bob.id));
    const secondId = (await h.rest('GET', '/sessions/me', { key: 'rest', headers: { 'X-Parse-Session-Token': second } })).body.objectId;
    assert.ok(mine.some((s) => s.id === secondId));
    const denied = await h.rest('DELETE', `/sessions/${secondId}`, { key: 'rest', headers: { 'X-Parse-Session-Token': bob.getSessionToken() } });
    assert.ok(denied.status >= 400 && denied.status < 500, denied.text);
    assert.equal((await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': second } })).status, 200, 'still valid');

    // Ann revokes her second session from her first: its token fails at once.
    await mine.find((s) => s.id === secondId).destroy({ sessionToken: ann.getSessionToken(), useMasterKey: false });
    const gone = await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': second } });
    h.assertRestError(gone, 400, 209, 'a revoked session');
    const still = await h.rest('GET', '/sessions/me', { key: 'rest', headers: { 'X-Parse-Session-Token': ann.getSessionToken() } });
    assert.equal(still.status, 200, still.text);
  });

  test('a user creates sessions for itself only', async () => {
    const ann = await signUp();
    const bob = await signUp();
    const made = await h.rest('POST', '/sessions', { key: 'rest', headers: { 'X-Parse-Session-Token': ann.getSessionToken() }, body: {} });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.user.objectId, ann.id);
    const me = await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': made.body.sessionToken } });
    assert.equal(me.body.objectId, ann.id);
    // Naming another user makes no difference: the session is the caller's.
    const forOther = await h.rest('POST', '/sessions', { key: 'rest', headers: { 'X-Parse-Session-Token': ann.getSessionToken() }, body: { user: { __type: 'Pointer', className: '_User', objectId: bob.id } } });
    assert.equal(forOther.status, 201, forOther.text);
    assert.equal(forOther.body.user.objectId, ann.id);
    const anonymous = await h.rest('POST', '/sessions', { key: 'rest', body: {} });
    assert.ok(anonymous.status >= 400 && anonymous.status < 500, anonymous.text);
  });
});
