'use strict';
// LiveQuery with the official Parse JS SDK (`query.subscribe()`): every event type with its
// object and `original`, `keys`, ACLs (no event for who may not read; `leave` when read access
// goes), protected fields, unsubscribe, and the refusal of a class that is not live. Each
// subscription is awaited open before the writes it must see; "no event" is asserted after a
// later event that the same subscriber does see has arrived (events of one subscription arrive
// in order).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { until } = require('../lib/wait');
const { recordEvents } = require('../lib/live');
const { signUp } = require('../lib/users');
const { startSecondInstance } = require('../lib/instance');
const { Parse } = h;

const master = { useMasterKey: true };
const wsURL = () => `${h.PARSE_URL.replace(/^http/, 'ws')}`;
const clients = [];

/** A LiveQuery client of the app's: anonymous, a user's (session token) or the master's; on
 * this run's server, or the one at `base`. */
async function liveClient({ sessionToken, master: asMaster = false, base } = {}) {
  const app = await h.currentApp();
  const client = new Parse.LiveQueryClient({
    applicationId: app.applicationId,
    serverURL: base ? `${base.replace(/^http/, 'ws')}/parse` : wsURL(),
    javascriptKey: app.keys.javascriptKey,
    masterKey: asMaster ? app.keys.masterKey : undefined,
    sessionToken,
  });
  client.open();
  clients.push(client);
  return client;
}

/** Subscribes and records every event; resolves once the server confirmed the subscription. */
async function subscribe(client, query, sessionToken) {
  const sub = client.subscribe(query, sessionToken);
  const events = recordEvents(sub);
  const errors = [];
  sub.on('error', (e) => errors.push(e));
  await new Promise((resolve, reject) => {
    sub.on('open', resolve);
    sub.on('error', reject);
  });
  return { sub, events, errors };
}

const live = (prefix = 'Live') => h.cls(prefix);

describe('LiveQuery', () => {
  before(async () => {
    await h.setup();
    if (h.isHearth) await h.updateHearthSettings({ liveQuery: { classNames: ['Live_.*', 'Other_.*'] } });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await Parse.LiveQuery.close();
  });

  test('create, update, enter, leave and delete arrive with their object and original', async () => {
    const name = live();
    // The SDK's default client: its address derived from serverURL, as apps use it.
    const sub = await new Parse.Query(name).equalTo('room', 'a').subscribe();
    const events = recordEvents(sub);
    const o = new Parse.Object(name);
    await o.save({ room: 'a', text: 'hi', gone: 1 }, master);
    await until('create', () => events.length === 1);
    assert.equal(events[0].op, 'create');
    assert.equal(events[0].object.id, o.id);
    assert.equal(events[0].object.get('text'), 'hi');

    o.set('text', 'hi 2');
    o.unset('gone');
    await o.save(null, master);
    await until('update', () => events.length === 2);
    assert.equal(events[1].op, 'update');
    assert.equal(events[1].object.get('text'), 'hi 2');
    assert.equal(events[1].object.get('gone'), undefined, 'an unset field is unset');
    assert.equal(events[1].original.get('text'), 'hi');
    assert.equal(events[1].original.get('gone'), 1);

    await o.save({ room: 'b' }, master);
    await until('leave', () => events.length === 3);
    assert.equal(events[2].op, 'leave');
    assert.equal(events[2].object.get('room'), 'b');
    assert.equal(events[2].original.get('room'), 'a');

    await o.save({ room: 'a' }, master);
    await until('enter', () => events.length === 4);
    assert.equal(events[3].op, 'enter');
    assert.equal(events[3].object.get('room'), 'a');
    assert.equal(events[3].original.get('room'), 'b');

    await o.destroy(master);
    await until('delete', () => events.length === 5);
    assert.equal(events[4].op, 'delete');
    assert.equal(events[4].object.id, o.id);
    assert.deepEqual(events.map((e) => e.op), ['create', 'update', 'leave', 'enter', 'delete']);
  });

  test('keys: only the listed fields (and the ones Parse always sends) arrive', async () => {
    const name = live();
    const client = await liveClient({ master: true });
    const { events } = await subscribe(client, new Parse.Query(name).select('a'));
    await new Parse.Object(name).save({ a: 1, b: 2 }, master);
    await until('create', () => events.length === 1);
    const json = events[0].object.toJSON();
    assert.equal(json.a, 1);
    assert.equal(json.b, undefined, 'b is not sent');
    assert.ok(json.objectId && json.createdAt && json.updatedAt);
  });

  test('a user who may not read an object gets no event; losing read access gives leave', async () => {
    const name = live();
    const [ann, bob] = [await signUp(), await signUp()];
    const annClient = await liveClient({ sessionToken: ann.getSessionToken() });
    const bobClient = await liveClient({ sessionToken: bob.getSessionToken() });
    const annSub = await subscribe(annClient, new Parse.Query(name), ann.getSessionToken());
    const bobSub = await subscribe(bobClient, new Parse.Query(name), bob.getSessionToken());

    const annOnly = new Parse.ACL(ann);
    const secret = new Parse.Object(name);
    secret.setACL(annOnly);
    await secret.save({ v: 'secret' }, master);
    const shared = new Parse.Object(name);
    const both = new Parse.ACL();
    both.setReadAccess(ann, true);
    both.setReadAccess(bob, true);
    shared.setACL(both);
    await shared.save({ v: 'shared' }, master);
    await until('bob sees the shared object', () => bobSub.events.some((e) => e.object.id === shared.id));
    // Events of one object arrive in order: had bob been sent the secret object's creation, it
    // would come before the event of its becoming public.
    const open = new Parse.ACL();
    open.setPublicReadAccess(true);
    secret.setACL(open);
    await secret.save(null, master);
    await until('bob sees the secret object once public', () => bobSub.events.some((e) => e.object.id === secret.id));
    assert.equal(bobSub.events.find((e) => e.object.id === secret.id).op, 'enter', 'bob never heard of the object before it was readable');
    await until('ann sees both', () => annSub.events.filter((e) => e.op === 'create').length === 2);

    // Bob loses read access: leave, and the object he gets is the one he could read.
    shared.setACL(annOnly);
    shared.set('v', 'now secret');
    await shared.save(null, master);
    await until('bob gets leave', () => bobSub.events.some((e) => e.op === 'leave'));
    const leave = bobSub.events.find((e) => e.op === 'leave');
    assert.equal(leave.object.id, shared.id);
    assert.equal(leave.object.get('v'), 'shared', 'the new state is not shown to who lost access');
    await until('ann gets update', () => annSub.events.some((e) => e.op === 'update'));
  });

  test('protected fields are stripped from events', async () => {
    const name = live();
    await new Parse.Object(name).save({ phone: 'x', name: 'y' }, master);
    await h.rest('PUT', `/schemas/${name}`, {
      body: { classLevelPermissions: { find: { '*': true }, get: { '*': true }, create: { '*': true }, update: { '*': true }, delete: { '*': true }, addField: { '*': true }, protectedFields: { '*': ['phone'] } } },
    });
    const ann = await signUp();
    const client = await liveClient({ sessionToken: ann.getSessionToken() });
    const { events } = await subscribe(client, new Parse.Query(name), ann.getSessionToken());
    await new Parse.Object(name).save({ phone: '555', name: 'z' }, master);
    await until('create', () => events.length === 1);
    assert.equal(events[0].object.get('name'), 'z');
    assert.equal(events[0].object.get('phone'), undefined, 'the protected field is not sent');
  });

  test('after unsubscribe, no more events', async () => {
    const name = live();
    const client = await liveClient({ master: true });
    const first = await subscribe(client, new Parse.Query(name).equalTo('k', 1));
    const second = await subscribe(client, new Parse.Query(name).equalTo('k', 1));
    // `subscription.unsubscribe()` goes through the SDK's default client; this one is the test's own.
    await client.unsubscribe(first.sub);
    const o = new Parse.Object(name);
    await o.save({ k: 1 }, master);
    await o.save({ k: 1, v: 2 }, master);
    // The update's event comes after whatever the creation caused, on this one connection.
    await until('the other subscription hears both', () => second.events.length === 2);
    assert.equal(first.events.length, 0, 'the ended subscription hears nothing');
  });

  test('a class that is not live is refused (Hearth: error 119)', { skip: !h.isHearth && 'Parse Server accepts any class and never sends events for it' }, async () => {
    await h.expectParseError(new Parse.Query(h.cls('NotLive')).subscribe(), 119, 'subscribing to a class that is not live');
  });

  test('a subscriber on another instance gets the writes made here, in order per object', { skip: !h.isHearth && 'one Parse Server process here' }, async (t) => {
    const second = await startSecondInstance();
    const name = live();
    const client = await liveClient({ master: true, base: second.base });
    // The client first: closing it after its server stopped would wait for a close that never comes.
    t.after(async () => {
      await client.close();
      await second.stop();
    });
    const { events } = await subscribe(client, new Parse.Query(name));
    const o = new Parse.Object(name);
    await o.save({ n: 0 }, master);
    for (let i = 1; i <= 20; i++) await o.save({ n: i }, master);
    await until('21 events', () => events.length === 21);
    assert.deepEqual(events.map((e) => e.object.get('n')), Array.from({ length: 21 }, (_, i) => i));
    assert.deepEqual(events.map((e) => e.op), ['create', ...Array(20).fill('update')]);
  });

  test('after the server restarts, the SDK reconnects and subscribes again', { skip: !h.isHearth && 'the run cannot restart Parse Server' }, async (t) => {
    let server = await startSecondInstance();
    const name = live();
    const client = await liveClient({ master: true, base: server.base });
    t.after(async () => {
      await client.close();
      await server.stop();
    });
    const { sub, events } = await subscribe(client, new Parse.Query(name));
    let opened = 0;
    sub.on('open', () => opened++);
    // A graceful stop tells the client to reconnect; the server comes back on the same port.
    await server.stop();
    server = await startSecondInstance({ port: server.port });
    await until('the subscription is open again', () => opened >= 1, { ms: 60000 });
    await new Parse.Object(name).save({ v: 'after' }, master);
    await until('the event written after the restart', () => events.length === 1);
    assert.equal(events[0].op, 'create');
    assert.equal(events[0].object.get('v'), 'after');
  });
});
