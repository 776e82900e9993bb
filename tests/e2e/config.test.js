'use strict';
// Parse Config: GET /config, PUT /config with the master key, master-key-only parameters that
// clients never see. Parameter names are unique per test (the app's config is shared by the file).

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const key = (prefix) => `${prefix}_${h.rand(6)}`;

test('Parse.Config.save stores parameters of every type and Parse.Config.get reads them', async () => {
  const k = key('cfg');
  const values = {
    [`${k}_s`]: 'hello',
    [`${k}_n`]: 42.5,
    [`${k}_b`]: true,
    [`${k}_a`]: [1, 'two', { three: 3 }],
    [`${k}_o`]: { nested: { deep: [true] } },
    [`${k}_d`]: new Date('2022-02-02T02:02:02.222Z'),
    [`${k}_g`]: new Parse.GeoPoint(1, 2),
  };
  await Parse.Config.save(values);
  const config = await Parse.Config.get();
  assert.equal(config.get(`${k}_s`), 'hello');
  assert.equal(config.get(`${k}_n`), 42.5);
  assert.equal(config.get(`${k}_b`), true);
  assert.deepEqual(config.get(`${k}_a`), [1, 'two', { three: 3 }]);
  assert.deepEqual(config.get(`${k}_o`), { nested: { deep: [true] } });
  assert.ok(config.get(`${k}_d`) instanceof Date, 'a Date comes back as a Date');
  assert.equal(config.get(`${k}_d`).toISOString(), '2022-02-02T02:02:02.222Z');
  assert.ok(config.get(`${k}_g`) instanceof Parse.GeoPoint, 'a GeoPoint comes back as a GeoPoint');
});

test('REST: PUT /config with the master key answers {"result":true}; GET /config answers {"params":{...}}', async () => {
  const k = key('rest');
  const put = await h.rest('PUT', '/config', { body: { params: { [k]: 'v1' } } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body, { result: true }, `PUT /config answers {"result":true}: ${put.text}`);
  const get = await h.rest('GET', '/config', { key: 'js' });
  assert.equal(get.status, 200, get.text);
  assert.equal(get.body.params[k], 'v1', `GET /config has the parameter: ${get.text}`);
  // A second PUT merges: other parameters stay.
  const k2 = key('rest');
  await h.ok(await h.rest('PUT', '/config', { body: { params: { [k2]: 'v2' } } }));
  const after = await h.rest('GET', '/config', { key: 'rest' });
  assert.equal(after.body.params[k], 'v1', 'earlier parameter kept');
  assert.equal(after.body.params[k2], 'v2', 'new parameter added');
});

test('a parameter can be overwritten and deleted', async () => {
  const k = key('del');
  await h.ok(await h.rest('PUT', '/config', { body: { params: { [k]: 1 } } }));
  await h.ok(await h.rest('PUT', '/config', { body: { params: { [k]: 2 } } }));
  assert.equal((await h.rest('GET', '/config')).body.params[k], 2, 'overwritten');
  await h.ok(await h.rest('PUT', '/config', { body: { params: { [k]: { __op: 'Delete' } } } }));
  const got = await h.rest('GET', '/config');
  assert.equal(k in got.body.params, false, `deleted: ${got.text}`);
});

test('master-key-only parameters are hidden from clients', async () => {
  const pub = key('pub');
  const secret = key('secret');
  await Parse.Config.save({ [pub]: 'everyone', [secret]: 's3cr3t' }, { [secret]: true });

  const asClient = await h.rest('GET', '/config', { key: 'js' });
  assert.equal(asClient.status, 200, asClient.text);
  assert.equal(asClient.body.params[pub], 'everyone', 'a client sees the public parameter');
  assert.equal(secret in asClient.body.params, false, `a client does not see the master-key-only parameter: ${asClient.text}`);
  assert.ok(!asClient.text.includes('s3cr3t'), 'the secret value appears nowhere in the client answer');

  const asMaster = await h.rest('GET', '/config');
  assert.equal(asMaster.body.params[secret], 's3cr3t', 'the master key sees it');
  assert.equal(asMaster.body.masterKeyOnly && asMaster.body.masterKeyOnly[secret], true, `the master answer flags it in "masterKeyOnly": ${asMaster.text}`);

  const sdkClient = await Parse.Config.get({ useMasterKey: false });
  assert.equal(sdkClient.get(secret), undefined, 'the SDK as a client does not get it');
  const sdkMaster = await Parse.Config.get({ useMasterKey: true });
  assert.equal(sdkMaster.get(secret), 's3cr3t', 'the SDK with the master key gets it');

  // Making it public again.
  await h.ok(await h.rest('PUT', '/config', { body: { params: { [secret]: 'now public' }, masterKeyOnly: { [secret]: false } } }));
  const later = await h.rest('GET', '/config', { key: 'js' });
  assert.equal(later.body.params[secret], 'now public', 'a parameter can be made public again');
});

test('PUT /config without the master key is refused (403; code 119 on Hearth)', async () => {
  const k = key('guard');
  for (const which of ['js', 'rest', 'client']) {
    const res = await h.rest('PUT', '/config', { key: which, body: { params: { [k]: 'nope' } } });
    assert.equal(res.status, 403, `PUT /config with the ${which} key answers 403: ${res.text}`);
    if (h.isHearth) assert.equal(res.body.code, 119, `code 119: ${res.text}`);
  }
  const got = await h.rest('GET', '/config');
  assert.equal(k in got.body.params, false, 'nothing was written');
});
