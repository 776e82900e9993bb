'use strict';
// Deployments seen from an app's clients (the official Parse JS SDK): a new version replaces the
// functions at once, a roll back to an earlier version brings them back, and deleting the active
// version leaves the app without functions. Hearth only.

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { compileExample, deploy } = require('../lib/functions');
const { Parse } = h;

const skip = h.isHearth ? false : 'WebAssembly cloud functions are Hearth\'s (Parse Server runs JavaScript cloud code)';

async function admin(method, url) {
  const res = await fetch(`${h.BASE}/admin/v1${url}`, { method, headers: { Authorization: `Bearer ${await h.adminLogin()}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

let app;
let demo;
let triggers;
before(async () => {
  if (!h.isHearth) return;
  demo = compileExample('demo');
  triggers = compileExample('triggers');
  app = await h.setup();
});

describe('deployments', { skip }, () => {
  test('a new version replaces the functions; a roll back brings them back', async () => {
    const base = `/apps/${encodeURIComponent(app.applicationId)}/functions`;
    const v1 = await deploy(app, demo);
    assert.equal(await Parse.Cloud.run('hello', { name: 'Ada' }), 'Hello, Ada!');
    const v2 = await deploy(app, triggers);
    assert.equal(v2.version, v1.version + 1);
    await h.expectParseError(Parse.Cloud.run('hello', { name: 'Ada' }), 141, 'a function the new version lacks');

    const back = await admin('POST', `${base}/${v1.version}/activate`);
    assert.equal(back.status, 204, back.text);
    assert.equal(await Parse.Cloud.run('hello', { name: 'Bo' }), 'Hello, Bo!');
    const list = await admin('GET', base);
    assert.deepEqual(list.body.map((d) => [d.version, d.active]), [[v2.version, false], [v1.version, true]]);

    const gone = await admin('DELETE', `${base}/${v1.version}`);
    assert.equal(gone.status, 204, gone.text);
    await h.expectParseError(Parse.Cloud.run('hello', {}), 141, 'no active deployment');
    const missing = await admin('POST', `${base}/999/activate`);
    assert.equal(missing.status, 404, missing.text);
  });
});
