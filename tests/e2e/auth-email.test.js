'use strict';
// Email verification and password reset through a real SMTP server (aiosmtpd), following the
// links in the emails as a user would; the password policy, account lockout and rate limits.
// These use per-app settings (Hearth's management API): Parse Server runs one app per process
// in this suite and has no built-in SMTP adapter, so they run against Hearth only.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const smtp = require('../lib/smtp');
const { Parse } = h;

const SKIP = h.isParseServer && 'per-app settings and SMTP are Hearth configuration (Parse Server: one app per process, no SMTP adapter)';
const asClient = { useMasterKey: false };

describe('email verification and password reset', { skip: SKIP }, () => {
  let mail;
  before(async () => {
    await h.setup();
    mail = await smtp.start();
    await h.updateHearthSettings({
      verifyUserEmails: true,
      preventLoginWithUnverifiedEmail: true,
      publicServerUrl: h.PARSE_URL,
      email: {
        host: '127.0.0.1', port: mail.port, security: 'none', from: 'Demo <no-reply@example.com>',
        templates: { passwordReset: { subject: 'Reset for {{username}} at {{appName}}', text: 'Follow {{link}} to choose a new password.' } },
      },
      passwordPolicy: { minLength: 8, doNotAllowUsername: true, maxPasswordHistory: 1 },
    });
  });
  after(async () => {
    if (mail) await mail.stop();
  });

  test('a new user verifies its email by following the link, then logs in', async () => {
    const name = `v_${h.rand(8)}`;
    const address = `${name}@example.com`;
    const user = new Parse.User();
    user.set({ username: name, password: 'pw-Secret-1', email: address });
    await user.signUp(null, asClient);
    assert.equal(user.getSessionToken(), undefined, 'no session before the email is verified');
    await h.expectParseError(Parse.User.logIn(name, 'pw-Secret-1', asClient), 205, 'login before verification');

    const message = await mail.waitForMail(address);
    const link = smtp.link(message.text, 'verify_email');
    assert.ok(link.startsWith(`${h.PARSE_URL}/apps/`), link);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /verified/i);
    const reused = await fetch(link);
    assert.equal(reused.status, 400, 'a link works once');

    const logged = await Parse.User.logIn(name, 'pw-Secret-1', asClient);
    assert.equal(logged.get('emailVerified'), true);
    // Asking again for a verified email is refused; an unknown email is 205.
    const again = await h.rest('POST', '/verificationEmailRequest', { key: 'rest', body: { email: address } });
    assert.ok(again.status === 400, again.text);
    const unknown = await h.rest('POST', '/verificationEmailRequest', { key: 'rest', body: { email: `nobody_${h.rand(6)}@example.com` } });
    h.assertRestError(unknown, 400, 205, 'an unknown email');
  });

  test('a password reset by email: the form, the policy, the new password', async () => {
    const name = `r_${h.rand(8)}`;
    const address = `${name}@example.com`;
    const user = new Parse.User();
    user.set({ username: name, password: 'pw-Secret-1', email: address });
    await user.signUp(null, asClient);
    await fetch(smtp.link((await mail.waitForMail(address)).text, 'verify_email'));
    const before = await Parse.User.logIn(name, 'pw-Secret-1', asClient);

    await Parse.User.requestPasswordReset(address, asClient);
    const message = await mail.waitForMail(address);
    assert.equal(message.subject, `Reset for ${name} at e2e auth-email.test.js`, 'the app\'s template');
    const link = smtp.link(message.text, 'request_password_reset');
    const form = await fetch(link);
    assert.equal(form.status, 200);
    assert.match(await form.text(), /name="new_password"/);
    const token = new URL(link).searchParams.get('token');
    const post = (password) => fetch(link.split('?')[0], { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, new_password: password }) });

    for (const [bad, why] of [['short', /Password/], [`xx${name}xx`, /username/], ['pw-Secret-1', /last 1 passwords/]]) {
      const res = await post(bad);
      assert.equal(res.status, 400, `${bad} is refused`);
      assert.match(await res.text(), why);
    }
    const done = await post('pw-Better-2');
    assert.equal(done.status, 200);
    assert.match(await done.text(), /changed/i);
    assert.equal((await post('pw-Other-3')).status, 400, 'the link is spent');

    await h.expectParseError(Parse.User.logIn(name, 'pw-Secret-1', asClient), 101, 'the old password');
    const logged = await Parse.User.logIn(name, 'pw-Better-2', asClient);
    assert.equal(logged.id, user.id);
    // The reset ended the session the user had before it.
    const old = await h.rest('GET', '/users/me', { key: 'rest', headers: { 'X-Parse-Session-Token': before.getSessionToken() } });
    h.assertRestError(old, 400, 209, 'a session from before the reset');
  });

  test('reset requests: an unknown email answers success, a missing one 204', async () => {
    const unknown = await h.rest('POST', '/requestPasswordReset', { key: 'rest', body: { email: `nobody_${h.rand(6)}@example.com` } });
    assert.equal(unknown.status, 200, unknown.text);
    const missing = await h.rest('POST', '/requestPasswordReset', { key: 'rest', body: {} });
    h.assertRestError(missing, 400, 204, 'no email');
    const page = await fetch(`${h.PARSE_URL}/apps/${(await h.getApp()).applicationId}/request_password_reset?token=not-a-token`);
    assert.equal(page.status, 400, 'an invalid link shows an error page');
  });

  test('the password policy on sign-up and on a password change', async () => {
    const name = `p_${h.rand(8)}`;
    const short = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password: 'short', email: `${name}@example.com` } });
    h.assertRestError(short, 400, 142, 'too short');
    const withName = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password: `${name}-long-1`, email: `${name}@example.com` } });
    h.assertRestError(withName, 400, 142, 'contains the username');
    const made = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password: 'pw-Secret-1', email: `${name}@example.com` } });
    assert.equal(made.status, 201, made.text);
    const login = await h.rest('POST', '/loginAs', { body: { userId: made.body.objectId } });
    const change = await h.rest('PUT', `/users/${made.body.objectId}`, { key: 'rest', headers: { 'X-Parse-Session-Token': login.body.sessionToken }, body: { password: 'pw-Secret-1' } });
    h.assertRestError(change, 400, 142, 'the same password again (history 1)');
  });
});

describe('lockout and rate limits', { skip: SKIP }, () => {
  before(async () => {
    await h.setup();
    await h.updateHearthSettings({
      accountLockout: { threshold: 3, duration: 5 },
      rateLimits: [{ path: 'signup', requests: 4, window: 3600, zone: 'ip' }],
    });
  });

  test('three wrong passwords lock the account; the right one is refused while locked', async () => {
    const name = `l_${h.rand(8)}`;
    const made = await h.rest('POST', '/users', { key: 'rest', body: { username: name, password: 'pw-Secret-1' } });
    assert.equal(made.status, 201, made.text);
    for (let i = 0; i < 3; i++) {
      const res = await h.rest('GET', '/login', { key: 'rest', query: { username: name, password: 'wrong' } });
      h.assertRestError(res, 404, 101, `wrong password ${i + 1}`);
    }
    const locked = await h.rest('GET', '/login', { key: 'rest', query: { username: name, password: 'pw-Secret-1' } });
    h.assertRestError(locked, 429, 101, 'a locked account');
    assert.match(locked.body.error, /locked/);
    const retry = Number(locked.headers.get('retry-after'));
    assert.ok(retry > 0 && retry <= 300, `Retry-After ${retry}`);
    await h.expectParseError(Parse.User.logIn(name, 'pw-Secret-1', asClient), 101, 'the SDK sees Parse\'s code');
  });

  test('sign-ups beyond the limit answer 429 with Retry-After; another app is not limited', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(await h.rest('POST', '/users', { key: 'rest', body: { username: `s_${h.rand(8)}`, password: 'pw-Secret-1' } }));
    }
    const limited = answers.filter((r) => r.status === 429);
    assert.ok(limited.length >= 1, `the fifth sign-up at least is limited: ${answers.map((r) => r.status)}`);
    h.assertRestError(limited[0], 429, 100, 'rate limited');
    assert.ok(Number(limited[0].headers.get('retry-after')) > 0);
    const other = await h.createHearthApp('e2e limits other');
    const elsewhere = await h.rest('POST', '/users', { app: other, key: 'rest', body: { username: `s_${h.rand(8)}`, password: 'pw-Secret-1' } });
    assert.equal(elsewhere.status, 201, elsewhere.text);
    // The master key is never limited.
    const master = await h.rest('POST', '/users', { body: { username: `s_${h.rand(8)}`, password: 'pw-Secret-1' } });
    assert.equal(master.status, 201, master.text);
  });
});
