'use strict';
// The dashboard's Push section in headless Chromium. An app with installations of three device
// types: a push composed before any provider is set is refused with the server's 115 message;
// APNs (a .p8 key), FCM (a service-account file) and a push hook (a receiver of the test's own)
// are set up through the Providers tab, which then shows fingerprints and never the keys; the
// hook's signing secret is shown once and verifies the deliveries. The Installations tab filters
// by channel, device type and user. Compose counts the devices a target reaches as the target
// changes (channels, then filters) and sends to web devices through the hook; History shows the
// push with its counts. Screenshots light and dark. (dashboard-push-more.test.js: scheduling,
// cancelling, a viewer.)

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const h = require('../lib/harness');
const { skip, shots, openSection, targeted } = require('../lib/dashboard-ops');
const { signUpRest } = require('../lib/users');

/** An APNs token key as Apple hands it out (a P-256 key in a PKCS#8 .p8 file) and a Firebase
 * service-account file, made here: the dashboard only stores them. */
function credentials() {
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p8 = ec.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const serviceAccount = {
    type: 'service_account',
    project_id: 'hearth-dash-test',
    private_key_id: crypto.randomBytes(20).toString('hex'),
    private_key: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: 'push@hearth-dash-test.iam.gserviceaccount.com',
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  return { p8, serviceAccount };
}

/** A push hook receiver: records each delivery and whether its signature verified with the secret
 * and the check (`verify(secret, header, rawBody)`) it is given: the snippet the Providers tab shows. */
async function startReceiver() {
  const deliveries = [];
  let secret = null;
  let verify = () => false;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const verified = !!secret && verify(secret, req.headers['hearth-signature'] || '', raw);
      let body = null;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {}
      deliveries.push({ verified, body });
      res.writeHead(verified ? 200 : 401, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/push`,
    deliveries,
    setSecret(s) {
      secret = s;
    },
    setVerify(f) {
      verify = f;
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Installations saved with the master key: 1 iOS and 1 Android device, 3 web ones (one of them
 * without a token), on channels news/sports/offers; the first web one belongs to `userId`. */
async function seedInstallations(app, userId) {
  const rows = [
    { deviceType: 'ios', deviceToken: crypto.randomBytes(32).toString('hex'), channels: ['news'] },
    { deviceType: 'android', deviceToken: `fcm-${h.rand(20)}`, channels: ['news', 'sports'] },
    { deviceType: 'web', deviceToken: `web-${h.rand(20)}`, channels: ['news', 'offers'], user: { __type: 'Pointer', className: '_User', objectId: userId } },
    { deviceType: 'web', deviceToken: `web-${h.rand(20)}`, channels: ['offers'] },
    { deviceType: 'web', channels: ['offers'] },
  ];
  const ids = [];
  const tokens = rows.map((r) => r.deviceToken);
  for (const r of rows) {
    const res = await h.rest('POST', '/classes/_Installation', { app, body: { installationId: crypto.randomUUID(), timeZone: 'Europe/Paris', ...r } });
    assert.equal(res.status, 201, res.text);
    ids.push(res.body.objectId);
  }
  return { ids, tokens };
}

/** The row count the installations grid says. */
async function gridCount(page, n) {
  await page.locator('.browser-head').getByText(`${n} rows`, { exact: true }).waitFor();
}

test('push: providers, installations, compose with a live count, history', { skip, timeout: 180_000 }, async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.stop());
  // The run's provider stand-ins when it has them (lib/push-peers, through HEARTH_PUSH_RESOLVE):
  // then iOS and Android devices are delivered to as well.
  const peers = process.env.E2E_PUSH_PEERS ? JSON.parse(process.env.E2E_PUSH_PEERS) : null;
  const { p8, serviceAccount, teamId, keyId, topic } = peers
    ? { p8: peers.keys.apnsP8Pem, serviceAccount: peers.keys.serviceAccount, teamId: peers.keys.teamId, keyId: peers.keys.keyId, topic: peers.keys.topic }
    : { ...credentials(), teamId: 'DEF123GHIJ', keyId: 'ABC123DEFG', topic: 'com.example.dash' };
  const { app, dash, page } = await openSection(t, 'push');
  const user = await signUpRest({}, { app });
  const { ids: [iosId, , webId], tokens } = await seedInstallations(app, user.id);
  await page.reload();

  // Installations: the grid of _Installation, filtered by channel, device type and user.
  await page.getByRole('navigation', { name: 'Push' }).getByRole('link', { name: 'Installations' }).waitFor();
  assert.match(page.url(), /\/push\/installations$/);
  await gridCount(page, 5);
  const quick = page.getByRole('form', { name: 'Quick filters' });
  await quick.getByLabel('Channel').fill('offers');
  await quick.getByRole('button', { name: 'Filter' }).click();
  await gridCount(page, 3);
  await quick.getByLabel('Device type').fill('web');
  await quick.getByRole('button', { name: 'Filter' }).click();
  await gridCount(page, 3);
  await quick.getByLabel('Channel').fill('news');
  await quick.getByRole('button', { name: 'Filter' }).click();
  await gridCount(page, 1);
  await page.getByText(webId, { exact: true }).waitFor();
  await quick.getByRole('button', { name: 'Show all' }).click();
  await gridCount(page, 5);
  await quick.getByLabel('User').fill(user.id);
  await quick.getByRole('button', { name: 'Filter' }).click();
  await gridCount(page, 1);
  await page.getByText(webId, { exact: true }).waitFor();
  await quick.getByLabel('Device type').fill('ios');
  await quick.getByLabel('User').fill('');
  await quick.getByRole('button', { name: 'Filter' }).click();
  await gridCount(page, 1);
  await page.getByText(iosId, { exact: true }).waitFor();
  await page.getByText('deviceType equals ios').waitFor();
  await shots(dash, 'push-installations');

  // Compose: the count of devices with a token follows the target (channels, then the data
  // browser's filter bar on installations).
  const tabs = page.getByRole('navigation', { name: 'Push' });
  await tabs.getByRole('link', { name: 'Compose' }).click();
  const form = page.getByRole('form', { name: 'Compose a push' });
  await page.getByText('Name a channel to see how many devices it reaches.').waitFor();
  await page.getByRole('region', { name: 'Request preview' }).getByText('Name at least one channel.').waitFor();
  await form.getByLabel('Message').fill('Two for one, today only');
  await form.getByRole('textbox', { name: 'Channels' }).fill('news');
  await targeted(page, 3);
  await form.getByRole('textbox', { name: 'Channels' }).fill('news, sports');
  await targeted(page, 3);
  await form.getByRole('textbox', { name: 'Channels' }).fill('sports');
  await targeted(page, 1);
  await form.getByRole('radio', { name: 'Installations matching filters' }).check();
  await targeted(page, 4);
  await form.getByRole('button', { name: '+ Filter' }).click();
  await form.getByLabel('Filter field').selectOption('deviceType');
  await form.getByLabel('Filter operator').selectOption({ label: 'equals' });
  await form.getByLabel('Filter value').fill('web');
  await form.getByRole('button', { name: 'Apply' }).click();
  await targeted(page, 2);
  assert.deepEqual(JSON.parse(await page.getByRole('region', { name: 'Request preview' }).locator('pre').innerText()).where, { deviceType: 'web' });
  await shots(dash, 'push-compose-query');

  // Before any provider is set, the server refuses the push, in its words.
  await form.getByRole('radio', { name: 'Channels' }).check();
  await form.getByRole('textbox', { name: 'Channels' }).fill('offers');
  await targeted(page, 2);
  await form.getByRole('button', { name: /^Send/ }).click();
  await page.getByText('The server refused the push').waitFor();
  await shots(dash, 'push-compose-refused');
  await page.getByRole('alert').filter({ hasText: 'Missing push configuration' }).filter({ hasText: 'code 115' }).waitFor();

  // Providers: none yet; APNs, FCM and the hook set up through the forms.
  await tabs.getByRole('link', { name: 'Providers' }).click();
  const apns = page.getByRole('region', { name: 'Apple Push Notification service' });
  await apns.getByText('not configured').waitFor();
  await shots(dash, 'push-providers-empty');
  await apns.getByRole('button', { name: 'Set up' }).click();
  await apns.getByLabel('Team ID').fill(teamId);
  await apns.getByLabel('Key ID').fill(keyId);
  await apns.getByLabel('Topic').fill(topic);
  await apns.getByLabel('Environment').selectOption('sandbox');
  await apns.getByLabel('Key (.p8)', { exact: true }).fill(p8);
  await apns.getByRole('button', { name: 'Save' }).click();
  await apns.getByText('configured', { exact: true }).waitFor();
  await apns.getByText('sandbox (development builds)').waitFor();
  const apnsPrint = (await apns.locator('.push-fingerprint').innerText()).trim();
  assert.match(apnsPrint, /^SHA256:[0-9a-f]{8,}/i);

  const fcm = page.getByRole('region', { name: 'Firebase Cloud Messaging' });
  await fcm.getByRole('button', { name: 'Set up' }).click();
  // A file that is not a service account is refused before it is sent.
  await fcm.getByLabel('Service account (JSON)', { exact: true }).fill('{"type": "authorized_user"}');
  await fcm.getByRole('button', { name: 'Save' }).click();
  await fcm.getByText('its "type" should be "service_account"').waitFor();
  await fcm.getByLabel('Service account (JSON) file').setInputFiles({ name: 'service-account.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(serviceAccount, null, 2)) });
  await h.until('the file read into the box', async () => (await fcm.getByLabel('Service account (JSON)', { exact: true }).inputValue()).includes('service_account'));
  await fcm.getByRole('button', { name: 'Save' }).click();
  await fcm.getByText(serviceAccount.client_email).waitFor();
  await fcm.getByText(serviceAccount.project_id, { exact: true }).waitFor();

  const hook = page.getByRole('region', { name: 'Push hook' });
  await hook.getByRole('button', { name: 'Set up' }).click();
  await hook.getByLabel('URL').fill(receiver.url);
  await hook.getByLabel('Device types').fill('web');
  await hook.getByRole('button', { name: 'Save' }).click();
  const once = hook.getByRole('status', { name: 'New signing secret' });
  const secret = (await once.locator('.push-secret-value').innerText()).trim();
  assert.match(secret, /^whsec_/);
  receiver.setSecret(secret);
  await hook.getByText('Copy it now: it is not shown again.').waitFor();
  await hook.getByText('How a receiver checks the signature').click();
  // The receiver checks signatures with the snippet the page shows.
  const snippet = await hook.locator('.push-verify pre').innerText();
  receiver.setVerify(new Function('require', `${snippet}\nreturn verify;`)(require));
  await shots(dash, 'push-providers-secret');
  await once.getByRole('button', { name: 'I have copied it' }).click();

  // Fingerprints only: no key, private key or secret on the page, nor in any answer it got.
  await page.reload();
  await hook.locator('.push-fingerprint').waitFor();
  const text = await page.locator('.app-main').innerText();
  const p8Body = p8.split('\n')[1];
  const rsaBody = serviceAccount.private_key.split('\n')[1];
  for (const [what, s] of [['the .p8 key', p8Body], ['the private key', rsaBody], ['the signing secret', secret]]) assert.ok(!text.includes(s), `the page does not show ${what}`);
  const providers = await h.admin('GET', `${h.appPath(app)}/push/providers`);
  assert.equal(providers.status, 200, providers.text);
  assert.ok(!providers.text.includes(p8Body) && !providers.text.includes(rsaBody) && !providers.text.includes(secret), 'the providers answer holds no secret');
  assert.equal(providers.body.apns.fingerprint, apnsPrint);
  await shots(dash, 'push-providers');

  // Compose again: a push to the web devices on "offers", through the hook.
  await tabs.getByRole('link', { name: 'Compose' }).click();
  await form.getByRole('textbox', { name: 'Channels' }).fill('offers');
  await targeted(page, 2);
  await form.getByLabel('Message').fill('Two for one, today only');
  await form.getByLabel('Title').fill('Offers');
  await form.getByLabel('Badge kind').selectOption('increment');
  await form.getByLabel('Custom keys').fill('{"uri": "app://offers"}');
  await form.getByLabel('Expires when').selectOption('after');
  await form.getByLabel('Expires after').fill('2');
  await form.getByLabel('Expiry unit').selectOption('hours');
  const preview = JSON.parse(await page.getByRole('region', { name: 'Request preview' }).locator('pre').innerText());
  assert.deepEqual(preview, {
    channels: ['offers'],
    data: { uri: 'app://offers', alert: 'Two for one, today only', title: 'Offers', badge: 'Increment' },
    expiration_interval: 7200,
  });
  await shots(dash, 'push-compose');
  await form.getByRole('button', { name: 'Send to 2 devices' }).click();
  const sent = page.getByRole('status', { name: 'Push sent' });
  const statusId = (await sent.locator('code').innerText()).trim();
  assert.match(statusId, /^[A-Za-z0-9]{10}$/);
  await shots(dash, 'push-compose-sent');

  // The hook received both web devices with a signature that verifies with the secret shown once.
  await h.until('the hook deliveries', () => receiver.deliveries.reduce((n, d) => n + (d.body?.installations?.length ?? 0), 0) >= 2);
  assert.ok(receiver.deliveries.every((d) => d.verified), 'every delivery verifies with the secret the dashboard showed');
  const delivered = receiver.deliveries.flatMap((d) => d.body.installations.map((i) => i.deviceType));
  assert.deepEqual(delivered, ['web', 'web']);
  assert.equal(receiver.deliveries[0].body.data.alert, 'Two for one, today only');

  // History: the push, succeeded, with its counts per type.
  await sent.getByRole('link', { name: 'Follow it in the history' }).click();
  const pushes = page.getByRole('table', { name: 'Pushes' });
  await pushes.locator('tbody tr').first().waitFor();
  await h.until('the push to succeed', async () => (await pushes.locator('tbody tr').first().getAttribute('data-status')) === 'succeeded', { ms: 60000 });
  const row = pushes.locator('tbody tr').first();
  await row.getByText('channels offers').waitFor();
  await row.getByText('Two for one, today only').waitFor();
  assert.equal((await row.getByLabel('Sent').innerText()).split('\n')[0].trim(), '2');
  assert.equal((await row.getByLabel('Failed').innerText()).trim(), '0');
  await row.getByText('sent: web 2').waitFor();
  // The first push, refused, never became a status: one row.
  assert.equal(await pushes.locator('tbody tr').count(), 1);
  const stored = await h.rest('GET', `/classes/_PushStatus/${statusId}`, { app });
  assert.equal(stored.status, 200, stored.text);
  assert.equal(stored.body.numSent, 2);
  await shots(dash, 'push-history');
  if (!peers) return;

  // With the provider stand-ins: a push to "news" reaches the iOS device through APNs, the Android
  // one through FCM and a web one through the hook; the history counts each type.
  await tabs.getByRole('link', { name: 'Compose' }).click();
  await form.getByRole('textbox', { name: 'Channels' }).fill('news');
  await form.getByLabel('Message').fill('Morning news');
  await targeted(page, 3);
  await form.getByRole('button', { name: 'Send to 3 devices' }).click();
  await page.getByRole('status', { name: 'Push sent' }).getByRole('link', { name: 'Follow it in the history' }).click();
  const news = pushes.locator('tbody tr').filter({ hasText: 'Morning news' });
  await h.until('the push to news to succeed', async () => (await news.getAttribute('data-status')) === 'succeeded', { ms: 30000 });
  await news.getByText('sent: android 1 · ios 1 · web 1').waitFor();
  assert.equal((await news.getByLabel('Sent').innerText()).split('\n')[0].trim(), '3');
  const state = await (await fetch(`${peers.control}/state`)).json();
  assert.ok(state.apns.deliveries.some((d) => d.token === tokens[0]), 'the APNs peer got the iOS device');
  assert.ok(state.fcm.deliveries.some((d) => d.token === tokens[1]), 'the FCM peer got the Android device');
  await shots(dash, 'push-history-providers');
});
