'use strict';
// Generated client SDKs in end-to-end tests: an app's SDK downloaded as a zip from the management
// API (`GET /admin/v1/apps/{id}/sdk/{lang}`) and unpacked with the system's `unzip`, a TypeScript
// package type-checked and built with the `tsc` of tests/node_modules (TypeScript 7, the
// dashboard's version), and the classes of "every field type" the SDK tests share.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const h = require('./harness');

const TSC = path.join(__dirname, '..', 'node_modules', '.bin', 'tsc');

/** A new empty directory under the system's temporary one. */
function tempDir(prefix = 'hearth-sdk-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Downloads the SDK of `appId` (an application id, or an app from the harness) for `lang`
 * (`ts`, `kotlin`, `swift`, `dart`) and unpacks it into `dir` (a new temporary directory when left
 * out); answers the package's root, `<dir>/<app-id>-<lang>-sdk`. */
async function getSdk(appId, lang, dir = tempDir()) {
  const id = typeof appId === 'string' ? appId : appId.applicationId;
  const res = await fetch(`${h.BASE}/admin/v1/apps/${encodeURIComponent(id)}/sdk/${lang}`, { headers: { Authorization: `Bearer ${await h.adminLogin()}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `the SDK download answers 200 (got ${res.status}: ${bytes.toString('utf8', 0, 500)})`);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  const folder = `${id}-${lang}-sdk`;
  assert.equal(res.headers.get('content-disposition'), `attachment; filename="${folder}.zip"`);
  const zip = path.join(dir, `${folder}.zip`);
  fs.writeFileSync(zip, bytes);
  const unzip = spawnSync('unzip', ['-q', '-o', zip, '-d', dir], { encoding: 'utf8' });
  assert.equal(unzip.status, 0, `unzip ${zip}: ${unzip.stderr}${unzip.error || ''}`);
  const root = path.join(dir, folder);
  assert.ok(fs.existsSync(root), `the zip holds the folder ${folder}`);
  return root;
}

/** Runs the tests' `tsc` (TypeScript 7) with `args`; resolves to { status, output }. It runs
 * beside the test process, never blocking it (a blocked process misses the server closing an idle
 * connection, and its next request on it fails). */
function tsc(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(TSC, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5 * 60 * 1000 });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Type-checks the TypeScript package at `dir` under `--strict` without writing anything;
 * resolves to { ok, output } (the compiler's messages). */
async function typecheck(dir) {
  const { status, output } = await tsc(['-p', path.join(dir, 'tsconfig.json'), '--strict', '--noEmit']);
  return { ok: status === 0, output };
}

/** Type-checks the package at `dir` with one more source file, `src/<name>.ts` holding `source`
 * (code using the SDK, as an app would), removed afterwards; resolves to { ok, output }. */
async function typecheckWith(dir, name, source) {
  const file = path.join(dir, 'src', `${name}.ts`);
  fs.writeFileSync(file, source);
  try {
    return await typecheck(dir);
  } finally {
    fs.rmSync(file);
  }
}

/** Compiles the TypeScript package at `dir` to `dir/dist` (failing the test on any error);
 * resolves to the path of its compiled entry point, to `import()`. */
async function buildTs(dir) {
  const { status, output } = await tsc(['-p', path.join(dir, 'tsconfig.json'), '--strict']);
  assert.equal(status, 0, `the SDK compiles:\n${output}`);
  return path.join(dir, 'dist', 'index.js');
}

/** Every Parse field type, as a class `Player` (with pointers to `_User` and `Team`) and `Team`. */
const EVERY_TYPE = {
  Team: { name: { type: 'String' } },
  Player: {
    name: { type: 'String', required: true },
    score: { type: 'Number', defaultValue: 0 },
    active: { type: 'Boolean' },
    birthday: { type: 'Date' },
    meta: { type: 'Object' },
    tags: { type: 'Array' },
    owner: { type: 'Pointer', targetClass: '_User' },
    team: { type: 'Pointer', targetClass: 'Team' },
    fans: { type: 'Relation', targetClass: '_User' },
    location: { type: 'GeoPoint' },
    area: { type: 'Polygon' },
    raw: { type: 'Bytes' },
    avatar: { type: 'File' },
  },
};

/** Creates `classes` ({className: fields}, in order) in `app` through the REST schema API. */
async function createClasses(app, classes = EVERY_TYPE) {
  for (const [className, fields] of Object.entries(classes)) {
    const res = await h.rest('POST', `/schemas/${className}`, { app, body: { className, fields } });
    assert.equal(res.status, 200, `creating class ${className} answers 200: ${res.text}`);
  }
}

module.exports = { TSC, tempDir, getSdk, tsc, typecheck, typecheckWith, buildTs, EVERY_TYPE, createClasses };
