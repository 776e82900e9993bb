'use strict';
// The dashboard's frame in real Chromium: signing in and out, a wrong password, deep links,
// the strict Content-Security-Policy (a violation is a console error, which fails the test),
// and the session cookie as the only credential the browser holds.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { isHearth, createHearthApp } = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');

const skip = !isHearth ? 'the dashboard is Hearth’s' : !haveChromium() ? 'chromium is not installed' : false;

test('signing in with a wrong password shows the server’s error, then the right one opens the apps', { skip }, async (t) => {
  const dash = await openDashboard(t, { signIn: false });
  const { page } = dash;
  await dash.goto('/');
  // Not signed in: any page leads to the sign-in form.
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.match(page.url(), /\/dashboard\/login$/);
  await page.getByLabel('Email').fill(process.env.E2E_ADMIN_EMAIL);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').getByText('invalid email or password').waitFor();
  await dash.screenshot('sign-in-error');

  await page.getByLabel('Password').fill(process.env.E2E_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Hearth', exact: true }).waitFor();
  // The session is an HttpOnly cookie the page's scripts cannot read.
  const cookies = await dash.context.cookies();
  const session = cookies.find((c) => c.name === 'hearth_admin');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));
  assert.equal(await page.evaluate(() => document.cookie.includes('hearth_admin')), false);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal((await dash.context.cookies()).some((c) => c.name === 'hearth_admin' && c.value), false, 'signing out clears the cookie');
});

test('a deep link into an app opens its section after signing in', { skip }, async (t) => {
  const app = await createHearthApp('deep link');
  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  dash.forbid(app.keys.readOnlyMasterKey);
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/data`);
  await dash.page.getByRole('navigation', { name: 'App sections' }).getByText('deep link').waitFor();
  await dash.page.getByRole('link', { name: 'Data browser' }).waitFor();
  await dash.screenshot('app-frame');
  // A large screen: the frame fills it.
  await dash.page.setViewportSize({ width: 2560, height: 1440 });
  const main = await dash.page.locator('.app-main').boundingBox();
  assert.ok(main && main.width > 2000 && main.height > 1300, `the section uses the screen: ${JSON.stringify(main)}`);
  await dash.screenshot('app-frame-large');
  await dash.page.setViewportSize({ width: 1280, height: 720 });
  // A path that names no view says so.
  await dash.goto('/no/such/page');
  await dash.page.getByText('This page does not exist.').waitFor();
});

test('a page of another site cannot use the session', { skip }, async (t) => {
  const app = await createHearthApp('csrf');
  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  // From the dashboard's own page, with its header, a write works...
  const own = await dash.page.evaluate(async (id) => {
    const res = await fetch('/parse/classes/FromPage', {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': id, 'X-Hearth-Dashboard': '1', 'Content-Type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    return res.status;
  }, app.applicationId);
  assert.equal(own, 201);
  // ...and without the header (what a form posted from another site would be), the cookie gives nothing.
  const bare = await dash.page.evaluate(async (id) => {
    const res = await fetch('/parse/classes/FromPage', {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': id, 'Content-Type': 'text/plain' },
      body: JSON.stringify({ n: 2 }),
    });
    return res.status;
  }, app.applicationId);
  assert.equal(bare, 403);
});
