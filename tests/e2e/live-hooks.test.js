'use strict';
// Cloud code around LiveQuery, with the official Parse JS SDK and the AssemblyScript example
// sdk/functions/assemblyscript/examples/live.ts deployed: beforeConnect refusing a device,
// beforeSubscribe refusing a client without a user and rewriting a user's query (public
// messages only),
// afterLiveQueryEvent removing a field and dropping an event. Hearth only (Parse Server runs
// JavaScript cloud code, not WebAssembly modules).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { until } = require('../lib/wait');
const { recordEvents } = require('../lib/live');
const { signUp } = require('../lib/users');
const { HEARTH_ONLY, compileExample, deploy } = require('../lib/functions');
const { Parse } = h;

const skip = h.isHearth ? false : HEARTH_ONLY;
// Built before the first request (see compileExample).
const live = h.isHearth ? compileExample('live') : null;
const master = { useMasterKey: true };
const clients = [];

describe('LiveQuery hooks (examples/live.ts)', { skip }, () => {
  let app;
  before(async () => {
    app = await h.appWith({ liveQuery: { classNames: ['Message'] } }, 'e2e live hooks');
    await h.setup(app);
    await deploy(app, live);
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
  });

  /** A LiveQuery client of the app's, opened. */
  function liveClient(options = {}) {
    const client = new Parse.LiveQueryClient({
      applicationId: app.applicationId,
      serverURL: h.PARSE_URL.replace(/^http/, 'ws'),
      javascriptKey: app.keys.javascriptKey,
      ...options,
    });
    clients.push(client);
    return client;
  }

  /** Subscribes; resolves with the events it records once the subscription is open, or rejects
   * with the server's error (a Parse.Error). */
  async function subscribe(client, query, sessionToken) {
    const sub = client.subscribe(query, sessionToken);
    const events = recordEvents(sub);
    const opened = new Promise((resolve) => sub.on('open', resolve));
    await sub.subscribePromise;
    await opened;
    return events;
  }

  test('beforeConnect refuses a device; others connect', async () => {
    const banned = liveClient({ installationId: 'banned-1' });
    const said = new Promise((resolve) => banned.on('error', resolve));
    // The SDK's own promise of the connection (what its subscriptions wait for) is refused.
    const refused = assert.rejects(banned.connectPromise, { code: 119, message: 'this device may not connect' });
    banned.open();
    await refused;
    assert.equal(await said, 'this device may not connect');

    const fine = liveClient({ installationId: 'phone-1' });
    const opened = new Promise((resolve) => fine.on('open', resolve));
    fine.open();
    await opened;
  });

  test('beforeSubscribe refuses a client without a user and shows a user public messages only', async () => {
    const anonymous = liveClient();
    anonymous.open();
    await assert.rejects(subscribe(anonymous, new Parse.Query('Message')), { code: 119, message: 'log in to subscribe' });

    const ann = await signUp();
    const client = liveClient({ sessionToken: ann.getSessionToken() });
    client.open();
    const events = await subscribe(client, new Parse.Query('Message').equalTo('room', 'r1'), ann.getSessionToken());
    await new Parse.Object('Message').save({ room: 'r1', text: 'hidden' }, master);
    const shown = await new Parse.Object('Message').save({ room: 'r1', text: 'shown', public: true }, master);
    await until('the public message arrives', () => events.length >= 1);
    assert.deepEqual(events.map((e) => [e.op, e.object.id]), [['create', shown.id]], 'the message that is not public never arrives');
  });

  test('afterLiveQueryEvent removes secret and drops the leave of an archived message', async () => {
    const ann = await signUp();
    const client = liveClient({ sessionToken: ann.getSessionToken() });
    client.open();
    const events = await subscribe(client, new Parse.Query('Message').equalTo('room', 'r2'), ann.getSessionToken());
    const m = await new Parse.Object('Message').save({ room: 'r2', public: true, text: 'hi', secret: 's1' }, master);
    await until('create', () => events.length === 1);
    assert.equal(events[0].object.get('text'), 'hi');
    assert.equal(events[0].object.get('secret'), undefined, 'secret is removed by the hook');

    await m.save({ text: 'hi 2', secret: 's2' }, master);
    await until('update', () => events.length === 2);
    assert.equal(events[1].op, 'update');
    assert.equal(events[1].object.get('text'), 'hi 2');
    assert.equal(events[1].object.get('secret'), undefined);
    assert.equal(events[1].original.get('secret'), undefined, 'and from the original');

    // Archived and moved out: its leave is dropped; a later message still arrives.
    await m.save({ room: 'elsewhere', archived: true }, master);
    const later = await new Parse.Object('Message').save({ room: 'r2', public: true, text: 'later' }, master);
    await until('the later create', () => events.length >= 3);
    assert.deepEqual(events.slice(2).map((e) => [e.op, e.object.id]), [['create', later.id]], 'no leave for the archived message');
  });
});
