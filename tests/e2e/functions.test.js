'use strict';
// Cloud functions: the AssemblyScript example of the guest SDK (sdk/functions/assemblyscript/
// examples/demo.ts) is compiled to .wasm, deployed through the management API and driven with the
// official Parse JS SDK: Parse.Cloud.run with params and errors, triggers that change and refuse
// writes, data calls with the caller's rights, config and secrets, and tenancy. Hearth only (Parse
// Server runs JavaScript cloud code, not WebAssembly modules).

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { compileExample, deploy, playerTriggerTests } = require('../lib/functions');
const { Parse } = h;

const HEARTH_ONLY = 'WebAssembly cloud functions are Hearth\'s (Parse Server runs JavaScript cloud code)';
const skip = h.isHearth ? false : HEARTH_ONLY;

let app;
let deployed;
before(async () => {
  if (!h.isHearth) return;
  const bytes = compileExample('demo');
  app = await h.setup();
  await h.updateHearthSettings({ functions: { secrets: { apiToken: 's3cr3t' } } }, app);
  deployed = await deploy(app, bytes);
});

describe('deploy', { skip }, () => {
  test('the manifest lists what the module defines', () => {
    assert.equal(deployed.version, 1);
    assert.deepEqual(deployed.manifest.functions.slice().sort(), ['add', 'addNote', 'callHello', 'configValue', 'countNotes', 'fail', 'fetch', 'getNote', 'hello', 'secretValue', 'whoami']);
    assert.deepEqual(deployed.manifest.triggers.slice().sort(), ['afterDelete:Player', 'afterSave:Player', 'beforeDelete:Player', 'beforeSave:Player']);
    assert.deepEqual(deployed.manifest.jobs.slice().sort(), ['broken', 'steps', 'tick', 'tidy']);
  });
});

describe('Parse.Cloud.run', { skip }, () => {
  test('params in, result out', async () => {
    assert.equal(await Parse.Cloud.run('hello', { name: 'Ada' }), 'Hello, Ada!');
    assert.equal(await Parse.Cloud.run('hello'), 'Hello, world!');
    assert.equal(await Parse.Cloud.run('add', { a: 2, b: 3.5 }), 5.5);
  });

  test("a guest's error keeps its code; a thrown one is 141", async () => {
    await h.expectParseError(Parse.Cloud.run('add', { a: 'x' }), 142, 'bad params');
    const err = await Parse.Cloud.run('fail').then(() => null, (e) => e);
    assert.equal(err.code, 141);
    assert.equal(err.message, 'this function always fails');
  });

  test('an unknown function is 141 Invalid function', async () => {
    const err = await Parse.Cloud.run('nope').then(() => null, (e) => e);
    assert.equal(err.code, 141);
    assert.equal(err.message, 'Invalid function: "nope"');
  });

  test('the function knows its caller', async () => {
    const user = await Parse.User.signUp(`fn_${h.rand()}`, 'pw-12345678');
    const me = await Parse.Cloud.run('whoami', {}, { sessionToken: user.getSessionToken(), useMasterKey: false, installationId: 'inst-1' });
    assert.deepEqual(me, { user: user.id, master: false, installationId: 'inst-1' });
    assert.equal((await Parse.Cloud.run('whoami')).master, true);
  });

  test('functions call functions, read config and secrets', async () => {
    assert.equal(await Parse.Cloud.run('callHello'), 'Hello, nested!');
    await Parse.Config.save({ greeting: 'hej' });
    assert.equal(await Parse.Cloud.run('configValue', {}, { useMasterKey: false }), 'hej');
    assert.equal(await Parse.Cloud.run('secretValue'), 's3cr3t');
  });

  test('outbound HTTP only to allowed hosts', async () => {
    const err = await Parse.Cloud.run('fetch', { url: 'http://169.254.169.254/latest/meta-data' }).then(() => null, (e) => e);
    assert.equal(err.code, 119);
    assert.match(err.message, /not in this app's functions.httpAllow/);
  });
});

describe('data calls with the caller\'s rights', { skip }, () => {
  before(async () => {
    if (!h.isHearth) return;
    // Notes: anyone may create; only logged-in users may find, count or get them.
    await h.ok(
      await h.rest('POST', '/schemas/Note', {
        key: 'master',
        body: { className: 'Note', fields: { text: { type: 'String' } }, classLevelPermissions: { find: { requiresAuthentication: true }, count: { requiresAuthentication: true }, get: { requiresAuthentication: true }, create: { '*': true }, update: {}, delete: {}, addField: {} } },
      }),
      'create Note',
    );
  });

  test('a client is refused what the class refuses it; a user and the master are not', async () => {
    const note = await Parse.Cloud.run('addNote', { text: 'first' }, { useMasterKey: false });
    assert.ok(note.objectId);
    await h.expectParseError(Parse.Cloud.run('countNotes', {}, { useMasterKey: false }), 101, 'anonymous count (Parse: 101, user needs to be authenticated)');
    await h.expectParseError(Parse.Cloud.run('getNote', { id: note.objectId }, { useMasterKey: false }), 101, 'anonymous get');
    const user = await Parse.User.signUp(`reader_${h.rand()}`, 'pw-12345678');
    const opts = { sessionToken: user.getSessionToken(), useMasterKey: false };
    assert.equal(await Parse.Cloud.run('countNotes', {}, opts), 1);
    assert.equal((await Parse.Cloud.run('getNote', { id: note.objectId }, opts)).text, 'first');
    // The function may ask for master rights (the app allows it by default).
    assert.equal(await Parse.Cloud.run('countNotes', { master: true }, { useMasterKey: false }), 1);
  });

  test("another app's objects are never seen", async () => {
    const other = await h.createHearthApp('e2e functions other');
    const res = await h.rest('POST', '/classes/Note', { app: other, key: 'master', body: { text: 'other app' } });
    h.ok(res, 'create in the other app');
    assert.equal(await Parse.Cloud.run('countNotes', { master: true }), 1);
    // And the other app has no functions.
    const call = await h.rest('POST', '/functions/hello', { app: other, key: 'master', body: {} });
    h.assertRestError(call, 400, 141, 'the other app has no hello');
  });
});

describe('triggers', { skip }, playerTriggerTests);
