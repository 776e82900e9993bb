'use strict';
// Cloud functions written with the Rust guest SDK: its example (sdk/functions/rust/example) is
// built for wasm32-unknown-unknown (sdk/functions/rust/build.sh), deployed through the management
// API and driven with the official Parse JS SDK: Parse.Cloud.run with params and Parse errors, a
// panic, data calls with the caller's rights, triggers that change and refuse writes, afterSave,
// and the function log. Hearth only (Parse Server runs JavaScript cloud code).
//
// When the Rust toolchain has no wasm32-unknown-unknown target (scripts/install-test-deps.sh adds
// it with rustup when it can), every test here is skipped with build.sh's explanation.

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('../lib/harness');
const { playerTriggerTests } = require('../lib/functions');
const { Parse } = h;

const BUILD = path.join(__dirname, '..', '..', 'sdk', 'functions', 'rust', 'build.sh');

/** Builds the example (a no-op when it is up to date); answers the .wasm path, or why not. */
function buildExample() {
  const run = spawnSync(BUILD, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60 * 1000 });
  if (run.status === 3) return { skip: `the Rust guest SDK cannot be built here: ${run.stderr.trim().replace(/\s*\n\s*/g, ' ')}` };
  if (run.status !== 0) throw new Error(`${BUILD} failed (status ${run.status}, signal ${run.signal}):\n${run.stderr}`);
  return { wasm: run.stdout.trim().split('\n').pop() };
}

const built = h.isHearth ? buildExample() : { skip: 'WebAssembly cloud functions are Hearth\'s (Parse Server runs JavaScript cloud code)' };
const skip = built.skip || false;

async function admin(method, url, body, contentType) {
  const res = await fetch(`${h.BASE}/admin/v1${url}`, {
    method,
    headers: { Authorization: `Bearer ${await h.adminLogin()}`, ...(contentType ? { 'Content-Type': contentType } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

/** The app's function log lines whose message matches, waiting for the batched writer. */
async function logLines(app, pattern) {
  for (let i = 0; i < 50; i++) {
    const res = await admin('GET', `/apps/${encodeURIComponent(app.applicationId)}/functions/logs?limit=500`);
    assert.equal(res.status, 200, res.text);
    const lines = res.body.filter((l) => pattern.test(l.message));
    if (lines.length) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}

let app;
let bytes;
let deployed;
before(async () => {
  if (skip) return;
  app = await h.setup();
  await h.updateHearthSettings({ functions: { secrets: { apiToken: 'rust-s3cr3t' } } }, app);
  bytes = fs.readFileSync(built.wasm);
  const res = await admin('POST', `/apps/${encodeURIComponent(app.applicationId)}/functions`, bytes, 'application/wasm');
  assert.equal(res.status, 201, `deploy answers 201: ${res.text}`);
  deployed = res.body;
});

describe('deploy', { skip }, () => {
  test('the module is small and its manifest lists what register() defines', () => {
    assert.equal(deployed.size, bytes.length);
    assert.ok(bytes.length < 256 * 1024, `the example is ${bytes.length} bytes`);
    assert.deepEqual(deployed.manifest.functions, [
      'add', 'addNote', 'callHello', 'configValue', 'countNotes', 'fail', 'failWithCode', 'fetch', 'getNote', 'hello', 'panic', 'secretValue', 'whoami',
    ]);
    assert.deepEqual(deployed.manifest.jobs, ['tidy']);
    assert.deepEqual(deployed.manifest.triggers, [
      'afterDelete:Player', 'afterFind:Score', 'afterSave:Player', 'beforeDelete:Player', 'beforeFind:Score', 'beforeLogin:_User', 'beforeSave:Player',
    ]);
  });

  test('the SDK keeps a call within the memory the module starts with, and that memory small', async () => {
    // Every call is a fresh instance, whose memory Hearth resets afterwards, and growing it costs
    // every call two system calls. Rust's defaults for wasm32 (a 1 MiB stack below the data, an
    // allocator that grows the memory at its first allocation) would do both: the SDK's
    // .cargo/config.toml sets a 128 KiB stack, and its allocator serves small calls from the
    // free memory the module starts with. The module is run here in Node, its imports stubbed.
    const module = await WebAssembly.compile(bytes);
    const imports = {};
    for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
    let memory;
    let answer;
    imports.hearth.answer = (ptr, len) => { answer = Buffer.from(memory.buffer, ptr, len).toString(); };
    const { exports } = await WebAssembly.instantiate(module, imports);
    memory = exports.memory;
    const initial = memory.buffer.byteLength;
    assert.ok(initial <= 256 * 1024, `the example's memory starts at ${initial / 1024} KiB`);
    const request = Buffer.from(JSON.stringify({
      abi: 1, kind: 'function', name: 'hello', master: false, user: null, installationId: null, ip: '127.0.0.1', params: { name: 'Ferris' }, headers: {},
    }));
    const ptr = exports.hearth_alloc(request.length);
    Buffer.from(memory.buffer, ptr, request.length).set(request);
    assert.equal(exports.hearth_handle(ptr, request.length), 0);
    assert.equal(answer, '{"result":"Hello, Ferris!"}');
    assert.equal(memory.buffer.byteLength, initial, 'the call did not grow the memory');
  });
});

describe('Parse.Cloud.run', { skip }, () => {
  test('params in, result out', async () => {
    assert.equal(await Parse.Cloud.run('hello', { name: 'Ferris' }), 'Hello, Ferris!');
    assert.equal(await Parse.Cloud.run('hello'), 'Hello, world!');
    assert.equal(await Parse.Cloud.run('add', { a: 2, b: 3.5 }), 5.5);
  });

  test('an Err keeps its Parse code and message', async () => {
    for (const [name, params, code, message] of [
      ['add', { a: 'x', b: 1 }, 142, 'a and b must be numbers'],
      ['hello', { name: 7 }, 142, /^invalid parameter name: invalid type: integer `7`, expected a string/],
      ['fail', {}, 141, 'this function always fails'],
      ['failWithCode', {}, 119, 'not today'],
      ['nope', {}, 141, 'Invalid function: "nope"'],
    ]) {
      const err = await Parse.Cloud.run(name, params).then(() => null, (e) => e);
      assert.ok(err, `${name} fails`);
      assert.equal(err.code, code, `${name}: ${err.message}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
    }
  });

  test('a panic is a 141 error with its message and place, and the next call is fine', async () => {
    const err = await Parse.Cloud.run('panic', { a: 1, b: 2 }).then(() => null, (e) => e);
    assert.equal(err.code, 141);
    assert.match(err.message, /panic: asked to panic with 2 \(.*src\/lib\.rs:\d+:\d+\)/);
    assert.equal(await Parse.Cloud.run('hello', { name: 'again' }), 'Hello, again!');
  });

  test('the function knows its caller', async () => {
    const user = await Parse.User.signUp(`rs_${h.rand()}`, 'pw-12345678');
    const me = await Parse.Cloud.run('whoami', {}, { sessionToken: user.getSessionToken(), useMasterKey: false, installationId: 'inst-rs' });
    assert.deepEqual(me, { user: user.id, master: false, installationId: 'inst-rs' });
    const master = await Parse.Cloud.run('whoami');
    assert.equal(master.user, null);
    assert.equal(master.master, true);
  });

  test('functions call functions, read config and secrets', async () => {
    assert.equal(await Parse.Cloud.run('callHello'), 'Hello, nested!');
    await Parse.Config.save({ greeting: 'hallo' });
    assert.equal(await Parse.Cloud.run('configValue', {}, { useMasterKey: false }), 'hallo');
    assert.equal(await Parse.Cloud.run('secretValue'), 'rust-s3cr3t');
  });

  test('outbound HTTP only to allowed hosts', async () => {
    const err = await Parse.Cloud.run('fetch', { url: 'http://169.254.169.254/latest/meta-data' }).then(() => null, (e) => e);
    assert.equal(err.code, 119);
    assert.match(err.message, /not in this app's functions.httpAllow/);
  });

  test("log lines and panics reach the app's function log", async () => {
    await Parse.Cloud.run('hello');
    const hello = await logLines(app, /^hello called$/);
    assert.ok(hello.length >= 1, 'hello logged');
    assert.equal(hello[0].level, 'info');
    assert.equal(hello[0].source, 'function:hello');
    const panics = await logLines(app, /asked to panic/);
    assert.ok(panics.length >= 1, 'the panic is in the log');
    assert.equal(panics[0].level, 'error');
  });
});

describe("data calls with the caller's rights", { skip }, () => {
  before(async () => {
    if (skip) return;
    // Notes: anyone may create; only logged-in users may find, count or get them.
    h.ok(
      await h.rest('POST', '/schemas/Note', {
        key: 'master',
        body: { className: 'Note', fields: { text: { type: 'String' } }, classLevelPermissions: { find: { requiresAuthentication: true }, count: { requiresAuthentication: true }, get: { requiresAuthentication: true }, create: { '*': true }, update: {}, delete: {}, addField: {} } },
      }),
      'create Note',
    );
  });

  test('a query and a save run as the caller: refused what it is refused, allowed what it is allowed', async () => {
    const anonymous = { useMasterKey: false };
    const note = await Parse.Cloud.run('addNote', { text: 'from rust' }, anonymous);
    assert.ok(note.objectId && note.createdAt, JSON.stringify(note));
    await h.expectParseError(Parse.Cloud.run('countNotes', {}, anonymous), 101, 'anonymous count');
    await h.expectParseError(Parse.Cloud.run('getNote', { id: note.objectId }, anonymous), 101, 'anonymous get');

    const user = await Parse.User.signUp(`rs_reader_${h.rand()}`, 'pw-12345678');
    const asUser = { sessionToken: user.getSessionToken(), useMasterKey: false };
    assert.equal(await Parse.Cloud.run('countNotes', {}, asUser), 1);
    assert.equal((await Parse.Cloud.run('getNote', { id: note.objectId }, asUser)).text, 'from rust');
    assert.equal(await Parse.Cloud.run('addNote', { text: 'second' }, asUser).then((n) => typeof n.objectId), 'string');
    // Host::use_master_key(true): master rights, which the app allows by default.
    assert.equal(await Parse.Cloud.run('countNotes', { master: true }, anonymous), 2);
  });

  test('master rights are refused when the app does not allow them', async () => {
    const other = await h.createHearthApp('e2e functions-rust no master');
    await h.updateHearthSettings({ functions: { allowMasterKey: false } }, other);
    const res = await admin('POST', `/apps/${encodeURIComponent(other.applicationId)}/functions`, bytes, 'application/wasm');
    assert.equal(res.status, 201, res.text);
    const call = await h.rest('POST', '/functions/countNotes', { app: other, key: 'master', body: { master: true } });
    h.assertRestError(call, 400, 119, 'useMasterKey refused');
  });
});

describe('triggers', { skip }, playerTriggerTests);
