'use strict';
// Cloud functions in end-to-end tests: the guest SDKs' examples built to WebAssembly (the
// AssemblyScript ones with its compiler, the Rust one with sdk/functions/rust/build.sh), deployed
// to an app through the management API, and the tests that every guest SDK's example passes (the
// AssemblyScript demo.ts and the Rust example implement the same functions and `Player` triggers).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { test } = require('node:test');
const h = require('./harness');
const { as } = require('./users');
const { Parse } = h;

const SDK = path.join(__dirname, '..', '..', 'sdk', 'functions');

/** Why the function tests skip on Parse Server. */
const HEARTH_ONLY = 'WebAssembly cloud functions are Hearth\'s (Parse Server runs JavaScript cloud code)';

/** The secret `apiToken` that `exampleApp` gives, which `secretValue` answers. */
const SECRET = 's3cr3t';

/** Compiles sdk/functions/assemblyscript/examples/NAME.ts; answers the module's bytes. The
 * compiler blocks this process for seconds: call it before the file's first request, since a
 * connection that `fetch` keeps idle meanwhile may be closed by the server under it (the closing
 * goes unseen while the process is blocked, and the next request on it fails). */
function compileExample(name) {
  const dir = path.join(SDK, 'assemblyscript');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-fn-')), `${name}.wasm`);
  execFileSync(path.join(dir, 'node_modules', '.bin', 'asc'), [`examples/${name}.ts`, '-o', out, '-O3', '--runtime', 'stub'], { cwd: dir, stdio: 'pipe' });
  return fs.readFileSync(out);
}

/** Builds the Rust SDK's example (sdk/functions/rust/build.sh: a no-op when it is up to date);
 * answers { bytes }, or { skip: why } when the toolchain has no wasm32-unknown-unknown target
 * (build.sh exits 3 with the reason; scripts/install-test-deps.sh adds the target with rustup
 * when it can). Like `compileExample`, call it before the file's first request. */
function buildRustExample() {
  const build = path.join(SDK, 'rust', 'build.sh');
  const run = spawnSync(build, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60 * 1000 });
  if (run.status === 3) return { skip: `the Rust guest SDK cannot be built here: ${run.stderr.trim().replace(/\s*\n\s*/g, ' ')}` };
  if (run.status !== 0) throw new Error(`${build} failed (status ${run.status}, signal ${run.signal}):\n${run.stderr}`);
  return { bytes: fs.readFileSync(run.stdout.trim().split('\n').pop()) };
}

/** Deploys a module to an app; answers the deployment (201). */
async function deploy(app, bytes) {
  const res = await h.admin('POST', `${h.appPath(app)}/functions`, { raw: bytes, contentType: 'application/wasm' });
  assert.equal(res.status, 201, `deploy answers 201: ${res.text}`);
  return res.body;
}

/** A new app named `name` with the secret SECRET and `bytes` deployed, the SDK set up for it
 * (`h.setup`); answers { app, deployed }. Call it in a suite's `before`. */
async function exampleApp(name, bytes) {
  const app = await h.appWith({ functions: { secrets: { apiToken: SECRET } } }, name);
  const deployed = await deploy(app, bytes);
  await h.setup(app);
  return { app, deployed };
}

/** The lines of `app`'s function log whose message matches `pattern`, waiting for the batched
 * writer to store at least one. */
async function logLines(app, pattern) {
  return h.until(`a function log line matching ${pattern}`, async () => {
    const res = await h.admin('GET', `${h.appPath(app)}/functions/logs?limit=500`);
    assert.equal(res.status, 200, res.text);
    const lines = res.body.filter((l) => pattern.test(l.message));
    return lines.length ? lines : null;
  }, { ms: 5000, every: 100 });
}

/** What every guest SDK's example answers when called: run inside a `describe` whose `before`
 * made the example's app with `exampleApp`; `guest()` answers { app, bytes, noUser } (`noUser`:
 * what the SDK's request holds as the user without one: '' in AssemblyScript, null in Rust). */
function callTests(guest) {
  test('params in, result out', async () => {
    assert.equal(await Parse.Cloud.run('hello', { name: 'Ada' }), 'Hello, Ada!');
    assert.equal(await Parse.Cloud.run('hello'), 'Hello, world!');
    assert.equal(await Parse.Cloud.run('add', { a: 2, b: 3.5 }), 5.5);
  });

  test("a guest's error keeps its code and message; a failure without a code is 141", async () => {
    for (const params of [{ a: 'x' }, { a: 'x', b: 1 }]) {
      const err = await h.expectParseError(Parse.Cloud.run('add', params), 142, `add with ${JSON.stringify(params)}`);
      assert.equal(err.message, 'a and b must be numbers');
    }
    const err = await h.expectParseError(Parse.Cloud.run('fail'), 141, 'fail');
    assert.equal(err.message, 'this function always fails');
  });

  test('an unknown function is 141 Invalid function', async () => {
    const err = await h.expectParseError(Parse.Cloud.run('nope'), 141, 'an unknown function');
    assert.equal(err.message, 'Invalid function: "nope"');
  });

  test('the function knows its caller', async () => {
    const user = await Parse.User.signUp(`fn_${h.rand()}`, 'pw-12345678');
    const me = await Parse.Cloud.run('whoami', {}, { sessionToken: user.getSessionToken(), useMasterKey: false, installationId: 'inst-1' });
    assert.deepEqual(me, { user: user.id, master: false, installationId: 'inst-1' });
    const master = await Parse.Cloud.run('whoami');
    assert.equal(master.user, guest().noUser, 'no user');
    assert.equal(master.master, true);
  });

  test('functions call functions, read config and secrets', async () => {
    assert.equal(await Parse.Cloud.run('callHello'), 'Hello, nested!');
    await Parse.Config.save({ greeting: 'hej' });
    assert.equal(await Parse.Cloud.run('configValue', {}, { useMasterKey: false }), 'hej');
    assert.equal(await Parse.Cloud.run('secretValue'), SECRET);
  });

  test('outbound HTTP only to allowed hosts', async () => {
    const err = await h.expectParseError(Parse.Cloud.run('fetch', { url: 'http://169.254.169.254/latest/meta-data' }), 119, 'a fetch of a host not allowed');
    assert.match(err.message, /not in this app's functions.httpAllow/);
  });

  test("log lines reach the app's function log", async () => {
    await Parse.Cloud.run('hello');
    const hello = await logLines(guest().app, /^hello called$/);
    assert.equal(hello[0].level, 'info');
    assert.equal(hello[0].source, 'function:hello');
  });

  test('a query and a save run as the caller: refused what it is refused, allowed what it is allowed', async () => {
    // Notes: anyone may create; only logged-in users may find, count or get them.
    const clp = { find: { requiresAuthentication: true }, count: { requiresAuthentication: true }, get: { requiresAuthentication: true }, create: { '*': true }, update: {}, delete: {}, addField: {} };
    h.ok(await h.rest('POST', '/schemas/Note', { body: { className: 'Note', fields: { text: { type: 'String' } }, classLevelPermissions: clp } }), 'create Note');
    const anonymous = { useMasterKey: false };
    const note = await Parse.Cloud.run('addNote', { text: 'first' }, anonymous);
    assert.ok(note.objectId && note.createdAt, JSON.stringify(note));
    await h.expectParseError(Parse.Cloud.run('countNotes', {}, anonymous), 101, 'anonymous count (Parse: 101, user needs to be authenticated)');
    await h.expectParseError(Parse.Cloud.run('getNote', { id: note.objectId }, anonymous), 101, 'anonymous get');

    const user = await Parse.User.signUp(`reader_${h.rand()}`, 'pw-12345678');
    const asUser = as(user);
    assert.equal(await Parse.Cloud.run('countNotes', {}, asUser), 1);
    assert.equal((await Parse.Cloud.run('getNote', { id: note.objectId }, asUser)).text, 'first');
    assert.equal(typeof (await Parse.Cloud.run('addNote', { text: 'second' }, asUser)).objectId, 'string');
    // The function may ask for master rights, which the app allows by default.
    assert.equal(await Parse.Cloud.run('countNotes', { master: true }, anonymous), 2);
  });

  test('master rights are refused when the app does not allow them', async () => {
    const other = await h.appWith({ functions: { allowMasterKey: false } }, 'e2e functions no master');
    await deploy(other, guest().bytes);
    const call = await h.rest('POST', '/functions/countNotes', { app: other, body: { master: true } });
    h.assertRestError(call, 400, 119, 'useMasterKey refused');
  });

  test("another app's objects are never seen", async () => {
    await new Parse.Object('Note').save({ text: 'this app' });
    const other = await h.createHearthApp('e2e functions other');
    h.ok(await h.rest('POST', '/classes/Note', { app: other, body: { text: 'other app' } }), 'create in the other app');
    const own = await h.countAll('Note');
    assert.ok(own >= 1);
    assert.equal(await Parse.Cloud.run('countNotes', { master: true }), own, 'the notes of this app only');
    // And the other app has no functions.
    h.assertRestError(await h.rest('POST', '/functions/hello', { app: other, body: {} }), 400, 141, 'the other app has no hello');
  });
}

/** The `Player` triggers every guest SDK's example implements: run inside a `describe` whose
 * `before` made the example's app with `exampleApp`. */
function playerTriggerTests() {
  test('beforeSave changes what is saved', async () => {
    const p = await new Parse.Object('Player').save({ name: '  ada ', score: 5000 });
    assert.equal(p.get('name'), 'Ada');
    assert.equal(p.get('score'), 1000);
    const fetched = await new Parse.Query('Player').get(p.id);
    assert.equal(fetched.get('name'), 'Ada');
    assert.equal(fetched.get('score'), 1000);
  });

  test('beforeSave refuses, and nothing is saved', async () => {
    const before = await new Parse.Query('Player').count();
    await h.expectParseError(new Parse.Object('Player').save({ name: '   ' }), 142, 'empty name');
    await h.expectParseError(new Parse.Object('Player').save({ score: 3 }), 142, 'no name');
    assert.equal(await new Parse.Query('Player').count(), before);
  });

  test('an increment the trigger leaves alone stays atomic', async () => {
    const p = await new Parse.Object('Player').save({ name: 'bo', score: 1 });
    await Promise.all([1, 2, 3, 4].map(() => {
      const o = new Parse.Object('Player');
      o.id = p.id;
      o.increment('score', 2);
      return o.save();
    }));
    assert.equal((await new Parse.Query('Player').get(p.id)).get('score'), 9);
  });

  test('afterSave and afterDelete run after the write', async () => {
    const p = await new Parse.Object('Player').save({ name: 'cy' });
    const logs = await new Parse.Query('PlayerLog').equalTo('player', p.id).find();
    assert.deepEqual(logs.map((l) => l.get('name')), ['Cy']);
    await p.destroy();
    assert.equal(await new Parse.Query('PlayerLog').equalTo('deleted', p.id).count(), 1);
  });

  test('beforeDelete refuses', async () => {
    const p = await new Parse.Object('Player').save({ name: 'dee', protected: true });
    await h.expectParseError(p.destroy(), 142, 'protected');
    assert.equal((await new Parse.Query('Player').get(p.id)).get('name'), 'Dee');
  });

  test('triggers run for saves in a batch too', async () => {
    const saved = await Parse.Object.saveAll([new Parse.Object('Player', { name: 'eve' }), new Parse.Object('Player', { name: 'fay' })]);
    assert.deepEqual(saved.map((p) => p.get('name')), ['Eve', 'Fay']);
  });
}

module.exports = { HEARTH_ONLY, SECRET, compileExample, buildRustExample, deploy, exampleApp, logLines, callTests, playerTriggerTests };
