'use strict';
// The dashboard's LiveQuery setting and Realtime view in headless Chromium: the live classes
// picked in the settings view (a bad pattern refused next to the field), then a client of the
// official Parse JS SDK subscribing: its connection, its user and the class's subscription show in
// the Realtime view, and writes to the class raise the delivered count and the events per second.
// The second test: the view of an app without LiveQuery says how to turn it on, and a master-key
// client of the SDK's default LiveQuery client (its URL derived from `Parse.serverURL`) is marked.
// Screenshots light and dark.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { skip, shots, openSection } = require('../lib/dashboard-ops');
const { signUpRest } = require('../lib/users');

const { Parse } = h;

/** The text of a figure of the view's totals (Connections, Subscriptions, Events per second...). */
async function figure(page, name) {
  return (await page.getByLabel('Totals').getByLabel(name, { exact: true }).innerText()).trim();
}

/** Waits until the figure's leading number satisfies `ok`; answers it. */
async function figureUntil(page, name, ok) {
  let last;
  await h.until(`${name} in the Realtime view`, async () => {
    last = await figure(page, name);
    return ok(parseFloat(last.replace(/,/g, '')));
  });
  return last;
}

/** The cells of the class's row in the Classes table: [class, subscriptions, events/s, delivered]. */
async function classRow(page, className) {
  const row = page.getByRole('table', { name: 'Classes' }).getByRole('row').filter({ has: page.getByRole('link', { name: className, exact: true }) });
  return (await row.getByRole('cell').allInnerTexts()).map((s) => s.trim());
}

/** Resolves with the subscription once the server confirmed it (`subscribed`), or rejects with the
 * server's error. */
function subscribed(subscription) {
  return new Promise((resolve, reject) => {
    subscription.on('open', () => resolve(subscription));
    subscription.on('error', reject);
  });
}

test('live classes set in the settings view; a subscribed client and its events show in the Realtime view', { skip }, async (t) => {
  const { app, dash, page } = await openSection(t, 'settings');
  const className = h.cls('Message');
  await h.setup(app);
  assert.equal((await h.rest('POST', `/classes/${className}`, { app, body: { text: 'first' } })).status, 201);

  // The LiveQuery group: a pattern the server cannot compile is refused under the field, then the
  // class is picked among the app's classes and saved.
  await page.reload();
  const group = page.getByRole('group', { name: 'LiveQuery' });
  await group.scrollIntoViewIfNeeded();
  await group.getByText('No entry: LiveQuery is off for this app.').waitFor();
  await group.getByLabel('Live classes').fill('Chat(');
  await group.getByText('Not a regular expression: Chat(.').waitFor();
  await page.getByRole('button', { name: 'Save settings' }).click();
  const setting = group.locator('.setting').filter({ has: page.locator('label', { hasText: /^Live classes$/ }) });
  await setting.getByRole('alert').filter({ hasText: 'not a regular expression' }).waitFor();
  await shots(dash, 'realtime-setting-refused');
  await page.getByRole('button', { name: 'Discard' }).click();
  await group.getByRole('checkbox', { name: className }).check();
  assert.equal(await group.getByLabel('Live classes').inputValue(), className);
  await group.getByText(`Live now: ${className}.`).waitFor();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved.').waitFor();
  const saved = await h.admin('GET', h.appPath(app));
  assert.deepEqual(saved.body.settings.liveQuery.classNames, [className]);
  await shots(dash, 'realtime-setting');

  // The Realtime view, from the navigation: on, no client yet.
  await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: 'Realtime' }).click();
  await page.getByRole('heading', { name: 'Realtime' }).waitFor();
  await page.getByText('LiveQuery on').waitFor();
  await page.getByText('No client is connected').waitFor();
  assert.equal(await figure(page, 'Connections'), '0');
  await shots(dash, 'realtime-empty');

  // A signed-in user subscribes with the SDK (the LiveQuery URL derived from the server URL as
  // the SDK does: http → ws).
  const user = await signUpRest({}, { app });
  const client = new Parse.LiveQueryClient({
    applicationId: app.applicationId,
    serverURL: h.PARSE_URL.replace(/^http/, 'ws'),
    javascriptKey: app.keys.javascriptKey,
    sessionToken: user.token,
  });
  t.after(() => client.close());
  client.open();
  const received = [];
  const subscription = await subscribed(client.subscribe(new Parse.Query(className), user.token));
  subscription.on('create', (object) => received.push(object.id));

  await figureUntil(page, 'Connections', (n) => n === 1);
  assert.equal(await figure(page, 'Subscriptions'), '1');
  const clients = page.getByRole('table', { name: /Clients/ });
  await clients.getByRole('link', { name: user.id }).waitFor();
  assert.equal(await clients.getByText('master', { exact: true }).count(), 0, 'a client without the master key is not marked');
  await h.until('the class row', async () => (await classRow(page, className))[1] === '1');

  // Writes: each one delivered to the client, counted by the view.
  for (let i = 0; i < 6; i++) {
    assert.equal((await h.rest('POST', `/classes/${className}`, { app, body: { text: `hello ${i}` } })).status, 201);
  }
  await h.until('the six create events', () => received.length === 6);
  await h.until('six delivered in the class row', async () => (await classRow(page, className))[3] === '6');
  const [, subs, rate] = await classRow(page, className);
  assert.equal(subs, '1');
  assert.ok(parseFloat(rate) > 0, `the class's events per second rose: ${rate}`);
  await figureUntil(page, 'Events per second', (n) => n > 0);
  await page.getByRole('img', { name: 'Events per second, last 5 minutes' }).locator('canvas').waitFor();
  await shots(dash, 'realtime-live');

  // The client leaves: the view follows.
  await client.close();
  await page.getByText('No client is connected').waitFor();
  assert.equal(await figure(page, 'Connections'), '0');
});

test('the Realtime view of an app without LiveQuery says how to turn it on; a master-key client is marked', { skip }, async (t) => {
  const { app, dash, page } = await openSection(t, 'realtime');
  await page.getByText('LiveQuery is off for this app').waitFor();
  await shots(dash, 'realtime-off');
  await page.getByRole('link', { name: 'Turn LiveQuery on in Settings' }).click();
  await page.getByRole('group', { name: 'LiveQuery' }).getByLabel('Live classes').waitFor();
  assert.match(page.url(), /\/settings#settings-livequery$/);

  // Turned on through the management API, for a pattern.
  const current = (await h.admin('GET', h.appPath(app))).body.settings;
  await h.updateHearthSettings({ ...current, liveQuery: { ...current.liveQuery, classNames: ['Chat.*'] } }, app);
  const className = h.cls('ChatRoom');
  assert.equal((await h.rest('POST', `/classes/${className}`, { app, body: { topic: 'first' } })).status, 201);

  // The SDK's default LiveQuery client (Parse.liveQueryServerURL derived from Parse.serverURL),
  // with the master key the harness gives it.
  await h.setup(app);
  const subscription = await subscribed(await new Parse.Query(className).subscribe());
  t.after(async () => {
    await Parse.LiveQuery.close();
    Parse.CoreManager.getLiveQueryController()._clearCachedDefaultClient();
  });
  const events = [];
  subscription.on('create', (o) => events.push(o.id));

  await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: 'Realtime' }).click();
  await page.getByText('LiveQuery on').waitFor();
  await page.getByLabel('LiveQuery').getByText('Chat.*', { exact: true }).waitFor();
  await figureUntil(page, 'Subscriptions', (n) => n === 1);
  await page.getByRole('table', { name: /Clients/ }).getByText('master', { exact: true }).waitFor();
  assert.equal((await h.rest('POST', `/classes/${className}`, { app, body: { topic: 'live' } })).status, 201);
  await h.until('the create event', () => events.length === 1);
  await h.until('one delivered in the class row', async () => (await classRow(page, className))[3] === '1');
  await shots(dash, 'realtime-master');
});
