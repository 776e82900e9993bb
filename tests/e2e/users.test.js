'use strict';
// Users, through the SDK and the REST API: sign-up, the three ways to log in, log out,
// become, a user changing itself (and nobody else), anonymous users and their conversion, authData
// links, verifyPassword, loginAs, and the exact Parse error (status, code) of each wrong move.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../lib/harness');
const { PASSWORD, client, as, withToken, userPointer, signUp } = require('../lib/users');
const { Parse } = h;

/** Asserts that no key of `body` (deeply) names a password or its hash, and that the clear
 * password is nowhere in `text`. */
function assertNoPassword(res, what) {
  assert.ok(!res.text.includes(PASSWORD), `${what}: the clear password is not in the answer`);
  const walk = (v, path) => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      assert.ok(!/password/i.test(k), `${what}: no "${path}${k}" in the answer: ${res.text}`);
      walk(x, `${path}${k}.`);
    }
  };
  walk(res.body, '');
}

describe('users', () => {
  before(async () => {
    await h.setup();
    Parse.User.enableUnsafeCurrentUser();
  });

  test('sign-up answers 201 with a revocable session and the user\'s Location', async () => {
    const name = `su_${h.rand(8)}`;
    const res = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password: PASSWORD, city: 'Lyon' } });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.objectId, /^[A-Za-z0-9]+$/);
    assert.match(res.body.sessionToken, /^r:/);
    assert.ok(res.body.createdAt, res.text);
    assert.equal(res.headers.get('location'), `${h.PARSE_URL}/users/${res.body.objectId}`, 'Location names the user under /users');
    assertNoPassword(res, 'sign-up');
    const me = await h.rest('GET', '/users/me', withToken(res.body.sessionToken));
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.objectId, res.body.objectId);
    assert.equal(me.body.city, 'Lyon');
    assert.equal(me.body.sessionToken, res.body.sessionToken);
    assert.deepEqual(me.body.ACL, { [res.body.objectId]: { read: true, write: true } }, 'a new user is readable and writable by itself only');
  });

  test('log in with the SDK, GET /login, POST /login, and POST /login by email', async () => {
    const name = `li_${h.rand(8)}`;
    const email = `${name}@example.com`;
    const user = await signUp({ username: name, email });
    const sdk = await Parse.User.logIn(name, PASSWORD, client());
    assert.equal(sdk.id, user.id);
    assert.equal(Parse.User.current().id, user.id, 'the SDK keeps the current user');
    const get = await h.rest('GET', '/login', { key: 'rest', query: { username: name, password: PASSWORD } });
    const post = await h.rest('POST', '/login', { key: 'rest', body: { username: name, password: PASSWORD } });
    const byEmail = await h.rest('POST', '/login', { key: 'rest', body: { email, password: PASSWORD } });
    const tokens = new Set([user.getSessionToken(), sdk.getSessionToken()]);
    for (const [what, res] of [['GET /login', get], ['POST /login', post], ['POST /login by email', byEmail]]) {
      assert.equal(res.status, 200, `${what}: ${res.text}`);
      assert.equal(res.body.objectId, user.id, what);
      assert.equal(res.body.username, name, what);
      assert.equal(res.body.email, email, `${what}: the user sees its own email`);
      assert.match(res.body.sessionToken, /^r:/, what);
      assert.ok(!tokens.has(res.body.sessionToken), `${what}: each login is a new session`);
      tokens.add(res.body.sessionToken);
      assertNoPassword(res, what);
    }
    await Parse.User.logOut();
  });

  test('log out ends the session: its token answers 209 everywhere', async () => {
    const user = await signUp();
    const logged = await Parse.User.logIn(user.getUsername(), PASSWORD, client());
    const token = logged.getSessionToken();
    await Parse.User.logOut();
    assert.equal(Parse.User.current(), null);
    h.assertRestError(await h.rest('GET', '/users/me', withToken(token)), 400, 209, '/users/me with a logged-out token');
    h.assertRestError(await h.rest('GET', '/classes/_User', withToken(token)), 400, 209, 'a query with a logged-out token');
    h.assertRestError(await h.rest('POST', '/logout', withToken(token)), 400, 209, 'logging out twice');
    const none = await h.rest('POST', '/logout', { key: 'rest' });
    assert.equal(none.status, 200, `logging out without a session is a no-op: ${none.text}`);
    assert.deepEqual(none.body, {});
    // Over REST too; a session of another installation is untouched (the SDK's own logins share
    // one installation id, and a login replaces the session of its installation).
    const kept = await h.rest('POST', '/login', { key: 'rest', body: { username: user.getUsername(), password: PASSWORD } });
    const other = await h.rest('POST', '/login', { key: 'rest', body: { username: user.getUsername(), password: PASSWORD } });
    const out = await h.rest('POST', '/logout', withToken(other.body.sessionToken));
    assert.equal(out.status, 200, out.text);
    assert.deepEqual(out.body, {});
    h.assertRestError(await h.rest('GET', '/users/me', withToken(other.body.sessionToken)), 400, 209, 'after POST /logout');
    assert.equal((await h.rest('GET', '/users/me', withToken(kept.body.sessionToken))).status, 200, 'other sessions stay');
  });

  test('become: a session token makes its user current; a bad one is 209', async () => {
    const user = await signUp({ city: 'Oslo' });
    const me = await Parse.User.become(user.getSessionToken());
    assert.equal(me.id, user.id);
    assert.equal(me.get('city'), 'Oslo');
    assert.equal(Parse.User.current().getSessionToken(), user.getSessionToken());
    await h.expectParseError(Parse.User.become('r:0123456789abcdef'), 209, 'become with a bad token');
    h.assertRestError(await h.rest('GET', '/users/me', { key: 'rest' }), 400, 209, '/users/me without a token');
    h.assertRestError(await h.rest('GET', '/users/me', withToken('r:0123456789abcdef')), 400, 209, '/users/me with a bad token');
    h.assertRestError(await h.rest('GET', '/classes/_User', withToken('not-even-a-token')), 400, 209, 'a query with a bad token');
  });

  test('a user changes its own fields; another user, or none, cannot (206)', async () => {
    const ann = await signUp();
    const bob = await signUp();
    const me = await Parse.User.become(ann.getSessionToken());
    me.set('nickname', 'annie');
    await me.save(null, client());
    const renamed = `ann_${h.rand(8)}`;
    const put = await h.rest('PUT', `/users/${ann.id}`, { ...withToken(ann.getSessionToken()), body: { username: renamed } });
    assert.equal(put.status, 200, put.text);
    assert.ok(put.body.updatedAt, put.text);
    const logged = await Parse.User.logIn(renamed, PASSWORD, client());
    assert.equal(logged.get('nickname'), 'annie');

    // Parse answers 206 (session missing) for a user changed without that user's session.
    h.assertRestError(await h.rest('PUT', `/users/${ann.id}`, { ...withToken(bob.getSessionToken()), body: { nickname: 'x' } }), 400, 206, 'update by another user');
    h.assertRestError(await h.rest('PUT', `/users/${ann.id}`, { key: 'rest', body: { nickname: 'x' } }), 400, 206, 'update without a session');
    h.assertRestError(await h.rest('DELETE', `/users/${ann.id}`, withToken(bob.getSessionToken())), 400, 206, 'delete by another user');
    h.assertRestError(await h.rest('DELETE', `/users/${ann.id}`, { key: 'rest' }), 400, 206, 'delete without a session');
    // The SDK: a user object fetched elsewhere, saved without its session.
    const fetched = await new Parse.Query(Parse.User).get(ann.id, { useMasterKey: true });
    fetched.set('nickname', 'hijacked');
    await h.expectParseError(fetched.save(null, as(bob)), 206, 'an SDK save with another user\'s session');
    const again = await new Parse.Query(Parse.User).get(ann.id, { useMasterKey: true });
    assert.equal(again.get('nickname'), 'annie', 'nothing changed');
    await Parse.User.logOut();
  });

  test('a user reading itself gets its session token back; a deleted user\'s token is 209', async () => {
    const user = await signUp();
    const own = await h.rest('GET', `/users/${user.id}`, withToken(user.getSessionToken()));
    assert.equal(own.status, 200, own.text);
    assert.equal(own.body.sessionToken, user.getSessionToken(), 'GET /users/<own id> carries the caller\'s session token');
    const master = await h.rest('GET', `/users/${user.id}`);
    assert.equal(master.body.sessionToken, undefined, 'the master key gets no session token');
    const del = await h.rest('DELETE', `/users/${user.id}`, withToken(user.getSessionToken()));
    assert.equal(del.status, 200, del.text);
    h.assertRestError(await h.rest('GET', '/users/me', withToken(user.getSessionToken())), 400, 209, 'the token of a deleted user');
  });

  test('users are private by default; a public user shows without email or authData', async () => {
    const ann = await Parse.AnonymousUtils.logIn(client());
    const bob = await signUp();
    const seen = await h.rest('GET', '/users', { ...withToken(bob.getSessionToken()), query: { where: { objectId: { $in: [ann.id, bob.id] } } } });
    assert.equal(seen.status, 200, seen.text);
    assert.deepEqual(seen.body.results.map((u) => u.objectId), [bob.id], 'a client sees itself only among new users');
    h.assertRestError(await h.rest('GET', `/users/${ann.id}`, withToken(bob.getSessionToken())), 404, 101, 'another user\'s private record');

    const pub = await h.rest('PUT', `/users/${ann.id}`, {
      ...withToken(ann.getSessionToken()),
      body: { email: `pub_${h.rand(8)}@example.com`, ACL: { '*': { read: true }, [ann.id]: { read: true, write: true } } },
    });
    assert.equal(pub.status, 200, pub.text);
    const other = await h.rest('GET', `/users/${ann.id}`, withToken(bob.getSessionToken()));
    assert.equal(other.status, 200, other.text);
    assert.equal(other.body.email, undefined, 'another user\'s email is hidden');
    assert.equal(other.body.authData, undefined, 'another user\'s authData is hidden');
    assert.equal(other.body.sessionToken, undefined);
    assert.ok(other.body.username, other.text);
    const listed = await h.rest('GET', '/users', { ...withToken(bob.getSessionToken()), query: { where: { objectId: ann.id } } });
    assert.equal(listed.body.results.length, 1, listed.text);
    assert.equal(listed.body.results[0].email, undefined, 'hidden in a find as well');
    assert.equal(listed.body.results[0].authData, undefined);
    const own = await h.rest('GET', `/users/${ann.id}`, withToken(ann.getSessionToken()));
    assert.ok(own.body.email && own.body.authData && own.body.authData.anonymous, `the user itself sees both: ${own.text}`);
    const master = await h.rest('GET', `/users/${ann.id}`);
    assert.ok(master.body.email && master.body.authData, `the master key sees both: ${master.text}`);
  });

  test('no answer ever carries a password or its hash', async () => {
    const name = `pw_${h.rand(8)}`;
    const signup = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password: PASSWORD, email: `${name}@example.com` } });
    const id = signup.body.objectId;
    const token = signup.body.sessionToken;
    const answers = {
      'sign-up': signup,
      login: await h.rest('GET', '/login', { key: 'rest', query: { username: name, password: PASSWORD } }),
      me: await h.rest('GET', '/users/me', withToken(token)),
      'own get': await h.rest('GET', `/users/${id}`, withToken(token)),
      'master get': await h.rest('GET', `/users/${id}`),
      'master find': await h.rest('GET', '/users', { query: { where: { objectId: id } } }),
      'master find with keys': await h.rest('GET', '/users', { query: { where: { objectId: id }, keys: 'password,_hashed_password,username' } }),
      verifyPassword: await h.rest('GET', '/verifyPassword', { key: 'rest', query: { username: name, password: PASSWORD } }),
      loginAs: await h.rest('POST', '/loginAs', { body: { userId: id } }),
      update: await h.rest('PUT', `/users/${id}`, { ...withToken(token), body: { city: 'Rome' } }),
    };
    for (const [what, res] of Object.entries(answers)) {
      assert.ok(res.status === 200 || res.status === 201, `${what}: ${res.text}`);
      assertNoPassword(res, what);
    }
    // Another user's view of the user, made public.
    h.ok(await h.rest('PUT', `/users/${id}`, { ...withToken(token), body: { ACL: { '*': { read: true }, [id]: { read: true, write: true } } } }), 'making the user public');
    const other = await signUp();
    const seen = await h.rest('GET', '/users', { ...withToken(other.getSessionToken()), query: { where: { objectId: id } } });
    assert.equal(seen.body.results.length, 1, seen.text);
    assertNoPassword(seen, 'another user\'s find');
    const sdk = await new Parse.Query(Parse.User).equalTo('objectId', id).first({ useMasterKey: true });
    assert.equal(sdk.get('password'), undefined);
    assert.equal(sdk.get('_hashed_password'), undefined);
    const byPassword = await h.rest('GET', '/users', { query: { where: { objectId: id, password: PASSWORD } } });
    assert.ok(byPassword.status >= 400 || byPassword.body.results.length === 0, `a query on the password finds nothing: ${byPassword.text}`);
  });

  test('sign-up errors: 200, 201, 202 (any case), 203 (any case), 125', async () => {
    const name = `Dup_${h.rand(8)}`;
    await signUp({ username: name, email: `${name}@Example.com` });
    const cases = [
      ['no username', { password: 'x' }, 200],
      ['an empty username', { username: '', password: 'x' }, 200],
      ['no password', { username: `n_${h.rand(6)}` }, 201],
      ['an empty password', { username: `n_${h.rand(6)}`, password: '' }, 201],
      ['a taken username', { username: name, password: 'x' }, 202],
      ['a taken username in other case', { username: name.toUpperCase(), password: 'x' }, 202],
      ['a taken email in other case', { username: `n_${h.rand(6)}`, password: 'x', email: `${name.toLowerCase()}@example.COM` }, 203],
      ['an invalid email', { username: `n_${h.rand(6)}`, password: 'x', email: 'not-an-email' }, 125],
    ];
    for (const [what, body, code] of cases) {
      h.assertRestError(await h.rest('POST', '/users', { key: 'rest', body }), 400, code, what);
    }
    // The SDK reports the same codes.
    const dup = new Parse.User();
    dup.set({ username: name, password: 'x' });
    await h.expectParseError(dup.signUp(null, client()), 202, 'the SDK, a taken username');
    // An existing user cannot take a taken email either.
    const other = await signUp();
    h.assertRestError(await h.rest('PUT', `/users/${other.id}`, { ...withToken(other.getSessionToken()), body: { email: `${name.toUpperCase()}@example.com` } }), 400, 203, 'an update to a taken email');
    h.assertRestError(await h.rest('PUT', `/users/${other.id}`, { ...withToken(other.getSessionToken()), body: { username: name } }), 400, 202, 'an update to a taken username');
  });

  test('login errors: 101 (404) for a wrong password or an unknown user, 200 and 201 for missing fields', async () => {
    const name = `Lg_${h.rand(8)}`;
    await signUp({ username: name });
    await h.expectParseError(Parse.User.logIn(name, 'wrong-password', client()), 101, 'a wrong password');
    await h.expectParseError(Parse.User.logIn(`nobody_${h.rand(6)}`, PASSWORD, client()), 101, 'an unknown user');
    for (const method of ['GET', 'POST']) {
      const call = (params) => h.rest(method, '/login', method === 'GET' ? { key: 'rest', query: params } : { key: 'rest', body: params });
      h.assertRestError(await call({ username: name, password: 'wrong' }), 404, 101, `${method}: a wrong password`);
      h.assertRestError(await call({ username: `nobody_${h.rand(6)}`, password: PASSWORD }), 404, 101, `${method}: an unknown user`);
      h.assertRestError(await call({ username: name.toLowerCase(), password: PASSWORD }), 404, 101, `${method}: usernames are case-sensitive at login`);
      h.assertRestError(await call({ password: PASSWORD }), 400, 200, `${method}: no username`);
      h.assertRestError(await call({ username: name }), 400, 201, `${method}: no password`);
    }
    const wrong = await h.rest('GET', '/login', { key: 'rest', query: { username: name, password: 'wrong' } });
    const unknown = await h.rest('GET', '/login', { key: 'rest', query: { username: `nobody_${h.rand(6)}`, password: 'wrong' } });
    assert.equal(wrong.body.error, unknown.body.error, 'a wrong password and an unknown user look the same');
  });

  test('changing the password ends the user\'s sessions and answers a new token', async () => {
    const user = await signUp();
    const second = await h.rest('POST', '/login', { key: 'rest', body: { username: user.getUsername(), password: PASSWORD } });
    const res = await h.rest('PUT', `/users/${user.id}`, { ...withToken(user.getSessionToken()), body: { password: 'pw-Other-2' } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.sessionToken || '', /^r:/, `the answer carries a new session token: ${res.text}`);
    h.assertRestError(await h.rest('GET', '/users/me', withToken(user.getSessionToken())), 400, 209, 'the session that changed the password');
    h.assertRestError(await h.rest('GET', '/users/me', withToken(second.body.sessionToken)), 400, 209, 'another session');
    const me = await h.rest('GET', '/users/me', withToken(res.body.sessionToken));
    assert.equal(me.body.objectId, user.id, me.text);
    await h.expectParseError(Parse.User.logIn(user.getUsername(), PASSWORD, client()), 101, 'the old password');
    assert.equal((await Parse.User.logIn(user.getUsername(), 'pw-Other-2', client())).id, user.id);
    await Parse.User.logOut();
  });

  test('anonymous users: a generated username, and the same authData logs the same user in', async () => {
    const anon = await Parse.AnonymousUtils.logIn(client());
    assert.ok(anon.id && anon.getSessionToken().startsWith('r:'));
    assert.ok(Parse.AnonymousUtils.isLinked(anon), 'the user is anonymous');
    assert.equal(typeof anon.getUsername(), 'string', 'the sign-up answer carries the generated username');
    const authData = anon.get('authData');
    const again = await h.rest('POST', '/users', { key: 'rest', body: { authData } });
    assert.equal(again.status, 200, `an existing authData logs in (200, not 201): ${again.text}`);
    assert.equal(again.body.objectId, anon.id);
    assert.notEqual(again.body.sessionToken, anon.getSessionToken());
    const fresh = await h.rest('POST', '/users', { key: 'rest', body: { authData: { anonymous: { id: crypto.randomUUID() } } } });
    assert.equal(fresh.status, 201, fresh.text);
    assert.notEqual(fresh.body.objectId, anon.id);
    await Parse.User.logOut();
  });

  test('an anonymous user signs up with a password and keeps its id and data', async () => {
    const anon = await Parse.AnonymousUtils.logIn(client());
    anon.set('score', 7);
    await anon.save(null, client());
    const oldToken = anon.getSessionToken();
    const name = `conv_${h.rand(8)}`;
    anon.setUsername(name);
    anon.setPassword(PASSWORD);
    await anon.signUp(null, client());
    assert.ok(!Parse.AnonymousUtils.isLinked(anon), 'no longer anonymous');
    const me = await h.rest('GET', '/users/me', withToken(anon.getSessionToken()));
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.objectId, anon.id);
    assert.equal(me.body.username, name);
    assert.ok(!me.body.authData || !me.body.authData.anonymous, `the anonymous link is gone: ${me.text}`);
    // Setting a password ends the anonymous session (the SDK now holds the new one).
    assert.notEqual(anon.getSessionToken(), oldToken, 'a new session token');
    h.assertRestError(await h.rest('GET', '/users/me', withToken(oldToken)), 400, 209, 'the anonymous session');
    const logged = await Parse.User.logIn(name, PASSWORD, client());
    assert.equal(logged.id, anon.id);
    assert.equal(logged.get('score'), 7);
    await Parse.User.logOut();
  });

  test('authData links: link and unlink, 208 for an authData another user has, 252 for an unknown provider', async () => {
    const user = await signUp();
    await Parse.User.become(user.getSessionToken());
    const current = Parse.User.current();
    const id = crypto.randomUUID();
    await current._linkWith('anonymous', { authData: { id } }, client());
    assert.ok(current._isLinked('anonymous'));
    const linked = await h.rest('GET', '/users/me', withToken(user.getSessionToken()));
    assert.deepEqual(linked.body.authData, { anonymous: { id } }, linked.text);
    // The linked authData now logs that user in.
    const viaAuth = await h.rest('POST', '/users', { key: 'rest', body: { authData: { anonymous: { id } } } });
    assert.equal(viaAuth.status, 200, viaAuth.text);
    assert.equal(viaAuth.body.objectId, user.id);
    await current._unlinkFrom('anonymous', client());
    const unlinked = await h.rest('GET', '/users/me', withToken(user.getSessionToken()));
    assert.ok(!unlinked.body.authData || !unlinked.body.authData.anonymous, unlinked.text);
    assert.equal((await Parse.User.logIn(user.getUsername(), PASSWORD, client())).id, user.id, 'the password still works');

    const taken = await Parse.AnonymousUtils.logIn(client());
    const bob = await signUp();
    const steal = await h.rest('PUT', `/users/${bob.id}`, { ...withToken(bob.getSessionToken()), body: { authData: taken.get('authData') } });
    h.assertRestError(steal, 400, 208, 'an authData linked to another user');
    const unknown = { myoauth: { id: 'x1', access_token: 'y' } };
    h.assertRestError(await h.rest('PUT', `/users/${bob.id}`, { ...withToken(bob.getSessionToken()), body: { authData: unknown } }), 400, 252, 'linking an unknown provider');
    h.assertRestError(await h.rest('POST', '/users', { key: 'rest', body: { authData: unknown } }), 400, 252, 'signing up with an unknown provider');
    await Parse.User.logOut();
  });

  test('verifyPassword, GET and POST: the user without a session, or Parse\'s login errors', async () => {
    const name = `vp_${h.rand(8)}`;
    const email = `${name}@example.com`;
    const user = await signUp({ username: name, email });
    for (const [method, params] of [['GET', { username: name, password: PASSWORD }], ['POST', { username: name, password: PASSWORD }], ['POST', { email, password: PASSWORD }]]) {
      const res = await h.rest(method, '/verifyPassword', method === 'GET' ? { key: 'rest', query: params } : { key: 'rest', body: params });
      assert.equal(res.status, 200, `${method} ${JSON.stringify(params)}: ${res.text}`);
      assert.equal(res.body.objectId, user.id);
      assert.equal(res.body.sessionToken, undefined, 'verifyPassword starts no session');
      assertNoPassword(res, 'verifyPassword');
    }
    h.assertRestError(await h.rest('GET', '/verifyPassword', { key: 'rest', query: { username: name, password: 'wrong' } }), 404, 101, 'a wrong password');
    h.assertRestError(await h.rest('POST', '/verifyPassword', { key: 'rest', body: { username: `nobody_${h.rand(6)}`, password: PASSWORD } }), 404, 101, 'an unknown user');
    h.assertRestError(await h.rest('GET', '/verifyPassword', { key: 'rest', query: { password: PASSWORD } }), 400, 200, 'no username');
    h.assertRestError(await h.rest('GET', '/verifyPassword', { key: 'rest', query: { username: name } }), 400, 201, 'no password');
    const sessions = await h.rest('GET', '/sessions', { query: { where: { user: userPointer(user) } } });
    assert.equal(sessions.body.results.length, 1, `only the sign-up session exists: ${sessions.text}`);
  });

  test('loginAs: a new session for any user with the master key only', async () => {
    const user = await signUp();
    h.assertRestError(await h.rest('POST', '/loginAs', { key: 'rest', body: { userId: user.id } }), 400, 119, 'without the master key');
    h.assertRestError(await h.rest('POST', '/loginAs', { ...withToken(user.getSessionToken()), body: { userId: user.id } }), 400, 119, 'as the user itself');
    h.assertRestError(await h.rest('POST', '/loginAs', { body: {} }), 400, 162, 'no userId');
    h.assertRestError(await h.rest('POST', '/loginAs', { body: { userId: 'nobody1234' } }), 404, 101, 'an unknown userId');
    const res = await h.rest('POST', '/loginAs', { body: { userId: user.id } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.objectId, user.id);
    assert.match(res.body.sessionToken, /^r:/);
    assert.notEqual(res.body.sessionToken, user.getSessionToken());
    const me = await h.rest('GET', '/users/me', withToken(res.body.sessionToken));
    assert.equal(me.body.objectId, user.id);
    const session = await h.rest('GET', '/sessions/me', withToken(res.body.sessionToken));
    assert.deepEqual(session.body.createdWith, { action: 'login', authProvider: 'masterkey' }, session.text);
  });
});
