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

module.exports = { compileExample, deploy };
