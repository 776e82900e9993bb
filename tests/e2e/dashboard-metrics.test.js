'use strict';
// The dashboard's metrics and audit views in a real Chromium: the traffic a test makes with the
// app's keys shows in the totals and charts (errors too), in light and dark; the audit log shows
// the app's creation, filters it, shows an entry's details, and puts the server's refusal of a
// bad time range next to the field.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { isHearth, createHearthApp, admin, rest } = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');

const skip = !(isHearth && haveChromium()) && 'needs Hearth and Chromium';

/** The text of a total (a <dd> labelled by its name). */
async function total(page, name) {
  return (await page.getByLabel('Totals').getByLabel(name, { exact: true }).innerText()).split('\n')[0].trim();
}

test('the metrics view shows the traffic made with the app\'s keys', { skip }, async (t) => {
  const app = await createHearthApp('metrics e2e');
  for (let i = 0; i < 5; i++) {
    const res = await rest('POST', '/classes/Metric', { app, body: { n: i } });
    assert.equal(res.status, 201, res.text);
  }
  for (let i = 0; i < 3; i++) assert.equal((await rest('GET', '/classes/Metric', { app })).status, 200);
  const missing = await rest('GET', '/classes/Metric/nosuchobjct', { app });
  assert.equal(missing.status, 404, missing.text);

  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  const { page } = dash;
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/metrics`);
  await page.getByRole('heading', { name: 'Metrics' }).waitFor();
  // The totals as text: the 9 requests made above, 1 of them an error (a 404).
  await page.getByLabel('Totals').getByLabel('Requests', { exact: true }).filter({ hasText: '9' }).waitFor();
  assert.equal(await total(page, 'Requests'), '9');
  assert.equal(await total(page, 'Errors'), '1');
  assert.match(await page.getByLabel('Totals').getByLabel('Errors', { exact: true }).innerText(), /4xx 1 · 5xx 0/);
  assert.match(await total(page, 'Latency p50'), /^\d+(\.\d+)? m?s$/);
  assert.equal(await total(page, 'Function calls'), '0');
  // Four charts, each drawn on a canvas.
  for (const name of ['Requests per second', 'Latency (ms)', 'Errors per minute', 'Function calls per minute']) {
    await page.getByRole('img', { name }).locator('canvas').waitFor();
  }
  await dash.screenshot('metrics-light');
  await page.getByRole('img', { name: 'Function calls per minute' }).scrollIntoViewIfNeeded();
  await dash.screenshot('metrics-light-errors');

  // More traffic, then Refresh: the totals follow without a reload.
  assert.equal((await rest('GET', '/classes/Metric', { app })).status, 200);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByLabel('Totals').getByLabel('Requests', { exact: true }).filter({ hasText: '10' }).waitFor();

  // Another range keeps the same traffic; the dark theme draws the charts again.
  await page.getByRole('button', { name: '24 h' }).click();
  await page.getByRole('button', { name: '24 h', pressed: true }).waitFor();
  await page.getByRole('heading', { name: 'Last 24 h' }).waitFor();
  assert.equal(await total(page, 'Requests'), '10');
  await page.getByRole('button', { name: /^Theme:/ }).click();
  await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
  await page.getByRole('img', { name: 'Requests per second' }).locator('canvas').waitFor();
  await dash.screenshot('metrics-dark');
});

test('the metrics view of an app without traffic says so', { skip }, async (t) => {
  const app = await createHearthApp('quiet e2e');
  const dash = await openDashboard(t);
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/metrics`);
  await dash.page.getByText('No traffic in this range').waitFor();
  assert.equal(await total(dash.page, 'Requests'), '0');
  assert.equal(await dash.page.locator('canvas').count(), 0);
  await dash.screenshot('metrics-empty');
});

test('the audit view shows the app\'s history and filters it', { skip }, async (t) => {
  const app = await createHearthApp('audit e2e');
  const path = `/apps/${encodeURIComponent(app.applicationId)}`;
  assert.equal((await admin('PATCH', path, { body: { name: 'audit e2e renamed' } })).status, 200);
  assert.equal((await admin('POST', `${path}/keys/clientKey/rotate`)).status, 200);

  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  const { page } = dash;
  await dash.goto(`${path}/audit`);
  const rows = page.locator('table.audit-table tbody tr');
  await page.getByRole('cell', { name: 'app.create', exact: true }).waitFor();
  assert.equal(await rows.count(), 3);
  assert.deepEqual(await page.locator('table.audit-table tbody td code').allInnerTexts(), ['app.key.rotate', 'app.update', 'app.create']);

  // The creation's details, expanded.
  await page.getByRole('button', { name: /^Details of app\.create/ }).click();
  await page.getByText('"name": "audit e2e"').waitFor();
  await dash.screenshot('audit-light');

  // Filtered by action: a prefix, then one that matches nothing.
  await page.getByLabel('Action').fill('app.update');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('table.audit-table tbody td code').filter({ hasText: 'app.create' }).waitFor({ state: 'detached' });
  assert.deepEqual(await page.locator('table.audit-table tbody td code').allInnerTexts(), ['app.update']);
  await page.getByLabel('Action').fill('member.remove');
  await page.getByLabel('Action').press('Enter');
  await page.getByText('No entry matches these filters').waitFor();
  // By actor: everything here was done by the run's administrator.
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByLabel('Actor').fill(process.env.E2E_ADMIN_EMAIL);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('cell', { name: 'app.create', exact: true }).waitFor();
  assert.equal(await rows.count(), 3);

  // A range that ends before it starts: the server's refusal, next to the field.
  await page.getByLabel('From', { exact: true }).fill('2026-06-02T10:00');
  await page.getByLabel('To', { exact: true }).fill('2026-06-01T10:00');
  await page.getByRole('button', { name: 'Apply' }).click();
  const fromField = page.locator('label.field').filter({ has: page.locator('.field-label', { hasText: /^From$/ }) });
  await fromField.getByRole('alert').filter({ hasText: 'from must be before to' }).waitFor();
  await dash.screenshot('audit-bad-range');

  await page.getByRole('button', { name: /^Theme:/ }).click();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByRole('cell', { name: 'app.create', exact: true }).waitFor();
  await dash.screenshot('audit-dark');
});
