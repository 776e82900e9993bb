'use strict';
// The schema view of the data browser in headless Chromium: a class and a column of every type,
// names Parse refuses (the server's error next to the field, nothing half-applied), removing a
// column, indexes, and a class-level permission that the server then applies to a client.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');

const skip = !h.isHearth || !haveChromium() ? 'needs Hearth and Chromium' : false;

const appPath = (app) => `/apps/${encodeURIComponent(app.applicationId)}`;

test('schema view: a class, a column of every type, names Parse refuses, indexes, a CLP that refuses a client', { skip }, async (t) => {
  const app = await h.createHearthApp('dashboard schema');
  const dash = await openDashboard(t);
  dash.forbid(app.keys.masterKey);
  const { page } = dash;
  await dash.goto(`${appPath(app)}/schema`);

  // A class name Parse refuses: its error next to the field; then a good one.
  await page.getByRole('button', { name: '+ Class' }).click();
  const create = page.getByRole('dialog', { name: 'Create a class' });
  await create.getByLabel('Class name').fill('1bad');
  await create.getByRole('button', { name: 'Create class' }).click();
  await create.getByRole('alert').waitFor();
  const className = h.cls('Dash');
  await create.getByLabel('Class name').fill(className);
  await create.getByRole('button', { name: 'Create class' }).click();
  await page.getByRole('heading', { name: className }).waitFor();

  const columns = [
    ['s', 'String'],
    ['n', 'Number'],
    ['b', 'Boolean'],
    ['d', 'Date'],
    ['o', 'Object'],
    ['a', 'Array'],
    ['p', 'Pointer', '_User'],
    ['r', 'Relation', '_User'],
    ['f', 'File'],
    ['g', 'GeoPoint'],
    ['poly', 'Polygon'],
    ['by', 'Bytes'],
    ['perm', 'ACL'],
    ['gone', 'String'],
  ];
  const form = page.locator('form.add-column');
  for (const [name, type, target] of columns) {
    await form.getByLabel('Column name').fill(name);
    await form.getByLabel('Type').selectOption(type);
    if (target) await form.getByLabel('Target class').selectOption(target);
    await form.getByRole('button', { name: 'Add column' }).click();
    await page.getByRole('cell', { name: name, exact: true }).waitFor();
  }
  // A column name Parse refuses.
  await form.getByLabel('Column name').fill('bad-name');
  await form.getByRole('button', { name: 'Add column' }).click();
  await form.getByRole('alert').waitFor();
  assert.match(await form.getByRole('alert').textContent(), /bad-name|invalid|field name/i);
  await dash.screenshot('schema-columns');

  const schema = h.ok(await h.rest('GET', `/schemas/${className}`, { app }), 'the schema');
  for (const [name, type, target] of columns) {
    assert.equal(schema.fields[name].type, type, `${name} is a ${type}`);
    if (target) assert.equal(schema.fields[name].targetClass, target);
  }
  assert.equal(schema.fields['bad-name'], undefined, 'nothing half-applied');

  // Removing a column takes its name typed.
  await page.getByRole('button', { name: 'Remove column gone' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove column gone' });
  await confirm.getByLabel('confirmation').fill('gone');
  await confirm.getByRole('button', { name: 'Remove column' }).click();
  await page.getByRole('cell', { name: 'gone', exact: true }).waitFor({ state: 'detached' });

  // Indexes.
  await page.getByRole('tab', { name: 'Indexes' }).click();
  await page.getByLabel('Index name').fill('by_n');
  await page.getByLabel('Field', { exact: true }).selectOption('n');
  await page.getByRole('button', { name: 'Add index' }).click();
  await page.getByRole('cell', { name: 'by_n', exact: true }).waitFor();
  assert.deepEqual(h.ok(await h.rest('GET', `/schemas/${className}`, { app })).indexes.by_n, { n: 1 });

  // A class-level permission: find closed to clients, which the server then refuses.
  assert.equal((await h.rest('GET', `/classes/${className}`, { app, key: 'js' })).status, 200, 'clients may find before');
  await page.getByRole('tab', { name: 'Permissions (CLP)' }).click();
  await page.getByLabel('Find: public').uncheck();
  await page.getByText('Only the master key (and this dashboard) can query this class').waitFor();
  await page.getByLabel('Get: public').uncheck();
  await page.getByLabel('Get: users and roles').fill('role:Staff');
  await page.getByText('Only members of the role Staff can fetch one object').waitFor();
  await page.getByRole('button', { name: 'Save permissions' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const refused = await h.rest('GET', `/classes/${className}`, { app, key: 'js' });
  h.assertRestError(refused, 400, 119, 'a client find after the CLP');
  const clp = h.ok(await h.rest('GET', `/schemas/${className}`, { app })).classLevelPermissions;
  assert.deepEqual(clp.find, {});
  assert.deepEqual(clp.get, { 'role:Staff': true });
  await page.locator('.schema-main').evaluate((el) => {
    el.scrollTop = 0;
  });
  await dash.screenshot('schema-clp');
  await page.getByRole('button', { name: /^Theme:/ }).click();
  await page.getByRole('button', { name: 'Theme: dark' }).waitFor();
  await dash.screenshot('schema-clp-dark');

  // Deleting a class with rows: the server refuses until it is emptied (here, in the same dialog).
  h.ok(await h.rest('POST', `/classes/${className}`, { app, body: { s: 'a row' } }), 'a row');
  await page.reload();
  await page.getByRole('heading', { name: className }).waitFor();
  await page.getByRole('button', { name: 'Delete class' }).click();
  const del = page.getByRole('dialog', { name: `Delete class ${className}` });
  await del.getByLabel('confirmation').fill(className);
  await del.getByRole('checkbox', { name: /Also delete its 1 rows first/ }).waitFor();
  await del.getByRole('button', { name: 'Delete class' }).click();
  await del.getByRole('alert').waitFor();
  assert.equal(h.ok(await h.rest('GET', `/schemas/${className}`, { app })).className, className, 'a refused delete changes nothing');
  await del.getByRole('checkbox', { name: /Also delete its 1 rows first/ }).check();
  await del.getByRole('button', { name: 'Delete class' }).click();
  await page.getByText('Pick a class').waitFor();
  assert.equal((await h.rest('GET', `/schemas/${className}`, { app })).status, 400, 'the class is gone');
});

test('a viewer sees the data browser and the schema read-only', { skip }, async (t) => {
  const app = await h.createHearthApp('dashboard viewer');
  const className = h.cls('View');
  h.ok(await h.rest('POST', `/schemas/${className}`, { app, body: { className, fields: { name: { type: 'String' } } } }), 'the class');
  h.ok(await h.rest('POST', `/classes/${className}`, { app, body: { name: 'only' } }), 'a row');
  const email = `viewer-${h.rand(6).toLowerCase()}@hearth.test`;
  const password = 'viewer-password-1';
  h.ok(await h.admin('POST', '/admins', { body: { email, password, superuser: false } }), 'the admin');
  h.ok(await h.admin('PUT', `${appPath(app)}/members`, { body: { email, role: 'viewer' } }), 'the membership');
  const dash = await openDashboard(t, { email, password });
  dash.forbid(app.keys.masterKey);
  const { page } = dash;
  await dash.goto(`${appPath(app)}/data/${className}`);
  await page.getByRole('gridcell', { name: 'only', exact: true }).waitFor();
  await page.getByText('read-only (viewer)').waitFor();
  for (const name of ['Add row', 'Clone row', 'Import', '+ Class']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no ${name} for a viewer`);
  assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0, 'no delete for a viewer');
  await page.getByRole('gridcell', { name: 'only', exact: true }).dblclick();
  await page.getByRole('grid').press('Enter');
  assert.equal(await page.getByRole('dialog').count(), 0, 'no cell editor for a viewer');
  await page.getByRole('button', { name: 'Export' }).waitFor();

  await dash.goto(`${appPath(app)}/schema/${className}`);
  await page.getByRole('heading', { name: className }).waitFor();
  assert.equal(await page.getByText('Add a column').count(), 0, 'no column form');
  assert.equal(await page.getByRole('button', { name: 'Remove column name' }).count(), 0, 'no remove');
  assert.equal(await page.getByRole('button', { name: 'Delete class' }).count(), 0, 'no delete class');
  await page.getByRole('tab', { name: 'Permissions (CLP)' }).click();
  assert.ok(await page.getByLabel('Find: public').isDisabled(), 'permissions are read-only');
  assert.equal(await page.getByRole('button', { name: 'Save permissions' }).count(), 0, 'no save');
});
