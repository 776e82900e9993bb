'use strict';
// Cloud functions in end-to-end tests: an example of the AssemblyScript guest SDK compiled to
// WebAssembly, and deployed to an app through the management API.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const h = require('./harness');

const SDK = path.join(__dirname, '..', '..', 'sdk', 'functions', 'assemblyscript');

/** Compiles sdk/functions/assemblyscript/examples/NAME.ts; answers the module's bytes. The
 * compiler blocks this process for seconds: call it before the file's first request, since a
 * connection that `fetch` keeps idle meanwhile may be closed by the server under it (the closing
 * goes unseen while the process is blocked, and the next request on it fails). */
function compileExample(name) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-fn-')), `${name}.wasm`);
  execFileSync(path.join(SDK, 'node_modules', '.bin', 'asc'), [`examples/${name}.ts`, '-o', out, '-O3', '--runtime', 'stub'], { cwd: SDK, stdio: 'pipe' });
  return fs.readFileSync(out);
}

/** Deploys a module to an app; answers the deployment (201). */
async function deploy(app, bytes) {
  const res = await fetch(`${h.BASE}/admin/v1/apps/${encodeURIComponent(app.applicationId)}/functions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/wasm', Authorization: `Bearer ${await h.adminLogin()}` },
    body: bytes,
  });
  const text = await res.text();
  assert.equal(res.status, 201, `deploy answers 201: ${text}`);
  return JSON.parse(text);
}

/** The `Player` contract both guest SDKs' examples implement (demo.ts, the Rust example): run
 * inside a `describe`, with the example deployed to the SDK's app. */
function playerTriggerTests() {
  const { test } = require('node:test');
  const { Parse } = h;

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

module.exports = { compileExample, deploy, playerTriggerTests };
