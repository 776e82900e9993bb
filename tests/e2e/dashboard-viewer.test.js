'use strict';
// A viewer of an app, in real Chromium: every section of the app opens and shows the app's data,
// no section offers a control that changes anything, and the server refuses a change the page
// tries anyway with the viewer's cookie.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');

const skip = !h.isHearth ? 'the dashboard is Hearth’s' : !haveChromium() ? 'chromium is not installed' : false;

/** Names of controls that change something (a viewer must see none of them). */
const WRITES = /^(\+(?! Filter)|add|new|create(?!dAt)|delete|remove|save|upload|rotate|import|invite|run|fix|revoke|activate|roll ?back|edit|clone|rename|deploy|set|purge|clean)/i;

/** The sections of an app's navigation (App.tsx's SECTIONS), by their link names. */
const SECTIONS = ['Data browser', 'Schema', 'Users & roles', 'Files', 'Push', 'Cloud functions', 'Config', 'API console', 'Metrics', 'Audit log', 'Security check', 'Settings & keys', 'Members'];

test('a viewer sees every section and can change nothing', { skip, timeout: 180_000 }, async (t) => {
  const app = await h.createHearthApp('viewer everywhere');
  const className = h.cls('Seen');
  h.ok(await h.rest('POST', `/classes/${className}`, { app, body: { title: 'visible to the viewer' } }), 'a row');
  h.ok(await h.rest('PUT', '/config', { app, body: { params: { greeting: 'hello' } } }), 'a config parameter');
  // The viewer: a new admin, member of the app with the viewer role.
  const email = `viewer-${h.rand(8).toLowerCase()}@example.test`;
  const password = 'viewer-password-1';
  assert.equal((await h.admin('POST', '/admins', { body: { email, password } })).status, 201);
  const member = await h.admin('PUT', `${h.appPath(app)}/members`, { body: { email, role: 'viewer' } });
  assert.equal(member.status, 200, member.text);

  const dash = await openDashboard(t, { email, password });
  dash.forbid(app.keys.masterKey);
  dash.forbid(app.keys.readOnlyMasterKey);
  const { page } = dash;
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/data/${className}`);
  await page.getByText('visible to the viewer').waitFor();

  const offered = [];
  for (const section of SECTIONS) {
    await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: section, exact: true }).click();
    // The section has loaded when its spinner is gone.
    await page.locator('.app-main').waitFor();
    await h.until(`${section} to load`, async () => (await page.locator('.app-main .state-loading').count()) === 0);
    const names = await page.locator('.app-main').getByRole('button').evaluateAll((buttons) =>
      buttons.filter((b) => !b.disabled && b.offsetParent !== null).map((b) => (b.getAttribute('aria-label') || b.textContent || '').trim()),
    );
    for (const name of names) if (WRITES.test(name)) offered.push(`${section}: ${name}`);
    await dash.screenshot(`viewer-${section.toLowerCase().replace(/[^a-z]+/g, '-')}`);
  }
  assert.deepEqual(offered, [], 'no control that changes anything is offered to a viewer');
  // Each section read what it shows (a section that could not read its data says so).
  await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: 'Security check', exact: true }).click();
  await page.getByText('Passed').waitFor();
  assert.equal(await page.getByText('could not be read').count(), 0, 'the security check read the classes after the data browser had');

  // The server refuses what the UI does not offer.
  const attempts = await page.evaluate(async ({ id, cls }) => {
    const call = async (method, path, body) =>
      (
        await fetch(path, {
          method,
          headers: { 'X-Parse-Application-Id': id, 'X-Hearth-Dashboard': '1', 'Content-Type': 'application/json' },
          body: body && JSON.stringify(body),
        })
      ).status;
    return {
      create: await call('POST', `/parse/classes/${cls}`, { title: 'x' }),
      config: await call('PUT', '/parse/config', { params: { greeting: 'changed' } }),
      schema: await call('DELETE', `/parse/schemas/${cls}`),
      rename: (
        await fetch(`/admin/v1/apps/${encodeURIComponent(id)}`, {
          method: 'PATCH',
          headers: { 'X-Hearth-Dashboard': '1', 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: 'renamed' }),
        })
      ).status,
    };
  }, { id: app.applicationId, cls: className });
  assert.deepEqual(attempts, { create: 400, config: 400, schema: 400, rename: 403 }, JSON.stringify(attempts));
  const config = h.ok(await h.rest('GET', '/config', { app }), 'config');
  assert.equal(config.params.greeting, 'hello', 'nothing changed');
});
