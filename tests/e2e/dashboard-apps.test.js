'use strict';
// The dashboard's app views in headless Chromium: the apps list (create, bad names), settings and
// keys (rename, rotate a key and see the server refuse the old one, delete with the typed
// confirmation), the security check (findings and their one-click fixes, checked against the
// server), config parameters read back by a client, and the API console (a call, a bad body).
// Each test has an app of its own.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { openDashboard, haveChromium } = require('../lib/browser');

const skip = !h.isHearth ? 'the dashboard is Hearth’s' : !haveChromium() ? 'no Chromium at /usr/bin/chromium' : false;

/** The app with every key, as the management API gives them to a token (not to the browser). */
async function appKeys(applicationId) {
  const res = await h.admin('GET', `/apps/${encodeURIComponent(applicationId)}`);
  assert.equal(res.status, 200, res.text);
  return { applicationId, keys: res.body.keys, settings: res.body.settings, name: res.body.name };
}

/** A screenshot in the light theme and one in the dark theme. */
async function shots(dash, name) {
  await dash.page.emulateMedia({ colorScheme: 'light' });
  await dash.screenshot(`${name}-light`);
  await dash.page.emulateMedia({ colorScheme: 'dark' });
  await dash.screenshot(`${name}-dark`);
  await dash.page.emulateMedia({ colorScheme: 'light' });
}

/** Opens a section of an app. */
async function openSection(dash, app, section) {
  await dash.goto(`/apps/${encodeURIComponent(app.applicationId)}/${section}`);
}

// Two at a time: the file has a minute in all (run.js), and each test has its own app.
describe('the app views', { concurrency: 2 }, () => {
  test('apps: create (a bad name is refused next to its field), rename, rotate a key, delete', { skip }, async (t) => {
    const dash = await openDashboard(t);
    const { page } = dash;
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    // The list or its empty state, whichever this run's instance shows.
    const newApp = page.getByRole('button', { name: /^(New app|Create your first app)$/ });
    await newApp.first().click();
    const dialog = page.getByRole('dialog', { name: 'New app' });

    // A name the server refuses: its error is shown next to the name, and nothing is created.
    const refusedName = `Shop ${h.rand(6)}`;
    await dialog.getByLabel('App name').fill('x'.repeat(101));
    await dialog.getByRole('button', { name: 'Create app' }).click();
    await dialog.locator('.field', { hasText: 'App name' }).getByRole('alert').filter({ hasText: /app name must be 1 to 100 characters/ }).waitFor();
    // An application id with a space: refused next to the id field.
    await dialog.getByLabel('App name').fill(refusedName);
    await dialog.getByLabel('Application id (optional)').fill('has space');
    await dialog.getByRole('button', { name: 'Create app' }).click();
    await dialog.locator('.field', { hasText: 'Application id' }).getByRole('alert').filter({ hasText: /application id must be/ }).waitFor();
    const names = (await h.admin('GET', '/apps')).body.results.map((a) => a.name);
    assert.ok(!names.includes(refusedName) && !names.includes('x'.repeat(101)), 'no app was created by the refused attempts');

    const name = `ui-${h.rand(6)}`;
    const applicationId = `ui_${h.rand(8)}`;
    await dialog.getByLabel('App name').fill(name);
    await dialog.getByLabel('Application id (optional)').fill(applicationId);
    await dialog.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: 'Settings & keys' }).waitFor();
    const app = await appKeys(applicationId);
    dash.forbid(app.keys.masterKey);
    assert.equal(app.name, name);

    // The list shows it, and finds it by name.
    await dash.goto('/');
    await page.getByLabel('Search apps').fill(name);
    await page.getByRole('link', { name }).waitFor();
    await page.getByLabel('Search apps').fill('');
    await shots(dash, 'apps-list');
    await page.getByRole('link', { name }).click();
    await page.getByRole('link', { name: 'Settings & keys' }).click();

    // Rename.
    const renamed = `${name}-renamed`;
    await page.getByLabel('App name').fill(renamed);
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('navigation', { name: 'App sections' }).getByText(renamed).waitFor();
    assert.equal((await appKeys(applicationId)).name, renamed);

    // The master keys are not in the page; the client keys are, on demand.
    assert.equal(await page.getByText('Hidden.').count(), 2, 'both master keys are hidden');
    const content = await page.content();
    assert.ok(!content.includes(app.keys.masterKey) && !content.includes(app.keys.readOnlyMasterKey), 'no master key is in the page');
    await shots(dash, 'settings');

    // Nothing reveals them: the page says where they are printed instead.
    assert.equal(await page.getByRole('button', { name: /^Reveal/ }).count(), 0, 'no reveal');
    await page.getByText(`hearth app keys ${applicationId}`).first().waitFor();

    // A setting the server refuses: its message is next to that setting, and nothing is saved.
    const policy = page.getByLabel('Password policy', { exact: true });
    await policy.fill('{"validatorPattern": "("}');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.setting', { has: policy }).getByRole('alert').filter({ hasText: /validatorPattern does not compile/ }).waitFor();
    assert.equal((await appKeys(applicationId)).settings.passwordPolicy, undefined, 'the refused settings were not saved');
    await policy.fill('{"minLength": 10}');
    await page.getByLabel('Client class creation').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    const saved = (await appKeys(applicationId)).settings;
    const { passwordPolicy, ...rest } = saved;
    assert.equal(passwordPolicy.minLength, 10);
    assert.deepEqual(rest, { ...app.settings, allowClientClassCreation: true }, 'the other settings are as they were');
    await page.getByRole('heading', { name: 'App settings' }).scrollIntoViewIfNeeded();
    await shots(dash, 'settings-form');

    // Rotate the JavaScript key: the old one is refused at once, the new one works.
    const oldKey = app.keys.javascriptKey;
    const asClient = (key) => h.rest('GET', '/config', { app: { applicationId, keys: { javascriptKey: key } }, key: 'js' });
    assert.equal((await asClient(oldKey)).status, 200, 'the JavaScript key works before the rotation');
    await page.getByRole('button', { name: 'Rotate JavaScript key' }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the JavaScript key?' });
    await confirm.getByText('The old key stops working at once').waitFor();
    await confirm.getByRole('button', { name: 'Rotate key' }).click();
    await confirm.waitFor({ state: 'detached' });
    const newKey = (await appKeys(applicationId)).keys.javascriptKey;
    assert.notEqual(newKey, oldKey);
    h.assertRestError(await asClient(oldKey), 403, 119, 'the old JavaScript key');
    assert.equal((await asClient(newKey)).status, 200, 'the new JavaScript key works');
    await page.getByRole('button', { name: 'Show JavaScript key' }).click();
    await page.getByLabel('JavaScript key value').filter({ hasText: newKey }).waitFor();

    // Delete with the typed confirmation: the button waits for the exact name.
    await page.getByRole('button', { name: 'Delete app…' }).click();
    const del = page.getByRole('dialog', { name: `Delete ${renamed}?` });
    await del.getByLabel('confirmation').fill(name);
    assert.equal(await del.getByRole('button', { name: 'Delete app' }).isDisabled(), true, 'a wrong name does not delete');
    await del.getByLabel('confirmation').fill(renamed);
    await del.getByRole('button', { name: 'Delete app' }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    assert.equal((await h.admin('GET', `/apps/${applicationId}`)).status, 404, 'the app is gone');
    h.assertRestError(await asClient(newKey), 403, 119, 'a deleted app');
  });

  test('security check: client class creation and a class open to public writes, fixed in one click each', { skip }, async (t) => {
    const base = await h.createHearthApp('ui-security');
    const app = await appKeys(base.applicationId);
    // Client class creation on; a class with Parse's open default permissions.
    await h.updateHearthSettings({ ...app.settings, allowClientClassCreation: true }, app);
    h.ok(await h.rest('POST', '/classes/OpenNotes', { app, body: { title: 'seed' } }), 'a class made with the master key');
    const asClient = (className) => h.rest('POST', `/classes/${className}`, { app, key: 'js', body: { title: 'by a client' } });
    h.ok(await asClient(`Fresh${h.rand(4)}`), 'a client creates a class while it is allowed');
    h.ok(await asClient('OpenNotes'), 'a client writes to the open class');

    const dash = await openDashboard(t);
    dash.forbid(app.keys.masterKey);
    await openSection(dash, app, 'security');
    const findings = dash.page.getByRole('list', { name: 'Findings' });
    const classCreation = findings.getByRole('listitem', { name: 'Clients may create classes' });
    const openNotes = findings.getByRole('listitem', { name: 'OpenNotes: anyone may create, update, delete and add fields to it' });
    await classCreation.waitFor();
    await openNotes.getByText('ACLs still guard objects that have one').waitFor();
    await shots(dash, 'security');

    await classCreation.getByRole('button', { name: 'Fix: Turn client class creation off' }).click();
    await classCreation.waitFor({ state: 'detached' });
    await dash.page.getByRole('region', { name: 'Passed checks' }).getByText('Clients cannot create classes.').waitFor();
    h.assertRestError(await asClient(`Fresh${h.rand(4)}`), 400, 119, 'a client creating a class after the fix');
    // Only that setting changed: the others are as they were.
    const after = await appKeys(app.applicationId);
    assert.deepEqual(after.settings, { ...app.settings, allowClientClassCreation: false });

    await openNotes.getByRole('button', { name: /^Fix: Require a signed-in user to create, update and delete/ }).click();
    await openNotes.waitFor({ state: 'detached' });
    h.assertRestError(await asClient('OpenNotes'), 404, 101, 'a client without a session writing to the fixed class');
    const schema = h.ok(await h.rest('GET', '/schemas/OpenNotes', { app }));
    assert.deepEqual(schema.classLevelPermissions.create, { requiresAuthentication: true });
    assert.deepEqual(schema.classLevelPermissions.addField, {});
    assert.deepEqual(schema.classLevelPermissions.find, { '*': true }, 'reads stay public');
  });

  test('config: a parameter added by type is read back by a client; a bad value is refused next to it', { skip }, async (t) => {
    const base = await h.createHearthApp('ui-config');
    const app = await appKeys(base.applicationId);
    const dash = await openDashboard(t);
    dash.forbid(app.keys.masterKey);
    const { page } = dash;
    await openSection(dash, app, 'config');
    await page.getByRole('button', { name: 'Add the first parameter' }).click();
    const dialog = page.getByRole('dialog', { name: 'New parameter' });
    await dialog.getByLabel('Parameter name').fill('limits');
    await dialog.getByLabel('Type').selectOption('object');
    await dialog.getByLabel('Value').fill('{"perDay": 10,');
    await dialog.getByRole('button', { name: 'Save parameter' }).click();
    await dialog.locator('.field', { hasText: 'Value' }).getByRole('alert').filter({ hasText: /Not valid JSON/ }).waitFor();
    await dialog.getByLabel('Value').fill('{"perDay": 10}');
    await dialog.getByRole('button', { name: 'Save parameter' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'limits', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Add parameter' }).click();
    const second = page.getByRole('dialog', { name: 'New parameter' });
    await second.getByLabel('Parameter name').fill('internalToken');
    await second.getByLabel('Value').fill('s3cret');
    await second.getByLabel('Master key only (hidden from clients)').check();
    await second.getByRole('button', { name: 'Save parameter' }).click();
    await second.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'internalToken', exact: true }).waitFor();
    await shots(dash, 'config');

    const client = h.ok(await h.rest('GET', '/config', { app, key: 'js' }), 'a client reads the config');
    assert.deepEqual(client.params, { limits: { perDay: 10 } }, 'the client sees the public parameter only');
    const master = h.ok(await h.rest('GET', '/config', { app }));
    assert.deepEqual(master.params, { limits: { perDay: 10 }, internalToken: 's3cret' });
    assert.deepEqual(master.masterKeyOnly, { limits: false, internalToken: true });

    // A date from the picker (UTC), and a rename that keeps the flag, in one call each.
    await page.getByRole('button', { name: 'Add parameter' }).click();
    const date = page.getByRole('dialog', { name: 'New parameter' });
    await date.getByLabel('Parameter name').fill('launchAt');
    await date.getByLabel('Type').selectOption('date');
    await date.getByLabel('Value').fill('2027-01-02T03:04:05');
    await date.getByRole('button', { name: 'Save parameter' }).click();
    await date.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Edit internalToken' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit internalToken' });
    await edit.getByLabel('Parameter name').fill('serverToken');
    await edit.getByRole('button', { name: 'Save parameter' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'serverToken', exact: true }).waitFor();
    const renamed = h.ok(await h.rest('GET', '/config', { app }));
    assert.deepEqual(renamed.params, { limits: { perDay: 10 }, serverToken: 's3cret', launchAt: { __type: 'Date', iso: '2027-01-02T03:04:05.000Z' } });
    assert.deepEqual(renamed.masterKeyOnly, { limits: false, serverToken: true, launchAt: false });

    // Deleted from the list: gone for clients too.
    await page.getByRole('button', { name: 'Delete limits' }).click();
    await page.getByRole('dialog', { name: 'Delete limits?' }).getByRole('button', { name: 'Delete parameter' }).click();
    await page.getByRole('cell', { name: 'limits', exact: true }).waitFor({ state: 'detached' });
    assert.deepEqual(h.ok(await h.rest('GET', '/config', { app, key: 'js' })).params, { launchAt: { __type: 'Date', iso: '2027-01-02T03:04:05.000Z' } });
  });

  test('API console: a GET shows the answer and the curl command; an invalid JSON body is refused before sending', { skip }, async (t) => {
    const base = await h.createHearthApp('ui-console');
    const app = await appKeys(base.applicationId);
    const saved = h.ok(await h.rest('POST', '/classes/Thing', { app, body: { label: 'from the test' } }));
    const dash = await openDashboard(t);
    dash.forbid(app.keys.masterKey);
    const { page } = dash;
    await openSection(dash, app, 'console');
    const request = page.getByRole('form', { name: 'Request' });
    await request.getByLabel('Path').fill('/classes/Thing');
    await request.getByRole('button', { name: 'Send' }).click();
    const response = page.getByRole('region', { name: 'Response' });
    await response.getByLabel('Status').filter({ hasText: '200' }).waitFor();
    await response.getByLabel('Response body').filter({ hasText: saved.objectId }).waitFor();
    const curl = await page.getByRole('region', { name: 'curl' }).locator('pre').textContent();
    assert.match(curl, /^curl -X GET '.*\/parse\/classes\/Thing'/);
    assert.ok(curl.includes(`X-Parse-Application-Id: ${app.applicationId}`));
    assert.ok(curl.includes('X-Parse-Master-Key: $MASTER_KEY') && !curl.includes(app.keys.masterKey), 'a placeholder, never the key');
    await page.getByRole('list', { name: 'History' }).getByText('/classes/Thing').waitFor();
    await shots(dash, 'console');

    // A body that is not JSON: the error is next to it, and nothing is sent.
    await request.getByLabel('Method').selectOption('POST');
    await request.getByLabel('Body (JSON)').fill('{"label": oops}');
    const sent = dash.requests.length;
    await request.getByRole('button', { name: 'Send' }).click();
    await request.locator('.field', { hasText: 'Body (JSON)' }).getByRole('alert').filter({ hasText: /^Invalid JSON/ }).waitFor();
    assert.equal(dash.requests.filter((r, i) => i >= sent && r.url.includes('/parse/')).length, 0, 'no request was sent');

    // A server error is shown as the answer, in the server's words.
    await request.getByLabel('Body (JSON)').fill('{"ACL": 5}');
    await request.getByRole('button', { name: 'Send' }).click();
    await response.getByLabel('Status').filter({ hasText: /^4\d\d$/ }).waitFor();
    await response.getByLabel('Response body').filter({ hasText: '"code"' }).waitFor();
  });

  test('a viewer sees settings, keys, config and the console read-only', { skip }, async (t) => {
    const base = await h.createHearthApp('ui-viewer');
    const app = await appKeys(base.applicationId);
    h.ok(await h.rest('PUT', '/config', { app, body: { params: { motd: 'hello' } } }));
    const email = `viewer-${h.rand(6).toLowerCase()}@hearth.test`;
    const password = `pw-${h.rand(12)}`;
    h.ok(await h.admin('POST', '/admins', { body: { email, password, superuser: false } }), 'a second admin');
    h.ok(await h.admin('PUT', `/apps/${encodeURIComponent(app.applicationId)}/members`, { body: { email, role: 'viewer' } }), 'made a viewer');

    const dash = await openDashboard(t, { email, password });
    dash.forbid(app.keys.masterKey);
    const { page } = dash;
    await openSection(dash, app, 'settings');
    await page.getByText('You are a viewer of this app: settings are read-only.').waitFor();
    assert.equal(await page.getByLabel('Client class creation').isDisabled(), true, 'settings are read-only');
    assert.equal(await page.getByLabel('App name').getAttribute('readonly'), '', 'the name is read-only');
    for (const name of [/^Rotate/, /^Reveal/, /^Rename$/, /^Delete app/, /^Save settings$/]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button for a viewer`);
    }
    // The keys a viewer may see are there.
    await page.getByRole('button', { name: 'Show JavaScript key' }).click();
    await page.getByLabel('JavaScript key value').filter({ hasText: app.keys.javascriptKey }).waitFor();
    // No master key of either kind is in the page.
    const content = await page.content();
    assert.ok(!content.includes(app.keys.masterKey) && !content.includes(app.keys.readOnlyMasterKey), 'no master key in the page');

    await openSection(dash, app, 'config');
    await page.getByRole('cell', { name: 'motd', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^(Add parameter|Edit motd|Delete motd)$/ }).count(), 0);
    assert.equal(await page.getByLabel('motd master key only').isDisabled(), true);

    await openSection(dash, app, 'console');
    const method = page.getByRole('form', { name: 'Request' }).getByLabel('Method');
    await method.waitFor();
    const methods = await method.locator('option').allTextContents();
    assert.deepEqual(methods, ['GET'], 'a viewer sends reads only');

    await openSection(dash, app, 'security');
    await page.getByRole('list', { name: 'Findings' }).getByText('needs the developer role').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /^Fix:/ }).count(), 0, 'no fix button for a viewer');
  });
});
