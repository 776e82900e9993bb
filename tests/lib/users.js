'use strict';
// Users in tests: signing one up (with the SDK or over REST), and acting as a user or as a client
// without one, through the SDK and through REST.

const assert = require('node:assert/strict');
const h = require('./harness');
const { Parse } = h;

/** The password of the users these helpers sign up. */
const PASSWORD = 'pw-Secret-1';

/** Fresh SDK options for the client's view (no master key). The SDK writes into the options
 * object that `linkWith` and `AnonymousUtils.logIn` get (it sets `sessionToken`), so an object
 * shared between calls would carry a stale token to later ones. */
const client = () => ({ useMasterKey: false });

/** SDK options acting as `user` (a Parse.User with a session). */
const as = (user) => ({ sessionToken: user.getSessionToken(), useMasterKey: false });

/** REST options acting with `token` (the REST key, and the session when given) in `app` (by
 * default the app `h.setup` chose). */
const withToken = (token, app) => ({ key: 'rest', app, headers: token ? { 'X-Parse-Session-Token': token } : {} });

/** REST options acting as `user` (a Parse.User), or as a client without a user (null). */
const restAs = (user) => withToken(user ? user.getSessionToken() : null);

/** A Pointer to a user: `user` is a Parse.User or an id. */
const userPointer = (user) => ({ __type: 'Pointer', className: '_User', objectId: typeof user === 'string' ? user : user.id });

/** A new user signed up through the SDK as a client (a fresh username, PASSWORD, then `extra`);
 * answers the Parse.User, with its session token. */
async function signUp(extra = {}) {
  const user = new Parse.User();
  user.set({ username: `u_${h.rand(10)}`, password: PASSWORD, ...extra });
  await user.signUp(null, client());
  return user;
}

/** A new user signed up over REST (no installation id) with `body` (by default a fresh username
 * and PASSWORD), with the REST key or `key`, in `app`; asserts 201 and answers {id, username,
 * token}. */
async function signUpRest(body = {}, { app, key = 'rest' } = {}) {
  const fields = { username: `u_${h.rand(10)}`, password: PASSWORD, ...body };
  const res = await h.rest('POST', '/users', { key, app, body: fields });
  assert.equal(res.status, 201, `sign-up answers 201: ${res.text}`);
  return { id: res.body.objectId, username: fields.username, token: res.body.sessionToken };
}

module.exports = { PASSWORD, client, as, withToken, restAs, userPointer, signUp, signUpRest };
