'use strict';
// Email verification and password reset end to end: a real SMTP server (aiosmtpd, lib/smtp.js)
// receives Hearth's mails, and the tests follow the links in them as a user would (the verify
// page, the reset form and its POST). App templates, the policy on the reset form, expired and
// spent links, the Parse codes of the request routes (204, 205, 125), unlockOnPasswordReset.
// Hearth only: Parse Server runs one app per process in this suite and has no built-in SMTP
// adapter.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const smtp = require('../lib/smtp');
const { PASSWORD, client, withToken, signUp } = require('../lib/users');
const { Parse } = h;

const SKIP = h.isParseServer && 'per-app settings and SMTP are Hearth configuration (Parse Server: one app per process here, no built-in SMTP adapter)';
const APP_NAME = 'e2e email.test.js'; // the name lib/harness.js gives this file's app

let mail;
let appId;
/** Replaces the app's settings: the SMTP sink, public URL and `extra`. */
async function settings(extra = {}, email = {}) {
  await h.updateHearthSettings({
    publicServerUrl: h.PARSE_URL,
    email: { host: '127.0.0.1', port: mail.port, security: 'none', from: 'Demo App <no-reply@example.com>', ...email },
    ...extra,
  });
}

/** A new user (SDK, as a client) with a lower-case username and an email address made of it. */
async function signUpWithEmail() {
  const name = `m_${h.rand(8)}`.toLowerCase();
  return signUp({ username: name, email: `${name}@example.com` });
}

const postForm = (url, fields) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });

describe('email', { skip: SKIP }, () => {
  before(async () => {
    appId = (await h.setup()).applicationId;
    mail = await smtp.start();
  });
  after(async () => {
    if (mail) await mail.stop();
  });

  describe('verification', () => {
    before(async () => {
      await settings(
        { verifyUserEmails: true, preventLoginWithUnverifiedEmail: true },
        { templates: { verification: { subject: 'Confirm {{email}} for {{appName}}', text: 'Hi {{username}}, open {{link}} to confirm {{email}}.' } } },
      );
    });

    test('sign-up sends the app\'s mail; following the link verifies the email; login waits for it (205)', async () => {
      const user = await signUpWithEmail();
      const address = user.getEmail();
      assert.equal(user.getSessionToken(), undefined, 'no session before the email is verified');
      const err = await h.expectParseError(Parse.User.logIn(user.getUsername(), PASSWORD, client()), 205, 'login before verification');
      assert.equal(err.message, 'User email is not verified.');

      const message = await mail.waitForMail(address);
      assert.equal(message.subject, `Confirm ${address} for ${APP_NAME}`, 'the template\'s subject, filled in');
      assert.equal(message.from, 'no-reply@example.com', 'the envelope sender');
      assert.match(message.fromHeader, /Demo App <no-reply@example\.com>/);
      const link = smtp.link(message.text, 'verify_email');
      assert.equal(message.text.trim(), `Hi ${user.getUsername()}, open ${link} to confirm ${address}.`, 'the template\'s text, filled in');
      assert.ok(link.startsWith(`${h.PARSE_URL}/apps/${appId}/verify_email?token=`), link);

      const page = await fetch(link);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type'), /text\/html/);
      assert.match(await page.text(), /verified/i);
      const fetched = await new Parse.Query(Parse.User).get(user.id, { useMasterKey: true });
      assert.equal(fetched.get('emailVerified'), true);
      const logged = await Parse.User.logIn(user.getUsername(), PASSWORD, client());
      assert.equal(logged.id, user.id);
      assert.equal(logged.get('emailVerified'), true);
      const spent = await fetch(link);
      assert.equal(spent.status, 400, 'a link works once');
      assert.match(spent.headers.get('content-type'), /text\/html/);
    });

    test('asking for the mail again: a new link; 205 for an unknown email, 204 without one, -1 once verified', async () => {
      const user = await signUpWithEmail();
      const address = user.getEmail();
      const first = smtp.link((await mail.waitForMail(address)).text, 'verify_email');
      const again = await h.rest('POST', '/verificationEmailRequest', { key: 'rest', body: { email: address } });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body, {});
      const second = smtp.link((await mail.waitForMail(address)).text, 'verify_email');
      assert.notEqual(second, first, 'a new token');
      assert.equal((await fetch(second)).status, 200);
      assert.equal((await new Parse.Query(Parse.User).get(user.id, { useMasterKey: true })).get('emailVerified'), true);

      const verified = await h.rest('POST', '/verificationEmailRequest', { key: 'rest', body: { email: address } });
      h.assertRestError(verified, 400, -1, 'an email already verified');
      assert.equal(verified.body.error, `Email ${address} is already verified.`);
      h.assertRestError(await h.rest('POST', '/verificationEmailRequest', { key: 'rest', body: { email: `nobody_${h.rand(6)}@example.com` } }), 400, 205, 'an unknown email');
      h.assertRestError(await h.rest('POST', '/verificationEmailRequest', { key: 'rest', body: {} }), 400, 204, 'no email');
      h.assertRestError(await h.rest('POST', '/verificationEmailRequest', { key: 'rest', body: { email: 42 } }), 400, 125, 'an email that is not a string');
    });

    test('changing the email: unverified again, a mail to the new address, login waits', async () => {
      const user = await signUpWithEmail();
      await fetch(smtp.link((await mail.waitForMail(user.getEmail())).text, 'verify_email'));
      const logged = await Parse.User.logIn(user.getUsername(), PASSWORD, client());
      const fresh = `new_${h.rand(8)}@example.com`.toLowerCase();
      const res = await h.rest('PUT', `/users/${user.id}`, { ...withToken(logged.getSessionToken()), body: { email: fresh } });
      assert.equal(res.status, 200, res.text);
      assert.equal((await new Parse.Query(Parse.User).get(user.id, { useMasterKey: true })).get('emailVerified'), false);
      const link = smtp.link((await mail.waitForMail(fresh)).text, 'verify_email');
      await h.expectParseError(Parse.User.logIn(user.getUsername(), PASSWORD, client()), 205, 'login with the new email unverified');
      assert.equal((await fetch(link)).status, 200);
      assert.equal((await Parse.User.logIn(user.getUsername(), PASSWORD, client())).id, user.id);
    });

    test('a bad token shows an error page and verifies nothing', async () => {
      const page = await fetch(`${h.PARSE_URL}/apps/${appId}/verify_email?token=not-a-token`);
      assert.equal(page.status, 400);
      assert.match(page.headers.get('content-type'), /text\/html/);
      const none = await fetch(`${h.PARSE_URL}/apps/${appId}/verify_email`);
      assert.equal(none.status, 400, 'no token at all');
    });
  });

  describe('password reset', () => {
    const MESSAGE = 'Eight characters or more, please.';
    before(async () => {
      await settings(
        {
          passwordPolicy: { minLength: 8, validationError: MESSAGE, doNotAllowUsername: true, maxPasswordHistory: 1 },
          accountLockout: { threshold: 2, duration: 5, unlockOnPasswordReset: true },
        },
        { templates: { passwordReset: { subject: 'Reset for {{username}} at {{appName}}', text: 'Follow {{link}} to choose a new password for {{email}}.' } } },
      );
    });

    /** Asks for a reset of `user`'s password and returns the link of the mail. */
    async function resetLink(user) {
      await Parse.User.requestPasswordReset(user.getEmail(), client());
      const message = await mail.waitForMail(user.getEmail());
      assert.equal(message.subject, `Reset for ${user.getUsername()} at ${APP_NAME}`);
      const link = smtp.link(message.text, 'request_password_reset');
      assert.equal(message.text.trim(), `Follow ${link} to choose a new password for ${user.getEmail()}.`);
      assert.ok(link.startsWith(`${h.PARSE_URL}/apps/${appId}/request_password_reset?token=`), link);
      return link;
    }

    test('the mail, the form, the policy on the form (length, username, history), the new password; the link is spent', async () => {
      const user = await signUpWithEmail();
      const before = await Parse.User.logIn(user.getUsername(), PASSWORD, client());
      const link = await resetLink(user);
      const form = await fetch(link);
      assert.equal(form.status, 200);
      assert.match(form.headers.get('content-type'), /text\/html/);
      const html = await form.text();
      assert.match(html, /name="new_password"/);
      assert.match(html, /<form[^>]*method="post"/i);
      const token = new URL(link).searchParams.get('token');
      const action = link.split('?')[0];

      const short = await postForm(action, { token, new_password: 'short' });
      assert.equal(short.status, 400);
      assert.ok((await short.text()).includes(MESSAGE), 'the policy\'s message on the error page');
      const withName = await postForm(action, { token, new_password: `${user.getUsername()}-123` });
      assert.equal(withName.status, 400);
      assert.match(await withName.text(), /username/);
      const same = await postForm(action, { token, new_password: PASSWORD });
      assert.equal(same.status, 400, 'the current password again');
      assert.match(await same.text(), /last 1 passwords/);
      const missing = await postForm(action, { token });
      assert.equal(missing.status, 400, 'no new password');
      const done = await postForm(action, { token, new_password: 'pw-Better-2' });
      assert.equal(done.status, 200);
      assert.match(await done.text(), /changed|success/i);
      assert.equal((await postForm(action, { token, new_password: 'pw-Other-3' })).status, 400, 'a spent link');
      assert.equal((await fetch(link)).status, 400, 'the spent link\'s form');

      await h.expectParseError(Parse.User.logIn(user.getUsername(), PASSWORD, client()), 101, 'the old password');
      assert.equal((await Parse.User.logIn(user.getUsername(), 'pw-Better-2', client())).id, user.id, 'the new password');
      h.assertRestError(await h.rest('GET', '/users/me', withToken(before.getSessionToken())), 400, 209, 'a session from before the reset');
    });

    test('a new request makes the earlier link invalid', async () => {
      const user = await signUpWithEmail();
      const first = await resetLink(user);
      const second = await resetLink(user);
      assert.notEqual(first, second);
      assert.equal((await postForm(first.split('?')[0], { token: new URL(first).searchParams.get('token'), new_password: 'pw-First-9' })).status, 400, 'the earlier link');
      assert.equal((await postForm(second.split('?')[0], { token: new URL(second).searchParams.get('token'), new_password: 'pw-Second-9' })).status, 200);
      assert.equal((await Parse.User.logIn(user.getUsername(), 'pw-Second-9', client())).id, user.id);
    });

    test('a reset unlocks a locked account (unlockOnPasswordReset)', async () => {
      const user = await signUpWithEmail();
      for (let i = 0; i < 3; i++) await h.rest('GET', '/login', { key: 'rest', query: { username: user.getUsername(), password: 'wrong' } });
      h.assertRestError(await h.rest('GET', '/login', { key: 'rest', query: { username: user.getUsername(), password: PASSWORD } }), 429, 101, 'locked');
      const link = await resetLink(user);
      assert.equal((await postForm(link.split('?')[0], { token: new URL(link).searchParams.get('token'), new_password: 'pw-Unlock-4' })).status, 200);
      const res = await h.rest('GET', '/login', { key: 'rest', query: { username: user.getUsername(), password: 'pw-Unlock-4' } });
      assert.equal(res.status, 200, `unlocked by the reset: ${res.text}`);
    });

    test('requests: an unknown email succeeds quietly, 204 without an email, 125 for a non-string', async () => {
      const unknown = await h.rest('POST', '/requestPasswordReset', { key: 'rest', body: { email: `nobody_${h.rand(6)}@example.com` } });
      assert.equal(unknown.status, 200, unknown.text);
      assert.deepEqual(unknown.body, {});
      h.assertRestError(await h.rest('POST', '/requestPasswordReset', { key: 'rest', body: {} }), 400, 204, 'no email');
      h.assertRestError(await h.rest('POST', '/requestPasswordReset', { key: 'rest', body: { email: 42 } }), 400, 125, 'a non-string email');
      const bad = await fetch(`${h.PARSE_URL}/apps/${appId}/request_password_reset?token=not-a-token`);
      assert.equal(bad.status, 400, 'an invalid link shows an error page');
      const badPost = await postForm(`${h.PARSE_URL}/apps/${appId}/request_password_reset`, { token: 'not-a-token', new_password: 'pw-Whatever-1' });
      assert.equal(badPost.status, 400);
    });
  });

  describe('reset settings', () => {
    test('resetPasswordSuccessOnInvalidEmail false: an unknown email is 205', async () => {
      await settings({ passwordPolicy: { resetPasswordSuccessOnInvalidEmail: false } });
      const res = await h.rest('POST', '/requestPasswordReset', { key: 'rest', body: { email: `nobody_${h.rand(6)}@example.com` } });
      h.assertRestError(res, 400, 205, 'an unknown email');
    });

    test('an expired reset link shows an error page and changes nothing', async () => {
      await settings({ passwordPolicy: { resetTokenValidityDuration: 1 } });
      const user = await signUpWithEmail();
      await Parse.User.requestPasswordReset(user.getEmail(), client());
      const link = smtp.link((await mail.waitForMail(user.getEmail())).text, 'request_password_reset');
      // The form of an expired link is an error page: wait (with a deadline) until the one-second
      // link has expired.
      await h.until('the reset link to expire', async () => (await fetch(link)).status === 400, { ms: 10000, every: 50 });
      const post = await postForm(link.split('?')[0], { token: new URL(link).searchParams.get('token'), new_password: 'pw-Late-5' });
      assert.equal(post.status, 400);
      await h.expectParseError(Parse.User.logIn(user.getUsername(), 'pw-Late-5', client()), 101, 'the password did not change');
      assert.equal((await Parse.User.logIn(user.getUsername(), PASSWORD, client())).id, user.id);
    });
  });
});
