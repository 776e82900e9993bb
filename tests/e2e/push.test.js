'use strict';
// Push with the official Parse JS SDK, delivered to local peers that speak each provider's
// protocol (lib/push-peers, started by run.js for the whole run: Hearth reaches them through
// HEARTH_PUSH_RESOLVE and HEARTH_PUSH_EXTRA_CA_FILE): an APNs HTTP/2 TLS server checking the
// request, its headers and the provider JWT; FCM's token endpoint and messages:send checking
// the OAuth flow; a push-hook receiver verifying Hearth-Signature. Pushes are sent with the SDK
// and from a cloud function (examples/push.ts). Each test has an app of its
// own and device tokens of its own, and reads the peers' records of those tokens only.
// Hearth only: the run's Parse Server is not pointed at the peers (lib/push-peers/redirect.cjs
// can do it, for the benchmark), and it has no push hooks, retries or scheduled sends.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../lib/harness');
const { until } = require('../lib/wait');
const { startSecondInstance } = require('../lib/instance');
const { compileExample, deploy } = require('../lib/functions');
const { Parse } = h;

const PEERS = process.env.E2E_PUSH_PEERS ? JSON.parse(process.env.E2E_PUSH_PEERS) : null;
const skip = h.isHearth ? false : 'Hearth only: the run\'s Parse Server is not pointed at the push peers';
// sdk/functions/assemblyscript/examples/push.ts, built before the first request (see compileExample).
const notify = h.isHearth ? compileExample('push') : null;

/** The peers' control server (lib/push-peers/serve.js). */
const peers = {
  async state(name) {
    const res = await fetch(`${PEERS.control}/state`);
    return (await res.json())[name];
  },
  async post(path, body = {}) {
    const res = await fetch(`${PEERS.control}${path}`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(res.status, 200, `${path}: ${await res.text()}`);
  },
  script(peer, rule) {
    return peers.post('/script', { peer, rule });
  },
};

/** A new app whose providers are the peers; answers it, with the SDK set up for it. */
async function pushApp() {
  const app = await h.createHearthApp('e2e push');
  const path = `${h.appPath(app)}/push/providers`;
  const { keys } = PEERS;
  let res = await h.admin('PUT', `${path}/apns`, { body: { teamId: keys.teamId, keyId: keys.keyId, topic: keys.topic, production: true, key: keys.apnsP8Pem } });
  assert.equal(res.status, 200, res.text);
  res = await h.admin('PUT', `${path}/fcm`, { body: { serviceAccount: keys.serviceAccount } });
  assert.equal(res.status, 200, res.text);
  res = await h.admin('PUT', `${path}/hook`, { body: { url: PEERS.hook.url, deviceTypes: ['web'] } });
  assert.equal(res.status, 200, res.text);
  assert.match(res.body.secret, /^whsec_/);
  await peers.post('/hook/secret', { secret: res.body.secret });
  await h.setup(app);
  return app;
}

const appleToken = () => crypto.randomBytes(32).toString('hex');
const fcmToken = () => `fcm-${crypto.randomBytes(16).toString('base64url')}`;
const webToken = () => `web-${crypto.randomBytes(8).toString('hex')}`;

/** Three installations per device type (saved with the SDK), on channels a / a+b / b, with badge 5;
 * `users[i]` owns the i-th of each type, `extra(i)` gives more fields. Answers {ios, android, web}: lists
 * of saved objects. */
async function installations(users = [], extra = () => ({})) {
  const channels = [['a'], ['a', 'b'], ['b']];
  const out = {};
  for (const [type, token] of [['ios', appleToken], ['android', fcmToken], ['web', webToken]]) {
    out[type] = [];
    for (let i = 0; i < 3; i++) {
      const installation = new Parse.Object('_Installation');
      installation.set({ installationId: crypto.randomUUID(), deviceType: type, deviceToken: token(), channels: channels[i], badge: 5 });
      if (users[i]) installation.set('user', users[i]);
      installation.set(extra(i));
      await installation.save(null, { useMasterKey: true });
      out[type].push(installation);
    }
  }
  return out;
}

/** The push's _PushStatus once it is over (succeeded or failed). */
async function finished(id) {
  return until(`push ${id} to finish`, async () => {
    const status = await Parse.Push.getPushStatus(id, { useMasterKey: true });
    return ['succeeded', 'failed'].includes(status.get('status')) ? status : null;
  }, { ms: 45000, every: 100 });
}

/** The peers' accepted deliveries of `tokens` (APNs, FCM) or of push `pushId` (hook). */
async function delivered(pushId, devices) {
  const tokens = (type) => new Set(devices[type].map((d) => d.get('deviceToken')));
  const [apns, fcm, hook] = await Promise.all(['apns', 'fcm', 'hook'].map((p) => peers.state(p)));
  return {
    apns: apns.deliveries.filter((d) => tokens('ios').has(d.token)),
    apnsErrors: apns.errors.filter((e) => tokens('ios').has(e.token)),
    fcm: fcm.deliveries.filter((d) => tokens('android').has(d.token) && d.body.message.android.data.push_id === pushId),
    fcmErrors: fcm.errors.filter((e) => tokens('android').has(e.token)),
    hook: hook.deliveries.filter((d) => d.pushId === pushId),
    hookRequests: hook.requests,
  };
}

const tokensOf = (list) => list.map((d) => d.get('deviceToken')).sort();

describe('push through APNs, FCM and a push hook', { skip }, () => {
  test('a push to a channel and to a where reaches exactly the matching devices, with Parse\'s payloads', async () => {
    await pushApp();
    const vip = await new Parse.User({ username: `vip-${h.rand(6)}`, password: 'pw-123456', vip: true }).signUp();
    const other = await new Parse.User({ username: `other-${h.rand(6)}`, password: 'pw-123456', vip: false }).signUp();
    const devices = await installations([vip, other, vip]);

    const data = { alert: 'hi', badge: 'Increment', sound: 'default', title: 'T', category: 'C', uri: 'app://x', custom: 1 };
    const id = await Parse.Push.send({ channels: ['a'], data }, { useMasterKey: true });
    assert.match(id, /^\w+$/, 'Parse.Push.send resolves to the push status id');
    const status = await finished(id);
    let got = await delivered(id, devices);
    assert.deepEqual(got.apnsErrors, [], 'the APNs peer refused nothing');
    assert.deepEqual(got.fcmErrors, [], 'the FCM peer refused nothing');
    assert.deepEqual(got.apns.map((d) => d.token).sort(), tokensOf(devices.ios.slice(0, 2)));
    assert.deepEqual(got.fcm.map((d) => d.token).sort(), tokensOf(devices.android.slice(0, 2)));
    assert.equal(got.hook.length, 1, 'one hook batch');
    assert.deepEqual([...got.hook[0].installations].sort(), devices.web.slice(0, 2).map((d) => d.id).sort());

    const apns = got.apns[0];
    assert.deepEqual(apns.body, { aps: { alert: { body: 'hi', title: 'T' }, badge: 6, sound: 'default', category: 'C' }, uri: 'app://x', custom: 1 });
    assert.equal(apns.headers['apns-topic'], PEERS.keys.topic);
    assert.equal(apns.headers['apns-push-type'], 'alert');
    assert.equal(apns.headers['apns-priority'], '10');
    const fcm = got.fcm[0].body.message;
    assert.equal(fcm.android.priority, 'high');
    assert.equal(fcm.android.data.push_id, id);
    assert.deepEqual(JSON.parse(fcm.android.data.data), { alert: 'hi', sound: 'default', title: 'T', category: 'C', uri: 'app://x', custom: 1 });
    assert.deepEqual(got.hook[0].body.data, data);

    assert.equal(status.get('status'), 'succeeded');
    assert.equal(status.get('numSent'), 6);
    assert.equal(status.get('numFailed'), 0);
    assert.deepEqual(status.get('sentPerType'), { ios: 2, android: 2, web: 2 });

    // A where through the installations' users.
    const byUser = await Parse.Push.send({ where: { user: { $inQuery: { where: { vip: true }, className: '_User' } } }, data: { alert: 'vip' } }, { useMasterKey: true });
    const second = await finished(byUser);
    got = await delivered(byUser, devices);
    const vipOnes = (list) => [list[0], list[2]];
    assert.deepEqual(got.apns.filter((d) => d.body.aps.alert.body === 'vip').map((d) => d.token).sort(), tokensOf(vipOnes(devices.ios)));
    assert.deepEqual(got.fcm.map((d) => d.token).sort(), tokensOf(vipOnes(devices.android)));
    assert.deepEqual([...got.hook[0].installations].sort(), vipOnes(devices.web).map((d) => d.id).sort());
    assert.equal(second.get('numSent'), 6);
  });

  test('a provider outage (503, then recovery) is retried until each device is delivered once', async () => {
    await pushApp();
    const devices = await installations();
    for (const d of devices.ios) await peers.script('apns', { token: d.get('deviceToken'), status: 503, reason: 'ServiceUnavailable', times: 2 });
    for (const d of devices.android) await peers.script('fcm', { token: d.get('deviceToken'), status: 503, retryAfter: 1, times: 2 });
    await peers.script('hook', { status: 503, times: 2 });

    const id = await Parse.Push.send({ channels: ['a', 'b'], data: { alert: 'again' } }, { useMasterKey: true });
    const status = await finished(id);
    const got = await delivered(id, devices);
    assert.deepEqual(got.apns.filter((d) => d.body.aps.alert.body === 'again').map((d) => d.token).sort(), tokensOf(devices.ios));
    assert.deepEqual(got.fcm.map((d) => d.token).sort(), tokensOf(devices.android));
    assert.deepEqual(got.hook.flatMap((d) => d.installations).sort(), devices.web.map((d) => d.id).sort());
    assert.equal(status.get('status'), 'succeeded');
    assert.equal(status.get('numSent'), 9);
    assert.equal(status.get('numFailed'), 0);
    assert.ok(status.get('numRetried') > 0, `numRetried ${status.get('numRetried')}`);
  });

  test('an invalid token deactivates its installation, and the next push skips it', async () => {
    await pushApp();
    const devices = await installations();
    const [gone, bad] = devices.ios;
    const unregistered = devices.android[0];
    await peers.script('apns', { token: gone.get('deviceToken'), status: 410, reason: 'Unregistered' });
    await peers.script('apns', { token: bad.get('deviceToken'), status: 400, reason: 'BadDeviceToken' });
    await peers.script('fcm', { token: unregistered.get('deviceToken'), status: 404 });

    const id = await Parse.Push.send({ channels: ['a', 'b'], data: { alert: 'x' } }, { useMasterKey: true });
    const status = await finished(id);
    assert.equal(status.get('numSent'), 6);
    assert.equal(status.get('numFailed'), 3);
    for (const installation of [gone, bad, unregistered]) {
      await installation.fetch({ useMasterKey: true });
      assert.equal(installation.get('deviceToken'), undefined, `${installation.get('deviceType')} ${installation.id} lost its token`);
    }
    const before = (await peers.state('apns')).requests.length;
    const next = await Parse.Push.send({ channels: ['a', 'b'], data: { alert: 'y' } }, { useMasterKey: true });
    const nextStatus = await finished(next);
    assert.equal(nextStatus.get('numSent'), 6);
    assert.equal(nextStatus.get('numFailed'), 0);
    const after = (await peers.state('apns')).requests.slice(before);
    assert.ok(!after.some((r) => r.token === gone.get('deviceToken') || r.token === bad.get('deviceToken')), 'the deactivated tokens are not sent to again');
  });

  test('a scheduled push fires at its time, once, with two instances running', async () => {
    const second = await startSecondInstance();
    try {
      await pushApp();
      const devices = await installations();
      const at = new Date(Date.now() + 3000);
      const id = await Parse.Push.send({ channels: ['a', 'b'], push_time: at, data: { alert: 'later' } }, { useMasterKey: true });
      const early = await Parse.Push.getPushStatus(id, { useMasterKey: true });
      if (Date.now() < at.getTime()) assert.equal(early.get('status'), 'scheduled');
      const status = await finished(id);
      const got = await delivered(id, devices);
      const apns = got.apns.filter((d) => d.body.aps.alert.body === 'later');
      assert.deepEqual(apns.map((d) => d.token).sort(), tokensOf(devices.ios), 'each iOS device exactly once');
      assert.deepEqual(got.fcm.map((d) => d.token).sort(), tokensOf(devices.android), 'each Android device exactly once');
      assert.deepEqual(got.hook.flatMap((d) => d.installations).sort(), devices.web.map((d) => d.id).sort(), 'each web device exactly once');
      for (const d of [...apns, ...got.fcm, ...got.hook]) assert.ok(d.at >= at.getTime() - 50, `delivered ${at.getTime() - d.at} ms early`);
      assert.equal(status.get('status'), 'succeeded');
      assert.equal(status.get('numSent'), 9);
    } finally {
      await second.stop();
    }
  });

  test('an expired push is not sent, and counted', async () => {
    await pushApp();
    const devices = await installations();
    const now = Date.now();
    const id = await Parse.Push.send(
      { channels: ['a', 'b'], push_time: new Date(now + 2000), expiration_time: new Date(now + 1000), data: { alert: 'too late' } },
      { useMasterKey: true },
    );
    const status = await finished(id);
    const got = await delivered(id, devices);
    assert.deepEqual(got.apns.filter((d) => d.body.aps.alert.body === 'too late'), []);
    assert.deepEqual(got.fcm, []);
    assert.deepEqual(got.hook, []);
    assert.equal(status.get('numSent'), 0);
    assert.equal(status.get('numExpired'), 9);
  });

  test('a push from a cloud function reaches the same devices', async () => {
    const app = await pushApp();
    await deploy(app, notify);
    const devices = await installations();
    const result = await Parse.Cloud.run('notify', { channel: 'a', alert: 'from code' });
    const id = result.pushStatusId;
    assert.match(id, /^\w+$/, `the host call answers the push status id: ${JSON.stringify(result)}`);
    const status = await finished(id);
    const got = await delivered(id, devices);
    assert.deepEqual(got.apns.filter((d) => d.body.aps.alert.body === 'from code').map((d) => d.token).sort(), tokensOf(devices.ios.slice(0, 2)));
    assert.deepEqual(got.fcm.map((d) => d.token).sort(), tokensOf(devices.android.slice(0, 2)));
    assert.deepEqual(got.hook.flatMap((d) => d.installations).sort(), devices.web.slice(0, 2).map((d) => d.id).sort());
    assert.equal(status.get('numSent'), 6);
  });

  test('a local-time push follows each installation\'s time zone', async () => {
    await pushApp();
    // The first two of each type in UTC, the third in Los Angeles (hours behind: its 'same wall
    // clock time' is hours away).
    const devices = await installations([], (i) => ({ timeZone: i < 2 ? 'UTC' : 'America/Los_Angeles' }));
    const at = new Date(Date.now() + 3000);
    const local = at.toISOString().replace(/Z$/, '');
    const id = await Parse.Push.send({ channels: ['a', 'b'], push_time: local, data: { alert: 'local' } }, { useMasterKey: true });
    const got = await until('the UTC devices to get the local-time push', async () => {
      const g = await delivered(id, devices);
      const apns = g.apns.filter((d) => d.body.aps.alert.body === 'local');
      return apns.length >= 2 && g.fcm.length >= 2 && g.hook.flatMap((d) => d.installations).length >= 2 ? { ...g, apns } : null;
    }, { ms: 45000, every: 100 });
    assert.deepEqual(got.apns.map((d) => d.token).sort(), tokensOf(devices.ios.slice(0, 2)));
    assert.deepEqual(got.fcm.map((d) => d.token).sort(), tokensOf(devices.android.slice(0, 2)));
    assert.deepEqual(got.hook.flatMap((d) => d.installations).sort(), devices.web.slice(0, 2).map((d) => d.id).sort());
    for (const d of [...got.apns, ...got.fcm, ...got.hook]) assert.ok(d.at >= at.getTime() - 50, `delivered ${at.getTime() - d.at} ms early`);
    const status = await Parse.Push.getPushStatus(id, { useMasterKey: true });
    assert.notEqual(status.get('status'), 'succeeded', 'the Los Angeles devices are still to come');
  });
});
