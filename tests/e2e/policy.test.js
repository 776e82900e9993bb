'use strict';
// Per-app security settings (Hearth's management API): the password policy on sign-up and on a
// password change (142 with the policy's message), account lockout (429, Retry-After, Parse's code
// 101 and message) and rate limits (429, Retry-After, code 100), each app on its own counters.
// Parse Server configures these per process; this suite runs one Parse Server app for every
// file, so these tests run against Hearth only.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { PASSWORD, client, withToken, signUpRest } = require('../lib/users');
const { Parse } = h;

const SKIP = h.isParseServer && 'per-app settings are Hearth configuration (Parse Server sets them per process, and this suite runs one Parse Server app for all files)';
describe('password policy', { skip: SKIP }, () => {
  const MESSAGE = 'Use at least 8 characters, with a digit.';
  before(async () => {
    await h.setup();
    await h.updateHearthSettings({
      passwordPolicy: { validatorPattern: '[0-9]', validationError: MESSAGE, minLength: 8, doNotAllowUsername: true, maxPasswordHistory: 2 },
    });
  });

  test('sign-up: too short, no digit, or containing the username is 142 with the policy\'s message', async () => {
    const name = `pol_${h.rand(8)}`;
    const cases = [
      ['too short', 'ab1', MESSAGE],
      ['no digit', 'abcdefghijk', MESSAGE],
      ['the username inside', `x1${name}x`, 'Password cannot contain your username.'],
    ];
    for (const [what, password, message] of cases) {
      const res = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password } });
      h.assertRestError(res, 400, 142, what);
      assert.equal(res.body.error, message, what);
    }
    const sdk = new Parse.User();
    sdk.set({ username: name, password: 'short1' });
    const err = await h.expectParseError(sdk.signUp(null, { useMasterKey: false }), 142, 'the SDK');
    assert.equal(err.message, MESSAGE);
    const ok = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password: 'long-enough-1' } });
    assert.equal(ok.status, 201, ok.text);
  });

  test('a password change: the same rules, and none of the last 2 passwords', async () => {
    const name = `chg_${h.rand(8)}`;
    const user = await signUpRest({ username: name, password: 'first-pass-1' });
    let token = user.token;
    const change = async (password) => {
      const res = await h.rest('PUT', `/users/${user.id}`, { ...withToken(token), body: { password } });
      if (res.status === 200 && res.body.sessionToken) token = res.body.sessionToken;
      return res;
    };
    const short = await change('ab1');
    h.assertRestError(short, 400, 142, 'too short');
    assert.equal(short.body.error, MESSAGE);
    const withName = await change(`${name}-99`);
    h.assertRestError(withName, 400, 142, 'the username inside');
    assert.equal(withName.body.error, 'Password cannot contain your username.');
    const same = await change('first-pass-1');
    h.assertRestError(same, 400, 142, 'the current password');
    assert.equal(same.body.error, 'New password should not be the same as last 2 passwords.');
    assert.equal((await change('second-pass-2')).status, 200);
    h.assertRestError(await change('first-pass-1'), 400, 142, 'the previous password');
    h.assertRestError(await change('second-pass-2'), 400, 142, 'the current password');
    assert.equal((await change('third-pass-3')).status, 200);
    assert.equal((await change('first-pass-1')).status, 200, 'three passwords back is allowed again');
    const login = await h.rest('GET', '/login', { key: 'rest', query: { username: name, password: 'first-pass-1' } });
    assert.equal(login.status, 200, login.text);
  });
});

describe('account lockout', { skip: SKIP }, () => {
  let app;
  const LOCKED = 'Your account is locked due to multiple failed login attempts. Please try again after 2 minute(s)';
  before(async () => {
    await h.setup();
    app = await h.appWith({ accountLockout: { threshold: 3, duration: 2 } }, 'e2e policy lockout');
  });
  const login = (username, password) => h.rest('GET', '/login', { key: 'rest', app, query: { username, password } });

  test('after 3 wrong passwords: 429 with Retry-After and Parse\'s code 101, even for the right password', async () => {
    const name = `lk_${h.rand(8)}`;
    await signUpRest({ username: name, password: PASSWORD }, { app });
    for (let i = 1; i <= 3; i++) {
      const res = await login(name, 'wrong');
      h.assertRestError(res, 404, 101, `wrong password ${i}`);
      assert.equal(res.body.error, 'Invalid username/password.');
    }
    const locked = await login(name, PASSWORD);
    h.assertRestError(locked, 429, 101, 'the right password on a locked account');
    assert.equal(locked.body.error, LOCKED);
    const retry = Number(locked.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 120, `Retry-After is the rest of the 2 minutes: ${locked.headers.get('retry-after')}`);
    const wrong = await login(name, 'wrong');
    h.assertRestError(wrong, 429, 101, 'a wrong password on a locked account');
    const post = await h.rest('POST', '/login', { key: 'rest', app, body: { username: name, password: PASSWORD } });
    h.assertRestError(post, 429, 101, 'POST /login');
    await h.setup(app);
    await h.expectParseError(Parse.User.logIn(name, PASSWORD, client()), 101, 'the SDK sees Parse\'s code');
    await h.setup();
    const verify = await h.rest('GET', '/verifyPassword', { key: 'rest', app, query: { username: name, password: PASSWORD } });
    assert.ok(verify.status >= 400 && verify.status < 500 && verify.body.code === 101 && /locked/.test(verify.body.error), `verifyPassword is locked too: ${verify.text}`);
  });

  test('the count is per account, and a successful login resets it', async () => {
    const ann = `lka_${h.rand(8)}`;
    const bob = `lkb_${h.rand(8)}`;
    await signUpRest({ username: ann, password: PASSWORD }, { app });
    await signUpRest({ username: bob, password: PASSWORD }, { app });
    for (let i = 0; i < 4; i++) await login(ann, 'wrong');
    h.assertRestError(await login(ann, PASSWORD), 429, 101, 'ann is locked');
    assert.equal((await login(bob, PASSWORD)).status, 200, 'bob is not');
    for (let i = 0; i < 2; i++) h.assertRestError(await login(bob, 'wrong'), 404, 101, 'bob, wrong');
    assert.equal((await login(bob, PASSWORD)).status, 200, 'bob, right: the count starts again');
    for (let i = 0; i < 2; i++) h.assertRestError(await login(bob, 'wrong'), 404, 101, 'bob, wrong again');
    assert.equal((await login(bob, PASSWORD)).status, 200, 'still not locked');
    // Unknown users answer as ever.
    for (let i = 0; i < 5; i++) h.assertRestError(await login(`nobody_${h.rand(6)}`, 'x'), 404, 101, 'an unknown user');
  });

  test('the master key can still log the user in (loginAs), and other apps know nothing of it', async () => {
    const name = `lkm_${h.rand(8)}`;
    const user = await signUpRest({ username: name, password: PASSWORD }, { app });
    for (let i = 0; i < 4; i++) await login(name, 'wrong');
    h.assertRestError(await login(name, PASSWORD), 429, 101, 'locked');
    const as = await h.rest('POST', '/loginAs', { app, body: { userId: user.id } });
    assert.equal(as.status, 200, as.text);
    // The same username in another app with the same policy is not locked.
    const other = await h.appWith({ accountLockout: { threshold: 3, duration: 2 } }, 'e2e policy lockout other');
    await signUpRest({ username: name, password: PASSWORD }, { app: other });
    assert.equal((await h.rest('GET', '/login', { key: 'rest', app: other, query: { username: name, password: PASSWORD } })).status, 200);
  });
});

describe('rate limits', { skip: SKIP }, () => {
  before(async () => {
    await h.setup();
  });

  const assertLimited = (res, what) => {
    h.assertRestError(res, 429, 100, what);
    assert.equal(res.body.error, 'Too many requests.', what);
    const retry = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 600, `${what}: Retry-After within the window (got ${res.headers.get('retry-after')})`);
  };

  test('login: the 4th attempt in the window is 429, failed ones count, other routes are free', async () => {
    const settings = { rateLimits: [{ path: 'login', requests: 3, window: 600, zone: 'ip' }] };
    const app = await h.appWith(settings, 'e2e policy login limit');
    const name = `rl_${h.rand(8)}`;
    await signUpRest({ username: name, password: PASSWORD }, { app });
    const login = (password) => h.rest('POST', '/login', { key: 'rest', app, body: { username: name, password } });
    assert.equal((await login(PASSWORD)).status, 200);
    h.assertRestError(await login('wrong'), 404, 101, 'a wrong password still answers 101');
    assert.equal((await login(PASSWORD)).status, 200);
    assertLimited(await login(PASSWORD), 'the 4th login');
    assertLimited(await h.rest('GET', '/login', { key: 'rest', app, query: { username: name, password: PASSWORD } }), 'GET /login is the same route');
    // Sign-ups and data requests are not limited by a login limit; nor is the master key.
    await signUpRest({ username: `rl2_${h.rand(8)}`, password: PASSWORD }, { app });
    assert.equal((await h.rest('GET', '/classes/_User', { app })).status, 200);
    const master = await h.rest('POST', '/login', { app, body: { username: name, password: PASSWORD } });
    assert.equal(master.status, 200, `the master key is not limited: ${master.text}`);
    // Another app with the same limit has counters of its own.
    const other = await h.appWith(settings, 'e2e policy login limit other');
    await signUpRest({ username: name, password: PASSWORD }, { app: other });
    assert.equal((await h.rest('POST', '/login', { key: 'rest', app: other, body: { username: name, password: PASSWORD } })).status, 200, 'another app');
  });

  test('sign-up: the 3rd in the window is 429; another app and the master key are not limited', async () => {
    const settings = { rateLimits: [{ path: 'signup', requests: 2, window: 600, zone: 'ip' }] };
    const app = await h.appWith(settings, 'e2e policy signup limit');
    const first = await signUpRest({ username: `su_${h.rand(8)}`, password: PASSWORD }, { app });
    await signUpRest({ username: `su_${h.rand(8)}`, password: PASSWORD }, { app });
    const name = `su_${h.rand(8)}`;
    assertLimited(await h.rest('POST', '/users', { key: 'rest', app, body: { username: name, password: PASSWORD } }), 'the 3rd sign-up');
    const missing = await h.rest('GET', '/users', { app, query: { where: { username: name } } });
    assert.deepEqual(missing.body.results, [], 'the limited sign-up created nothing');
    // Updating a user is not a sign-up; logging in is not limited.
    const upd = await h.rest('PUT', `/users/${first.id}`, { ...withToken(first.token, app), body: { city: 'Oslo' } });
    assert.equal(upd.status, 200, upd.text);
    const other = await h.appWith(settings, 'e2e policy signup limit other');
    await signUpRest({ username: `su_${h.rand(8)}`, password: PASSWORD }, { app: other });
    // The master key is never limited.
    const master = await h.rest('POST', '/users', { app, body: { username: `su_${h.rand(8)}`, password: PASSWORD } });
    assert.equal(master.status, 201, master.text);
    // Anonymous sign-ups are sign-ups too.
    const anon = await h.rest('POST', '/users', { key: 'rest', app, body: { authData: { anonymous: { id: require('node:crypto').randomUUID() } } } });
    assertLimited(anon, 'an anonymous sign-up');
  });

  test('zone "app": one budget for every client of the app', async () => {
    const app = await h.appWith({ rateLimits: [{ path: 'login', requests: 2, window: 600, zone: 'app' }] }, 'e2e policy app zone');
    const ann = await signUpRest({ username: `za_${h.rand(8)}`, password: PASSWORD }, { app });
    const bob = await signUpRest({ username: `zb_${h.rand(8)}`, password: PASSWORD }, { app });
    assert.equal((await h.rest('POST', '/login', { key: 'rest', app, body: { username: ann.username, password: PASSWORD } })).status, 200);
    assert.equal((await h.rest('POST', '/login', { key: 'rest', app, body: { username: bob.username, password: PASSWORD } })).status, 200);
    assertLimited(await h.rest('POST', '/login', { key: 'rest', app, headers: { 'X-Forwarded-For': '203.0.113.9' }, body: { username: bob.username, password: PASSWORD } }), 'the 3rd login in the app, whoever asks');
  });
});
