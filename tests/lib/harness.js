'use strict';
// What every test file uses: the target's address (from run.js, through the environment), an app
// of the file's own (Hearth: created through the management API; Parse Server: the run's one
// app), the Parse SDK set up for it, a small REST client for status and error-code checks, the
// management API, unique class names so that no test can see another test's data, and a bounded
// wait for what the server does after answering. Users and sessions: lib/users.js.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const Parse = require('parse/node');
const { until } = require('./wait');

const TARGET = process.env.E2E_TARGET;
const BASE = process.env.E2E_BASE_URL;
if (!TARGET || !BASE) {
  throw new Error('The e2e test files need a running target: start them with `node run.js` (see tests/README.md)');
}
const isHearth = TARGET === 'hearth';
const isParseServer = TARGET === 'parse-server';
const PARSE_URL = `${BASE}/parse`;

/** Random lower/upper-case letters and digits. */
function rand(n = 10) {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += chars[bytes[i] % chars.length];
  return s;
}

/** A class name no other test uses: `prefix_XXXXXXXX`. */
function cls(prefix = 'E2E') {
  return `${prefix}_${rand(8)}`;
}

/** `text` parsed as JSON, or undefined when it is empty or not JSON. */
function jsonOrUndefined(text) {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Management API (Hearth)

let adminToken;
async function adminLogin() {
  if (adminToken) return adminToken;
  const res = await fetch(`${BASE}/admin/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: process.env.E2E_ADMIN_EMAIL, password: process.env.E2E_ADMIN_PASSWORD }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `admin login answers 200 (got ${res.status}: ${text})`);
  adminToken = JSON.parse(text).token;
  assert.ok(adminToken, `admin login returns a token: ${text}`);
  return adminToken;
}

/**
 * Calls the management API as the instance's administrator. `path` is below /admin/v1 (e.g.
 * `/apps`). opts: body (JSON-encoded), raw (bytes sent as they are, with `contentType`), base
 * (another instance's address). Returns { status, body (parsed JSON, or undefined), text }.
 */
async function admin(method, path, opts = {}) {
  const headers = { Authorization: `Bearer ${await adminLogin()}` };
  let body;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${opts.base || BASE}/admin/v1${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: jsonOrUndefined(text), text };
}

/** The management API's path of `app` (its id encoded). */
const appPath = (app) => `/apps/${encodeURIComponent(app.applicationId)}`;

/** Creates a new app on Hearth; returns {applicationId, keys: {masterKey, ...}}. */
async function createHearthApp(name = 'e2e') {
  const res = await admin('POST', '/apps', { body: { name } });
  assert.equal(res.status, 201, `creating an app answers 201 (got ${res.status}: ${res.text})`);
  const app = res.body;
  assert.ok(app.applicationId && app.keys && app.keys.masterKey && app.keys.javascriptKey, `the new app has an id and keys: ${res.text}`);
  return { applicationId: app.applicationId, keys: app.keys };
}

/** Replaces the settings of a Hearth app (fields left out take their defaults); `app` is the app
 * `setup` chose by default. */
async function updateHearthSettings(settings, app) {
  const res = await admin('PATCH', appPath(app || (await currentApp())), { body: { settings } });
  assert.equal(res.status, 200, `updating the app's settings answers 200 (got ${res.status}: ${res.text})`);
  return res.body.settings;
}

/** A new Hearth app with `settings`. */
async function appWith(settings, name) {
  const app = await createHearthApp(name);
  await updateHearthSettings(settings, app);
  return app;
}

// ---------------------------------------------------------------------------------------------
// The file's app and the SDK

let appPromise;
/** The app of this test file (created on first use). */
function getApp() {
  if (!appPromise) {
    appPromise = isHearth ? createHearthApp(`e2e ${process.argv[1] ? require('node:path').basename(process.argv[1]) : ''}`.trim()) : Promise.resolve(JSON.parse(process.env.E2E_APP));
  }
  return appPromise;
}

let current;
/** The app the SDK was last set up for (`setup`), else this file's app: what `rest` and
 * `updateHearthSettings` use when no app is given. */
function currentApp() {
  return current || getApp();
}

/** Sets the Parse SDK up for `app` (by default this file's app) and makes it the app `rest` and
 * `updateHearthSettings` use by default, with the master key used by default (as a Node back end
 * would; both Parse Server 9 and Hearth refuse class creation to clients by default). Tests that
 * need the client's view use `{ useMasterKey: false }` or `rest(..., { key: 'js' })`. A file whose
 * suites each have an app of their own (the cloud function examples) calls it in each suite's
 * `before`: the suites of a file run one after the other. */
async function setup(app) {
  app = app || (await getApp());
  current = app;
  Parse.initialize(app.applicationId, app.keys.javascriptKey, app.keys.masterKey);
  Parse.serverURL = PARSE_URL;
  Parse.CoreManager.set('USE_MASTER_KEY', true);
  // The SDK retries 5xx answers with back-off; a 500 is a bug here, so fail at once.
  Parse.CoreManager.set('REQUEST_ATTEMPT_LIMIT', 1);
  return app;
}

// ---------------------------------------------------------------------------------------------
// REST

const KEY_HEADERS = {
  master: ['X-Parse-Master-Key', 'masterKey'],
  readOnlyMaster: ['X-Parse-Master-Key', 'readOnlyMasterKey'],
  rest: ['X-Parse-REST-API-Key', 'restApiKey'],
  js: ['X-Parse-JavaScript-Key', 'javascriptKey'],
  client: ['X-Parse-Client-Key', 'clientKey'],
};

/** Encodes a query string the way the REST guide does: objects and arrays as JSON. */
function qs(params) {
  if (!params) return '';
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The Parse headers of `app` for `key` ('master', 'readOnlyMaster', 'rest', 'js', 'client' or
 * 'none'), with a session token when given. */
function keyHeaders(app, key = 'master', sessionToken) {
  const headers = { 'X-Parse-Application-Id': app.applicationId };
  if (key !== 'none') {
    const [header, field] = KEY_HEADERS[key];
    headers[header] = app.keys[field];
  }
  if (sessionToken) headers['X-Parse-Session-Token'] = sessionToken;
  return headers;
}

/**
 * One HTTP request on a connection of its own (no keep-alive: Parse Server closes the connection
 * after some 403 answers, which makes a reused connection fail at random). `body` a Buffer or
 * string; `chunked` sends it in pieces of 64 KiB without a Content-Length. Resolves to { status,
 * headers (Node's object: lower-case names), bytes, text, body (parsed JSON or undefined) }, the
 * shape `assertRestError` reads.
 */
function send(method, url, { headers = {}, body, chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const hdrs = { ...headers, Connection: 'close' };
    const payload = body === undefined ? undefined : Buffer.from(body);
    if (payload && !chunked) hdrs['Content-Length'] = String(payload.length);
    const req = http.request({ method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers: hdrs, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, bytes, text, body: jsonOrUndefined(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload && chunked) {
      // Written as the socket takes them.
      (async () => {
        for (let i = 0; i < payload.length; i += 64 * 1024) {
          if (!req.write(payload.subarray(i, i + 64 * 1024))) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(reject);
    } else {
      if (payload) req.write(payload);
      req.end();
    }
  });
}

/**
 * Calls the Parse REST API. `path` is below /parse (e.g. `/classes/Foo`).
 * opts: body (JSON-encoded unless `raw` is given), raw (a string body sent as is), query (object
 * for qs), key ('master' default, 'readOnlyMaster', 'rest', 'js', 'client', 'none'), app (another
 * {applicationId, keys}; by default the one `setup` chose), headers (extra).
 * Returns { status, body, text, headers (a Headers) }; body is the parsed JSON (or undefined).
 */
async function rest(method, path, opts = {}) {
  const app = opts.app || (await currentApp());
  const headers = { ...keyHeaders(app, opts.key), ...(opts.headers || {}) };
  let body;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await send(method, `${PARSE_URL}${path}${qs(opts.query)}`, { headers, body });
  const out = new Headers();
  for (const [k, v] of Object.entries(res.headers)) out.set(k, Array.isArray(v) ? v.join(', ') : String(v));
  return { status: res.status, body: res.body, text: res.text, headers: out };
}

/** Asserts a Parse error answer: HTTP status, {"code": code, "error": "<string>"}. */
function assertRestError(res, status, code, what) {
  const label = what ? `${what}: ` : '';
  assert.ok(res.status < 500, `${label}never a 5xx (got ${res.status}: ${res.text})`);
  assert.equal(res.status, status, `${label}HTTP status ${status} (got ${res.status}: ${res.text})`);
  assert.ok(res.body && typeof res.body === 'object', `${label}a JSON error body (got ${res.text})`);
  assert.equal(res.body.code, code, `${label}Parse error code ${code} (got ${res.text})`);
  assert.equal(typeof res.body.error, 'string', `${label}"error" is a message string (got ${res.text})`);
}

/** Asserts a 2xx answer and returns its body. */
function ok(res, what) {
  assert.ok(res.status >= 200 && res.status < 300, `${what ? `${what}: ` : ''}expected 2xx, got ${res.status}: ${res.text}`);
  return res.body;
}

/** Awaits `promise` and asserts it fails with a Parse.Error of `code`; returns the error. */
async function expectParseError(promise, code, what) {
  let result;
  try {
    result = await promise;
  } catch (e) {
    assert.ok(e instanceof Parse.Error || typeof e.code === 'number', `${what || 'call'} fails with a Parse.Error (got ${e && e.stack})`);
    assert.equal(e.code, code, `${what || 'call'} fails with Parse error code ${code} (got ${e.code}: ${e.message})`);
    return e;
  }
  assert.fail(`${what || 'call'} should fail with Parse error ${code}, but succeeded with ${JSON.stringify(result)}`);
}

/** Saves `n` objects of `className` built by `make(i)` (attributes), with saveAll; returns them. */
async function seed(className, rows) {
  const objs = rows.map((attrs) => {
    const o = new Parse.Object(className);
    o.set(attrs);
    return o;
  });
  await Parse.Object.saveAll(objs);
  return objs;
}

/** How many objects `className` holds, counted by fetching them (up to 1000). Parse Server on
 * PostgreSQL answers an unconstrained count() with the planner's row estimate, so tests that need
 * an exact total of a whole class use this. */
async function countAll(className, options) {
  const found = await new Parse.Query(className).limit(1000).find(options);
  return found.length;
}

// ---------------------------------------------------------------------------------------------
// File storage (what the target keeps on disk or in its bucket)

/** Where the target keeps files: `local` (a folder, E2E_FILES_DIR) or `s3` (a bucket, E2E_S3). */
const FILES = process.env.E2E_FILES || 'local';

/** What the file storage holds now: paths below the files folder (local disk), or the keys of
 * the bucket and, prefixed with `(upload) `, of its multipart uploads in progress (S3). */
async function storedFiles() {
  if (FILES === 's3') {
    const s3 = JSON.parse(process.env.E2E_S3);
    const seaweedfs = require('./seaweedfs');
    const uploads = await seaweedfs.listUploads(s3);
    return [...(await seaweedfs.listKeys(s3)), ...uploads.map((k) => `(upload) ${k}`)];
  }
  const fs = require('node:fs');
  const path = require('node:path');
  const root = process.env.E2E_FILES_DIR;
  if (!root || !fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true }).filter((p) => {
    try {
      return fs.statSync(path.join(root, p)).isFile();
    } catch {
      return false; // gone since the listing (a temporary file renamed)
    }
  });
}

/** Sorted values of `key` in `objs` (Parse.Objects). */
function values(objs, key) {
  return objs.map((o) => o.get(key)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

module.exports = {
  Parse,
  TARGET,
  BASE,
  PARSE_URL,
  isHearth,
  isParseServer,
  FILES,
  storedFiles,
  rand,
  cls,
  getApp,
  currentApp,
  adminLogin,
  admin,
  appPath,
  createHearthApp,
  updateHearthSettings,
  appWith,
  setup,
  keyHeaders,
  send,
  rest,
  qs,
  until,
  ok,
  assertRestError,
  expectParseError,
  seed,
  countAll,
  values,
};
