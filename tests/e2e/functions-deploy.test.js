'use strict';
// Deployments of cloud functions: what the management API reports of a module (its manifest, its
// size), the Rust SDK's modules' memory, and what an app's clients (the official Parse JS SDK)
// see of versions: a new version replaces the functions at once, a roll back to an earlier
// version brings them back, and deleting the active version leaves the app without functions.
// Hearth only (Parse Server runs JavaScript cloud code, not WebAssembly modules).

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { HEARTH_ONLY, compileExample, buildRustExample, deploy } = require('../lib/functions');
const { Parse } = h;

const skip = h.isHearth ? false : HEARTH_ONLY;

// Built before the first request (see compileExample).
const demo = h.isHearth ? compileExample('demo') : null;
const triggers = h.isHearth ? compileExample('triggers') : null;
const live = h.isHearth ? compileExample('live') : null;
const typed = h.isHearth ? compileExample('typed') : null;
const typedText = h.isHearth ? compileExample('typed-text') : null;
const typedBroken = h.isHearth ? compileExample('typed-broken') : null;
const rust = h.isHearth ? buildRustExample() : { skip: HEARTH_ONLY };

/** A fresh instance of a module in Node, its host calls stubbed: `handle(request)` runs one
 * request and answers the module's answer (its text). */
async function inNode(bytes) {
  const module = await WebAssembly.compile(bytes);
  const imports = {};
  for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
  let answer;
  imports.hearth.answer = (ptr, len) => { answer = Buffer.from(exports.memory.buffer, ptr, len).toString(); };
  const { exports } = await WebAssembly.instantiate(module, imports);
  const handle = (request) => {
    const body = Buffer.from(JSON.stringify(request));
    const ptr = exports.hearth_alloc(body.length);
    Buffer.from(exports.memory.buffer, ptr, body.length).set(body);
    assert.equal(exports.hearth_handle(ptr, body.length), 0);
    return answer;
  };
  return { memory: exports.memory, handle };
}

/** A trigger's request run in a fresh instance of a module; answers its answer. */
async function runTrigger(bytes, request) {
  const { handle } = await inNode(bytes);
  return JSON.parse(handle({ abi: 1, kind: 'trigger', master: false, user: null, installationId: null, ip: null, ...request }));
}

/** Deploys `bytes` to a new app; answers the deployment. */
async function deployNew(bytes, name) {
  return deploy(await h.createHearthApp(name), bytes);
}

describe('manifests', { skip }, () => {
  test('demo.ts: the manifest lists what the module defines', async () => {
    const deployed = await deployNew(demo, 'e2e deploy demo');
    assert.equal(deployed.version, 1);
    assert.deepEqual(deployed.manifest.functions.slice().sort(), ['add', 'addNote', 'callHello', 'configValue', 'countNotes', 'fail', 'fetch', 'getNote', 'hello', 'secretValue', 'whoami']);
    assert.deepEqual(deployed.manifest.triggers.slice().sort(), ['afterDelete:Player', 'afterSave:Player', 'beforeDelete:Player', 'beforeSave:Player']);
    assert.deepEqual(deployed.manifest.jobs.slice().sort(), ['broken', 'steps', 'tick', 'tidy']);
  });

  test('triggers.ts: the manifest lists every trigger kind of the example', async () => {
    const deployed = await deployNew(triggers, 'e2e deploy triggers');
    assert.deepEqual(deployed.manifest.triggers.slice().sort(), [
      'afterDeleteFile:@File',
      'afterFind:Book',
      'afterLogin:_User',
      'afterLogout:_Session',
      'afterSaveFile:@File',
      'beforeDeleteFile:@File',
      'beforeFind:Book',
      'beforeLogin:_User',
      'beforeSaveFile:@File',
    ]);
  });
});

describe('typed functions (typed.ts)', { skip }, () => {
  const score = {
    params: {
      type: 'object',
      properties: { playerId: { type: 'string' }, bonus: { type: 'number' } },
      required: ['playerId'],
      additionalProperties: false,
    },
    result: { type: 'object', properties: { playerId: { type: 'string' }, total: { type: 'number' } }, required: ['playerId', 'total'] },
  };

  const manifestRequest = { abi: 1, kind: 'manifest', master: true, user: null, installationId: null, ip: null };

  test('the SDK answers the declared types in the manifest as the schemas\' text, and none for define()', async () => {
    const { handle } = await inNode(typed);
    const manifest = JSON.parse(handle(manifestRequest));
    assert.deepEqual(Object.keys(manifest.functionTypes), ['score']);
    const sent = manifest.functionTypes.score;
    assert.equal(typeof sent.params, 'string', 'each schema is sent as its JSON text');
    assert.deepEqual({ params: JSON.parse(sent.params), result: JSON.parse(sent.result) }, score);
    assert.deepEqual({ ...manifest, functionTypes: undefined }, { functions: ['score', 'hello'], jobs: [], triggers: [], functionTypes: undefined });
  });

  test('schema text with raw newlines, escaped newlines and quotes, and odd property names reaches the server intact', async () => {
    const odd = {
      params: {
        type: 'object',
        description: 'line one\nline "two"',
        properties: { 'say "hi" \\ back': { type: ['string', 'null'] } },
      },
    };
    const { handle } = await inNode(typedText);
    const manifest = JSON.parse(handle(manifestRequest));
    assert.deepEqual(JSON.parse(manifest.functionTypes.odd.params), odd.params);
    assert.equal('result' in manifest.functionTypes.odd, false, 'an undeclared part is left out');
    const app = await h.createHearthApp('e2e deploy typed text');
    const deployed = await deploy(app, typedText);
    assert.deepEqual(deployed.manifest.functionTypes, { odd });
  });

  test('a schema that is not JSON: the module still answers its calls, and its deploy is refused with 142 naming the function', async () => {
    const { handle } = await inNode(typedBroken);
    const answer = JSON.parse(handle({ abi: 1, kind: 'function', name: 'fine', params: {}, master: false, user: null, installationId: null, ip: null }));
    assert.deepEqual(answer, { result: 'fine' });
    const app = await h.createHearthApp('e2e deploy typed broken');
    const res = await h.admin('POST', `${h.appPath(app)}/functions`, { raw: typedBroken, contentType: 'application/wasm' });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body, {
      code: 142,
      error: 'function "broken": result is not JSON text of a schema: EOF while parsing an object at line 2 column 9',
    });
  });

  test('the deployment and the functions list show them; the functions answer as before', async () => {
    const app = await h.createHearthApp('e2e deploy typed');
    const deployed = await deploy(app, typed);
    assert.deepEqual(deployed.manifest.functions, ['hello', 'score']);
    assert.deepEqual(deployed.manifest.functionTypes, { score });
    const res = await h.admin('GET', `${h.appPath(app)}/functions`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.map((d) => d.manifest.functionTypes), [{ score }]);

    await h.setup(app);
    assert.deepEqual(await Parse.Cloud.run('score', { playerId: 'p1', bonus: 5 }), { playerId: 'p1', total: 15 });
    assert.equal(await Parse.Cloud.run('hello', { name: 'Ada' }), 'Hello Ada');
  });

  test('a module without types deploys with no functionTypes in its manifest', async () => {
    const deployed = await deployNew(live, 'e2e deploy untyped');
    assert.equal('functionTypes' in deployed.manifest, false);
  });
});

describe('the LiveQuery hooks of the AssemblyScript SDK (live.ts)', { skip }, () => {
  test('the manifest lists them', async () => {
    const deployed = await deployNew(live, 'e2e deploy live');
    assert.deepEqual(deployed.manifest.triggers.slice().sort(), ['afterLiveQueryEvent:Message', 'beforeConnect:@Connect', 'beforeSubscribe:Message']);
  });

  test('they answer as docs/functions.md says', async () => {
    const connect = (installationId) => runTrigger(live, { trigger: 'beforeConnect', className: '@Connect', event: 'connect', installationId, clients: 1, subscriptions: 0 });
    assert.deepEqual(await connect('phone-1'), { result: null }, 'anything but an error lets the client connect');
    assert.deepEqual(await connect('banned-1'), { error: { code: 119, message: 'this device may not connect' } });

    const subscribe = (user) => runTrigger(live, {
      trigger: 'beforeSubscribe', className: 'Message', user, requestId: 1, query: { className: 'Message', where: { room: 'a' }, keys: ['text'] },
    });
    assert.deepEqual(await subscribe(null), { error: { code: 119, message: 'log in to subscribe' } });
    assert.deepEqual(await subscribe({ __type: 'Pointer', className: '_User', objectId: 'u1' }), {
      query: { className: 'Message', where: { room: 'a', public: true }, keys: ['text'] },
    });

    const event = (kind, object, original) => runTrigger(live, { trigger: 'afterLiveQueryEvent', className: 'Message', event: kind, object, original, sendEvent: true });
    const message = { className: 'Message', objectId: 'm1', text: 'hi' };
    assert.deepEqual(await event('create', message, null), { result: null }, 'unchanged');
    assert.deepEqual(await event('update', { ...message, secret: 's' }, { ...message, secret: 'o' }), { sendEvent: true, object: message, original: message });
    assert.deepEqual(await event('leave', { ...message, archived: true }, message), { sendEvent: false });
  });
});

describe('the Rust SDK\'s modules', { skip: rust.skip || false }, () => {
  test('the module is small and its manifest lists what register() defines', async () => {
    const { bytes } = rust;
    const deployed = await deployNew(bytes, 'e2e deploy rust');
    assert.equal(deployed.size, bytes.length);
    assert.ok(bytes.length < 256 * 1024, `the example is ${bytes.length} bytes`);
    assert.deepEqual(deployed.manifest.functions, [
      'add', 'addNote', 'callHello', 'configValue', 'countNotes', 'fail', 'failWithCode', 'fetch', 'getNote', 'hello', 'panic', 'secretValue', 'whoami',
    ]);
    assert.deepEqual(deployed.manifest.jobs, ['tidy']);
    assert.deepEqual(deployed.manifest.triggers, [
      'afterDelete:Player', 'afterFind:Score', 'afterLiveQueryEvent:Score', 'afterSave:Player', 'beforeConnect:@Connect',
      'beforeDelete:Player', 'beforeFind:Score', 'beforeLogin:_User', 'beforeSave:Player', 'beforeSubscribe:Score',
    ]);
  });

  test('the SDK keeps a call within the memory the module starts with, and that memory small', async () => {
    // Every call is a fresh instance, whose memory Hearth resets afterwards, and growing it costs
    // every call two system calls. Rust's defaults for wasm32 (a 1 MiB stack below the data, an
    // allocator that grows the memory at its first allocation) would do both: the SDK's
    // .cargo/config.toml sets a 128 KiB stack, and its allocator serves small calls from the
    // free memory the module starts with. The module is run here in Node, its imports stubbed.
    const { memory, handle } = await inNode(rust.bytes);
    const initial = memory.buffer.byteLength;
    assert.ok(initial <= 256 * 1024, `the example's memory starts at ${initial / 1024} KiB`);
    const request = {
      abi: 1, kind: 'function', name: 'hello', master: false, user: null, installationId: null, ip: '127.0.0.1', params: { name: 'Ferris' }, headers: {},
    };
    assert.equal(handle(request), '{"result":"Hello, Ferris!"}');
    assert.equal(memory.buffer.byteLength, initial, 'the call did not grow the memory');
  });
});

describe('deployments', { skip }, () => {
  let app;
  before(async () => {
    app = await h.setup();
  });

  test('a new version replaces the functions; a roll back brings them back', async () => {
    const base = `${h.appPath(app)}/functions`;
    const v1 = await deploy(app, demo);
    assert.equal(await Parse.Cloud.run('hello', { name: 'Ada' }), 'Hello, Ada!');
    const v2 = await deploy(app, triggers);
    assert.equal(v2.version, v1.version + 1);
    await h.expectParseError(Parse.Cloud.run('hello', { name: 'Ada' }), 141, 'a function the new version lacks');

    const back = await h.admin('POST', `${base}/${v1.version}/activate`);
    assert.equal(back.status, 204, back.text);
    assert.equal(await Parse.Cloud.run('hello', { name: 'Bo' }), 'Hello, Bo!');
    const list = await h.admin('GET', base);
    assert.deepEqual(list.body.map((d) => [d.version, d.active]), [[v2.version, false], [v1.version, true]]);

    const gone = await h.admin('DELETE', `${base}/${v1.version}`);
    assert.equal(gone.status, 204, gone.text);
    await h.expectParseError(Parse.Cloud.run('hello', {}), 141, 'no active deployment');
    const missing = await h.admin('POST', `${base}/999/activate`);
    assert.equal(missing.status, 404, missing.text);
  });
});
