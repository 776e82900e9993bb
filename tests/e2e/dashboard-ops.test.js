'use strict';
// The dashboard's cloud functions view in headless Chromium: deploy a module from the browser (a
// non-wasm file is refused next to the field), invoke a function with its params checked before
// sending and see its result and its own log line, filter the log, run a job until its
// `_JobStatus` succeeds, roll back to an earlier version. Screenshots of each tab, light and dark.
// (dashboard-ops-files and dashboard-ops-users test the files and the users and roles views.)

const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { skip, shots, openSection: open } = require('../lib/dashboard-ops');
const { compileExample } = require('../lib/functions');

// Built before the first request (see compileExample in lib/functions.js).
const modules = skip ? null : { demo: compileExample('demo'), triggers: compileExample('triggers'), typed: compileExample('typed') };

test('functions: deploy, invoke with its log line, run a job, roll back; bad input is refused', { skip }, async (t) => {
  const { app, dash, page } = await open(t, 'functions/versions');
  const tab = (name) => page.getByRole('navigation', { name: 'Cloud functions' }).getByRole('link', { name, exact: true });

  // Not a module: the server's reason, next to the file field; nothing deployed.
  await page.getByLabel('Module file').setInputFiles({ name: 'notes.wasm', mimeType: 'application/wasm', buffer: Buffer.from('not a module') });
  await page.getByRole('button', { name: 'Deploy' }).click();
  const refused = page.locator('.fn-upload [role=alert]');
  await refused.waitFor();
  assert.match(await refused.innerText(), /\(code 107\)/);
  await page.getByText('No versions yet').waitFor();

  // Two versions: the triggers example, then the demo (active).
  for (const [n, bytes] of [[1, modules.triggers], [2, modules.demo]]) {
    await page.getByLabel('Module file').setInputFiles({ name: `v${n}.wasm`, mimeType: 'application/wasm', buffer: bytes });
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.getByText(`Deployed version ${n}: it is active now.`).waitFor();
  }
  await page.getByRole('row', { name: /Version 2/ }).getByText('active', { exact: true }).waitFor();
  await shots(dash, 'functions-versions');

  await tab('Manifest').click();
  await page.getByRole('region', { name: 'Functions' }).getByText('hello', { exact: true }).waitFor();
  await page.getByRole('region', { name: 'Jobs' }).getByText('tidy', { exact: true }).waitFor();
  await shots(dash, 'functions-manifest');

  // The invoke console: invalid JSON is caught before sending, next to the field.
  await page.getByRole('link', { name: 'Invoke hello' }).click();
  assert.equal(await page.getByLabel('Function name').inputValue(), 'hello');
  await page.getByLabel('Params (JSON)').fill('{name: Ada}');
  const calls = () => dash.requests.filter((r) => r.url.includes('/parse/functions/')).length;
  await page.getByRole('button', { name: 'Invoke' }).click();
  await page.locator('.fn-console-form [role=alert]').getByText(/Invalid JSON/).waitFor();
  assert.equal(calls(), 0, 'invalid params are not sent');
  await page.getByLabel('Params (JSON)').fill('{"name": "Ada"}');
  await page.getByRole('button', { name: 'Invoke' }).click();
  const result = page.getByRole('region', { name: 'Result' });
  await result.getByLabel('Result value').getByText('"Hello, Ada!"').waitFor();
  await result.getByText(/\d+ ms/).first().waitFor();
  // The log line of this very call (matched by its request id), then its outcome line.
  await result.getByText('hello called').waitFor();
  await result.getByText(/^ok in /).waitFor();
  assert.equal(calls(), 1);
  await shots(dash, 'functions-invoke');

  // The log with filters.
  await tab('Logs').click();
  await page.getByRole('cell', { name: 'hello called' }).waitFor();
  await page.getByLabel('Level').selectOption({ label: 'Errors only' });
  await page.getByText('Nothing matches these filters.').waitFor();
  await page.getByLabel('Level').selectOption({ label: 'All levels' });
  await page.getByLabel('Source').fill('function:hello');
  await page.getByRole('cell', { name: 'hello called' }).waitFor();
  await page.getByLabel('Time').selectOption({ label: 'Custom range' });
  await page.getByLabel('From').fill('2099-01-01T00:00');
  await page.getByText('Nothing matches these filters.').waitFor();
  await page.getByLabel('From').fill('2000-01-01T00:00');
  await page.getByRole('cell', { name: 'hello called' }).waitFor();
  await shots(dash, 'functions-logs');

  // A job run, followed until its `_JobStatus` says succeeded.
  await tab('Jobs').click();
  await page.getByLabel('Job', { exact: true }).selectOption('tidy');
  await page.getByRole('button', { name: 'Run job' }).click();
  const run = page.getByRole('table', { name: 'Job runs' }).getByRole('row').filter({ hasText: 'tidy' });
  await run.getByText('succeeded', { exact: true }).waitFor();
  await run.getByText('tidied').waitFor();
  await shots(dash, 'functions-jobs');

  // Roll back: version 1 becomes active again, for the browser and for the server.
  await tab('Versions').click();
  await page.getByRole('button', { name: 'Activate version 1' }).click();
  await page.getByRole('row', { name: /Version 1/ }).getByText('active', { exact: true }).waitFor();
  const deployments = await h.admin('GET', `${h.appPath(app)}/functions`);
  assert.deepEqual(deployments.body.map((d) => [d.version, d.active]), [[2, false], [1, true]]);

  // A schedule: a bad cron expression is refused under its field, then a good one saved.
  await tab('Schedules').click();
  await page.getByText('No schedules').waitFor();
  await page.getByRole('button', { name: 'New schedule' }).click();
  const form = page.getByRole('dialog', { name: 'New schedule' });
  await form.getByLabel('Job', { exact: true }).fill('tick');
  await form.getByLabel('Cron expression (UTC)').fill('every minute');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.locator('label', { hasText: 'Cron expression' }).getByRole('alert').getByText(/cron expression "every minute" has 2 fields/).waitFor();
  await form.getByLabel('Cron expression (UTC)').fill('*/5 * * * *');
  await form.getByLabel('Description').fill('every five minutes');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('cell', { name: '*/5 * * * *' }).waitFor();
  const schedules = await h.admin('GET', `${h.appPath(app)}/functions/schedules`);
  assert.deepEqual(schedules.body.map((s) => [s.job, s.cron, s.enabled]), [['tick', '*/5 * * * *', true]]);
  await shots(dash, 'functions-schedules');

  // A webhook: a URL the server refuses shows its reason under the URL field; an https one is
  // registered and listed.
  await tab('Webhooks').click();
  await page.getByText('No webhooks').waitFor();
  await page.getByLabel('Function name').fill('remote');
  await page.getByLabel('Webhook URL').fill('ftp://hooks.example.com/remote');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.locator('label', { hasText: 'Webhook URL' }).getByRole('alert').getByText(/only https/).waitFor();
  await page.getByLabel('Webhook URL').fill('https://hooks.example.com/remote');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByLabel('URL of remote').waitFor();
  const hooks = await h.rest('GET', '/hooks/functions', { app });
  assert.deepEqual(hooks.body, [{ functionName: 'remote', url: 'https://hooks.example.com/remote' }]);
  await shots(dash, 'functions-webhooks');
});

test('functions: the manifest shows the parameter and result types a module declares', { skip }, async (t) => {
  const { dash, page } = await open(t, 'functions/versions');
  await page.getByLabel('Module file').setInputFiles({ name: 'typed.wasm', mimeType: 'application/wasm', buffer: modules.typed });
  await page.getByRole('button', { name: 'Deploy' }).click();
  await page.getByText('Deployed version 1: it is active now.').waitFor();
  await page.getByRole('navigation', { name: 'Cloud functions' }).getByRole('link', { name: 'Manifest', exact: true }).click();
  const types = page.getByRole('region', { name: 'Function types' });
  const score = types.getByRole('row').filter({ hasText: 'score' });
  await score.getByText('{ playerId: string; bonus?: number }', { exact: true }).waitFor();
  await score.getByText('{ playerId: string; total: number }', { exact: true }).waitFor();
  assert.equal(await types.getByRole('row').filter({ hasText: 'hello' }).count(), 0, 'hello declares no types');
  await page.getByRole('region', { name: 'Functions' }).getByText('hello', { exact: true }).waitFor();
  // The schema itself, unfolded.
  await score.getByText('{ playerId: string; bonus?: number }', { exact: true }).click();
  await score.getByText(/"additionalProperties": false/).waitFor();
  await shots(dash, 'functions-manifest-types');
});
