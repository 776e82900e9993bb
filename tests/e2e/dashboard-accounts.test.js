'use strict';
// The dashboard's admin accounts in a real Chromium: changing the password (a wrong current
// password is shown next to its field; the old password stops working), creating an admin with
// bad input, inviting a viewer by a one-time link opened in a second browser, what the viewer
// may do (the UI hides changes, the server refuses them), and disabling the viewer, whose next
// request is refused.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { BASE, admin, createHearthApp, isHearth, rand } = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');
const { until } = require('../lib/wait');

const skip = !isHearth ? 'the dashboard is Hearth only' : !haveChromium() ? 'no Chromium (apt-get install chromium)' : false;

/** A new admin of this test's own, created by the run's administrator. */
async function newAdmin(password = 'first-password-1') {
  const email = `acct-${rand(8).toLowerCase()}@example.test`;
  const res = await admin('POST', '/admins', { body: { email, password } });
  assert.equal(res.status, 201, res.text);
  return { email, password, id: res.body.id };
}

/** The status of a login with these credentials. */
async function loginStatus(email, password) {
  const res = await fetch(`${BASE}/admin/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return res.status;
}

/** The field (its label) whose label text is `label`, inside `scope` (a page or a locator). */
function field(scope, label) {
  const page = typeof scope.page === 'function' ? scope.page() : scope;
  return scope.locator('label.field', { has: page.locator('.field-label', { hasText: label }) });
}

test('an admin changes its password: a wrong current password is refused next to its field, then the old one stops working', { skip }, async (t) => {
  const me = await newAdmin();
  const dash = await openDashboard(t, { email: me.email, password: me.password });
  const { page } = dash;
  await page.getByRole('link', { name: me.email }).click();
  await page.getByRole('heading', { name: 'Change password' }).waitFor();

  await page.getByLabel('Current password').fill('not-my-password');
  await page.getByLabel(/^New password/).fill('second-password-2');
  await page.getByLabel('Repeat the new password').fill('second-password-2');
  await page.getByRole('button', { name: 'Change password' }).click();
  await field(page, 'Current password').getByRole('alert').filter({ hasText: 'the current password is incorrect' }).waitFor();
  assert.equal(await field(page, 'New password').getByRole('alert').count(), 0, 'the error sits next to the current password only');
  await dash.screenshot('account-wrong-password');
  assert.equal(await loginStatus(me.email, me.password), 200, 'nothing changed');

  await page.getByLabel('Current password').fill(me.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed. Your other sessions were signed out.').waitFor();
  await dash.screenshot('account');
  assert.equal(await loginStatus(me.email, me.password), 401, 'the old password no longer works');
  assert.equal(await loginStatus(me.email, 'second-password-2'), 200, 'the new one does');
  // This browser stays signed in with the fresh cookie.
  await page.reload();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();

  // Log out everywhere: back to the sign-in page, and the cookie no longer works.
  await page.getByRole('button', { name: 'Log out everywhere' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
});

test('an instance administrator creates an admin: bad input is shown next to the field', { skip }, async (t) => {
  const dash = await openDashboard(t);
  const { page } = dash;
  await page.getByRole('link', { name: 'Admins' }).click();
  await page.getByRole('button', { name: 'New admin' }).click();
  const dialog = page.getByRole('dialog', { name: 'New admin' });
  const email = `acct-${rand(8).toLowerCase()}@example.test`;
  await dialog.getByLabel('Email').fill(email);
  await dialog.getByLabel('Password').fill('short');
  await dialog.getByRole('button', { name: 'Create admin' }).click();
  await field(dialog, 'Password').getByRole('alert').filter({ hasText: 'password must be at least 8 characters' }).waitFor();
  const list = await admin('GET', '/admins');
  assert.ok(!list.body.results.some((a) => a.email === email), 'nothing was created');
  await dialog.getByLabel('Password').fill('long-enough-1');
  await dialog.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('cell', { name: email, exact: true }).waitFor();
});

test('an owner invites a viewer, who accepts in another browser, may change nothing, and is cut off when disabled', { skip }, async (t) => {
  const app = await createHearthApp('accounts e2e');
  const owner = await openDashboard(t);
  owner.forbid(app.keys.masterKey);
  const { page } = owner;
  await owner.goto(`/apps/${encodeURIComponent(app.applicationId)}/members`);
  await page.getByRole('heading', { name: 'Invite' }).waitFor();

  // Bad input first: the server's words next to the field (the app's creator is its owner).
  await page.getByLabel('Email to invite').fill(process.env.E2E_ADMIN_EMAIL);
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  await field(page, 'Email to invite').getByRole('alert').filter({ hasText: 'this admin is a member of the app already' }).waitFor();

  const email = `viewer-${rand(8).toLowerCase()}@example.test`;
  await page.getByLabel('Email to invite').fill(email);
  await page.getByLabel('Invited role').selectOption('viewer');
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  const link = await page.getByLabel('Invitation link').inputValue();
  assert.match(link, /\/dashboard\/invite\/[A-Za-z0-9]{32,}$/);
  await page.getByText('No email was sent').waitFor();
  await page.getByRole('table', { name: 'Pending invitations' }).getByRole('cell', { name: email, exact: true }).waitFor();
  await owner.screenshot('members');

  // The invited person, in a browser of their own.
  const viewer = await openDashboard(t, { signIn: false });
  viewer.forbid(app.keys.masterKey);
  await viewer.page.goto(link);
  await viewer.page.getByRole('heading', { name: 'Join accounts e2e' }).waitFor();
  await viewer.page.getByText('viewer', { exact: true }).waitFor();
  await viewer.screenshot('accept-invitation');
  // Too short a password: the server's words next to the field, and nothing accepted.
  await viewer.page.getByLabel('Choose a password').fill('short');
  await viewer.page.getByLabel('Repeat the password').fill('short');
  await viewer.page.getByRole('button', { name: 'Accept invitation' }).click();
  await field(viewer.page, 'Choose a password').getByRole('alert').filter({ hasText: 'password must be at least 8 characters' }).waitFor();
  assert.equal((await fetch(`${BASE}/admin/v1/invitations/${link.split('/').pop()}`)).status, 200, 'the link still works');
  await viewer.page.getByLabel('Choose a password').fill('viewer-password-1');
  await viewer.page.getByLabel('Repeat the password').fill('viewer-password-1');
  await viewer.page.getByRole('button', { name: 'Accept invitation' }).click();
  await viewer.page.getByRole('link', { name: email }).waitFor();

  // Used up: the link no longer works.
  const again = await fetch(`${BASE}/admin/v1/invitations/${link.split('/').pop()}`);
  assert.equal(again.status, 404);

  // The viewer sees the members, with no way to change them.
  await viewer.goto(`/apps/${encodeURIComponent(app.applicationId)}/members`);
  await viewer.page.getByRole('table', { name: 'Members' }).getByRole('cell', { name: `${email} (you)` }).waitFor();
  await viewer.page.getByText('You are viewer: only owners change members.').waitFor();
  assert.equal(await viewer.page.getByRole('heading', { name: 'Invite' }).count(), 0);
  assert.equal(await viewer.page.getByRole('button', { name: /^Remove / }).count(), 0);
  assert.equal(await viewer.page.getByRole('combobox', { name: /^Role of / }).count(), 0);
  await viewer.screenshot('members-viewer');

  // The server refuses the viewer's writes made with its cookie, and its invitations.
  const write = await viewer.page.evaluate(async (appId) => {
    const res = await fetch('/parse/classes/AccountsProbe', {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': appId, 'X-Hearth-Dashboard': '1', 'Content-Type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    return { status: res.status, body: await res.json() };
  }, app.applicationId);
  assert.ok(write.status >= 400 && write.status < 500, JSON.stringify(write));
  assert.equal(typeof write.body.code, 'number', JSON.stringify(write));
  const invite = await viewer.page.evaluate(async (appId) => {
    const res = await fetch(`/admin/v1/apps/${encodeURIComponent(appId)}/invitations`, {
      method: 'POST',
      headers: { 'X-Hearth-Dashboard': '1', 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'someone@example.test', role: 'developer' }),
    });
    return res.status;
  }, app.applicationId);
  assert.equal(invite, 403);

  // The owner changes the role from the members list.
  await page.reload();
  await page.getByRole('combobox', { name: `Role of ${email}` }).selectOption('developer');
  await until('the role to change', async () => {
    const res = await admin('GET', `/apps/${encodeURIComponent(app.applicationId)}/members`);
    return res.body.results.some((m) => m.email === email && m.role === 'developer');
  });

  // The instance administrator disables the viewer: its next request is refused.
  await page.getByRole('link', { name: 'Admins' }).click();
  await page.getByRole('button', { name: `Disable ${email}` }).click();
  await page.getByRole('button', { name: `Enable ${email}` }).waitFor();
  await owner.screenshot('admins');
  await page.getByRole('button', { name: 'Theme: system' }).click();
  await page.getByRole('button', { name: 'Theme: dark' }).waitFor();
  await owner.screenshot('admins-dark');
  const after = await viewer.page.evaluate(async (appId) => {
    const me = await fetch('/admin/v1/me', { headers: { 'X-Hearth-Dashboard': '1' } });
    const read = await fetch('/parse/classes/AccountsProbe', { headers: { 'X-Parse-Application-Id': appId, 'X-Hearth-Dashboard': '1' } });
    return { me: me.status, read: read.status };
  }, app.applicationId);
  assert.equal(after.me, 401, JSON.stringify(after));
  assert.ok(after.read >= 400, JSON.stringify(after));
  assert.equal(await loginStatus(email, 'viewer-password-1'), 401, 'a disabled admin cannot sign in');

  // Deleting takes the typed email; the admin and its membership go.
  await page.getByRole('button', { name: `Delete ${email}` }).click();
  const confirm = page.getByRole('dialog', { name: `Delete ${email}` });
  await confirm.getByLabel('confirmation').fill(email);
  await confirm.getByRole('button', { name: 'Delete admin' }).click();
  await page.getByRole('cell', { name: email, exact: true }).waitFor({ state: 'detached' });
  const members = await admin('GET', `/apps/${encodeURIComponent(app.applicationId)}/members`);
  assert.ok(!members.body.results.some((m) => m.email === email), members.text);
});

test('an existing admin signs in on the invitation page to accept it', { skip }, async (t) => {
  const app = await createHearthApp('accounts e2e existing');
  const bob = await newAdmin('bob-password-1');
  const created = await admin('POST', `/apps/${encodeURIComponent(app.applicationId)}/invitations`, { body: { email: bob.email, role: 'developer' } });
  assert.equal(created.status, 201, created.text);
  const dash = await openDashboard(t, { signIn: false });
  dash.forbid(app.keys.masterKey);
  await dash.page.goto(created.body.link);
  await dash.page.getByRole('heading', { name: 'Join accounts e2e existing' }).waitFor();
  await dash.page.getByText(`Sign in as ${bob.email} to accept.`).waitFor();
  await dash.page.getByLabel('Password').fill('not-bobs-password');
  await dash.page.getByRole('button', { name: 'Accept invitation' }).click();
  await field(dash.page, 'Password').getByRole('alert').filter({ hasText: 'invalid email or password' }).waitFor();
  await dash.page.getByLabel('Password').fill(bob.password);
  await dash.page.getByRole('button', { name: 'Accept invitation' }).click();
  await dash.page.getByRole('link', { name: bob.email }).waitFor();
  const members = await admin('GET', `/apps/${encodeURIComponent(app.applicationId)}/members`);
  assert.ok(members.body.results.some((m) => m.email === bob.email && m.role === 'developer'), members.text);
});
