'use strict';
// The dashboard's Push section in headless Chromium, continued (dashboard-push.test.js has the
// main flow): a push scheduled at each device's local time waits in the history with its wall
// clock time and is cancelled there; an app's empty history says how pushes get there; a viewer
// sees the providers and can change nothing (the server refuses it too) nor send. Screenshots
// light and dark.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../lib/harness');
const { openDashboard } = require('../lib/browser');
const { skip, shots, targeted } = require('../lib/dashboard-ops');

test('push: a push scheduled at local time waits in the history and is cancelled there', { skip, timeout: 60_000 }, async (t) => {
  const app = await h.createHearthApp('push scheduled');
  assert.equal((await h.admin('PUT', `${h.appPath(app)}/push/providers/hook`, { body: { url: 'http://127.0.0.1:9/push', deviceTypes: ['web'] } })).status, 200);
  const saved = await h.rest('POST', '/classes/_Installation', { app, body: { installationId: crypto.randomUUID(), deviceType: 'web', deviceToken: `web-${h.rand(20)}`, channels: ['later'], timeZone: 'Asia/Tokyo' } });
  assert.equal(saved.status, 201, saved.text);
  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  const { page } = dash;
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/push/compose`);
  const form = page.getByRole('form', { name: 'Compose a push' });
  await form.getByRole('textbox', { name: 'Channels' }).fill('later');
  await form.getByLabel('Message').fill('Good morning');
  await targeted(page, 1);
  await form.getByLabel('Send when').selectOption('local');
  // Two days ahead: a local time comes first in UTC+14, so 08:00 tomorrow has already come
  // somewhere from 18:00 UTC today, and the push would start at once.
  const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await form.getByLabel('Send at').fill(`${later}T08:00`);
  const preview = JSON.parse(await page.getByRole('region', { name: 'Request preview' }).locator('pre').innerText());
  assert.equal(preview.push_time, `${later}T08:00:00`, 'a local push time has no zone');
  await form.getByRole('button', { name: 'Schedule' }).click();
  const sent = page.getByRole('status', { name: 'Push sent' });
  await sent.getByText('Push scheduled').waitFor();
  const statusId = (await sent.locator('code').innerText()).trim();

  await sent.getByRole('link', { name: 'Follow it in the history' }).click();
  const row = page.getByRole('table', { name: 'Pushes' }).locator('tbody tr').first();
  await row.getByText('scheduled', { exact: true }).waitFor();
  await row.getByText("each device's local time").waitFor();
  await row.getByText(`${later} 08:00:00`, { exact: true }).waitFor();
  await shots(dash, 'push-history-scheduled');
  await row.getByRole('button', { name: `Cancel push ${statusId}` }).click();
  await page.getByRole('dialog', { name: 'Cancel this scheduled push?' }).getByRole('button', { name: 'Cancel the push' }).click();
  await page.getByText('No push sent yet').waitFor();
  assert.equal((await h.rest('GET', `/classes/_PushStatus/${statusId}`, { app })).status, 404);
});

test('push: an empty history says how pushes get there; a viewer sees the providers and changes nothing', { skip, timeout: 120_000 }, async (t) => {
  const app = await h.createHearthApp('push viewer');
  const put = await h.admin('PUT', `${h.appPath(app)}/push/providers/hook`, { body: { url: 'http://127.0.0.1:9/push', deviceTypes: ['web'] } });
  assert.equal(put.status, 200, put.text);
  const email = `viewer-${h.rand(8).toLowerCase()}@example.test`;
  const password = 'viewer-password-1';
  assert.equal((await h.admin('POST', '/admins', { body: { email, password } })).status, 201);
  assert.equal((await h.admin('PUT', `${h.appPath(app)}/members`, { body: { email, role: 'viewer' } })).status, 200);

  const dash = await openDashboard(t, { email, password });
  dash.forbid(app.keys.masterKey);
  dash.forbid(app.keys.readOnlyMasterKey);
  const { page } = dash;
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/push/history`);
  await page.getByText('No push sent yet').waitFor();
  await shots(dash, 'push-history-empty');

  await page.getByRole('navigation', { name: 'Push' }).getByRole('link', { name: 'Providers' }).click();
  const hook = page.getByRole('region', { name: 'Push hook' });
  await hook.getByText('http://127.0.0.1:9/push').waitFor();
  await hook.locator('.push-fingerprint').waitFor();
  await page.getByText('You are a viewer of this app').waitFor();
  const buttons = await page.locator('.app-main').getByRole('button').allInnerTexts();
  assert.deepEqual(buttons, [], 'a viewer is offered no button on the providers');
  await shots(dash, 'push-providers-viewer');

  // The server refuses what the page does not offer, with the viewer's cookie.
  const status = await page.evaluate(async (id) => {
    const res = await fetch(`/admin/v1/apps/${encodeURIComponent(id)}/push/providers/hook`, { method: 'DELETE', headers: { 'X-Hearth-Dashboard': '1' } });
    return res.status;
  }, app.applicationId);
  assert.equal(status, 403);
  assert.equal((await h.admin('GET', `${h.appPath(app)}/push/providers`)).body.hook.url, 'http://127.0.0.1:9/push');

  await page.getByRole('navigation', { name: 'Push' }).getByRole('link', { name: 'Compose' }).click();
  await page.getByText('You are a viewer of this app: an owner or developer sends pushes.').waitFor();
  assert.equal(await page.getByRole('button', { name: /^Send/ }).count(), 0);
});
