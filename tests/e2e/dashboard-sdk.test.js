'use strict';
// The dashboard's "Client SDKs" card in headless Chromium: pick a language, download the app's
// generated SDK, and find the app's own class in the zip the browser saved.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const h = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');

const skip = !h.isHearth ? 'the dashboard is Hearth’s' : !haveChromium() ? 'no Chromium at /usr/bin/chromium' : false;

test('settings: download the app’s typed SDK as a zip, in the language picked', { skip }, async (t) => {
  const app = await h.createHearthApp('sdk-download');
  const className = `Ship${h.rand(5)}`;
  const made = await h.rest('POST', `/schemas/${className}`, { app, body: { className, fields: { warpFactor: { type: 'Number' } } } });
  assert.equal(made.status, 200, made.text);

  const dash = await openDashboard(t);
  const { page } = dash;
  dash.forbid(app.keys.masterKey);
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/settings`);
  const card = page.locator('section', { has: page.getByRole('heading', { name: 'Client SDKs' }) });
  await card.getByRole('radio', { name: /Kotlin/ }).check();
  await card.getByText(/Gradle module/).waitFor();
  await card.getByText(`--lang kotlin`, { exact: false }).waitFor();
  await card.scrollIntoViewIfNeeded();
  await dash.screenshot('settings-sdk');

  const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Download Kotlin SDK' }).click()]);
  assert.equal(download.suggestedFilename(), `${app.applicationId}-kotlin-sdk.zip`);
  await card.getByRole('status').filter({ hasText: `Saved ${app.applicationId}-kotlin-sdk.zip` }).waitFor();
  const listing = execFileSync('unzip', ['-Z1', await download.path()], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(listing.every((n) => n.startsWith(`${app.applicationId}-kotlin-sdk/`)), listing.join('\n'));
  const model = listing.find((n) => n.includes(className));
  assert.ok(model, `a model file for ${className}: ${listing.join('\n')}`);
  const text = execFileSync('unzip', ['-p', await download.path(), model], { encoding: 'utf8' });
  assert.match(text, /warpFactor/);
});
