'use strict';
// Installations as the JS SDK makes them: Parse.Installation.currentInstallation() saved without a
// session (POST /classes/_Installation), saved again from a fresh SDK state with the same
// installation id (the same object, updated), deviceType that cannot change (136), what clients
// may not do (list, delete: 119), and a save after the installation was deleted (the SDK's 101
// path: created anew).

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../lib/harness');
const { Parse } = h;

const CLIENT = { useMasterKey: false };
const MASTER = { useMasterKey: true };

/** Forgets the SDK's saved installation object, keeping its installation id (an app whose
 * storage lost the object, or a second process of the same device), or taking `newId`. */
async function forgetCurrentInstallation(newId) {
  if (newId) await Parse.Storage.setItemAsync(Parse.Storage.generatePath('currentInstallationId'), newId);
  Parse.CoreManager.getInstallationController()._clearCache();
  await Parse.Storage.removeItemAsync(Parse.Storage.generatePath('currentInstallation'));
}

/** The installations with `installationId`, as the master key lists them. */
async function withId(installationId) {
  return new Parse.Query(Parse.Installation).equalTo('installationId', installationId).find(MASTER);
}

describe('installations', () => {
  before(async () => {
    await h.setup();
  });

  test('the current installation is saved without a session, and again from a fresh SDK state as the same object', async () => {
    await forgetCurrentInstallation(crypto.randomUUID());
    const installation = await Parse.Installation.currentInstallation();
    const installationId = installation.get('installationId');
    assert.equal(installation.get('deviceType'), 'web');
    assert.equal(installation.id, undefined, 'a new installation has no objectId yet');
    installation.set('channels', ['news']);
    await installation.save(null, CLIENT);
    assert.ok(installation.id, 'saved');

    await forgetCurrentInstallation();
    const again = await Parse.Installation.currentInstallation();
    assert.equal(again.get('installationId'), installationId, 'the SDK kept its installation id');
    assert.equal(again.id, undefined, 'and no longer knows the objectId');
    again.set('channels', ['news', 'sport']);
    await again.save(null, CLIENT);
    // The POST was answered as an update (200 {updatedAt}, no objectId, as Parse Server answers
    // it): the SDK's object stays without an id, and the server holds one installation.
    const found = await withId(installationId);
    assert.deepEqual(found.map((i) => i.id), [installation.id], 'the second create updated the first installation');
    assert.deepEqual(found[0].get('channels'), ['news', 'sport']);
    assert.equal(found[0].get('deviceType'), 'web');
  });

  test('a create that matches an installation is answered like an update (200, updatedAt)', async () => {
    const installationId = crypto.randomUUID();
    const first = await h.rest('POST', '/installations', { key: 'rest', body: { installationId, deviceType: 'android' } });
    assert.equal(first.status, 201, first.text);
    const second = await h.rest('POST', '/installations', { key: 'rest', body: { installationId: installationId.toUpperCase(), deviceType: 'android', badge: 3 } });
    assert.equal(second.status, 200, second.text);
    assert.ok(second.body.updatedAt && !second.body.objectId, second.text);
    const got = await h.rest('GET', `/installations/${first.body.objectId}`, { key: 'rest' });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.badge, 3);
    assert.equal(got.body.installationId, installationId);
  });

  test('the header\'s installation id registers a device (Hearth keeps it on the installation)', { skip: h.isParseServer && 'Parse Server uses the header only to match, and stores no installationId' }, async () => {
    const installationId = crypto.randomUUID();
    const headers = { 'X-Parse-Installation-Id': installationId };
    const first = await h.rest('POST', '/installations', { key: 'rest', headers, body: { deviceType: 'ios' } });
    assert.equal(first.status, 201, first.text);
    const second = await h.rest('POST', '/installations', { key: 'rest', headers, body: { deviceType: 'ios', channels: ['a'] } });
    assert.equal(second.status, 200, second.text);
    const found = await withId(installationId);
    assert.deepEqual(found.map((i) => i.id), [first.body.objectId]);
  });

  test('the device type of an installation cannot change', async () => {
    const saved = new Parse.Installation({ installationId: crypto.randomUUID(), deviceType: 'android' });
    await saved.save(null, CLIENT);
    const changed = Parse.Installation.createWithoutData(saved.id);
    changed.set('deviceType', 'ios');
    const e = await h.expectParseError(changed.save(null, CLIENT), 136, 'a new deviceType');
    assert.equal(e.message, 'deviceType may not be changed in this operation');
    const rest = await h.rest('PUT', `/installations/${saved.id}`, { key: 'rest', body: { deviceType: 'ios' } });
    h.assertRestError(rest, 400, 136, 'by REST');
  });

  test('clients may not list or delete installations; the master key may', async () => {
    const installation = new Parse.Installation({ installationId: crypto.randomUUID(), deviceType: 'web' });
    await installation.save(null, CLIENT);
    // Parse Server 9 answers "Permission denied" unless `enableSanitizedErrorResponse` is off;
    // Hearth gives the message Parse Server has then.
    const message = (m) => (h.isParseServer ? 'Permission denied' : m);
    let e = await h.expectParseError(new Parse.Query(Parse.Installation).find(CLIENT), 119, 'a client\'s find');
    assert.equal(e.message, message('Clients aren\'t allowed to perform the find operation on the installation collection.'));
    await h.expectParseError(new Parse.Query(Parse.Installation).count(CLIENT), 119, 'a client\'s count');
    e = await h.expectParseError(installation.destroy(CLIENT), 119, 'a client\'s delete');
    assert.equal(e.message, message('Clients aren\'t allowed to perform the delete operation on the installation collection.'));
    for (const path of ['/installations', '/classes/_Installation']) {
      h.assertRestError(await h.rest('GET', path, { key: 'rest' }), 400, 119, `GET ${path}`);
    }
    // The SDK's get is a query on one objectId: refused as any find. A get by id stays open.
    await h.expectParseError(new Parse.Query(Parse.Installation).get(installation.id, CLIENT), 119, 'the SDK\'s get, a query');
    const got = h.ok(await h.rest('GET', `/installations/${installation.id}`, { key: 'rest' }), 'a get by id');
    assert.equal(got.installationId, installation.get('installationId'));
    assert.equal((await withId(installation.get('installationId'))).length, 1, 'the master key finds it');
    await installation.destroy(MASTER);
    assert.equal((await withId(installation.get('installationId'))).length, 0);
  });

  test('a save after the master key deleted the installation creates it anew', async () => {
    await forgetCurrentInstallation(crypto.randomUUID());
    const installation = await Parse.Installation.currentInstallation();
    const installationId = installation.get('installationId');
    await installation.save(null, CLIENT);
    const firstId = installation.id;
    await Parse.Installation.createWithoutData(firstId).destroy(MASTER);
    installation.set('channels', ['again']);
    await installation.save(null, CLIENT);
    assert.ok(installation.id && installation.id !== firstId, `a new object (${installation.id}, was ${firstId})`);
    const found = await withId(installationId);
    assert.deepEqual(found.map((i) => i.id), [installation.id]);
    assert.deepEqual(found[0].get('channels'), ['again']);
    assert.equal(found[0].get('deviceType'), 'web');
  });
});
