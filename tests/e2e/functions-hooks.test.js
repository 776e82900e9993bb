'use strict';
// Webhooks (Parse's Hooks API) with the official Parse JS SDK: Parse.Hooks registers endpoints of
// a local HTTP receiver as functions and triggers; Parse.Cloud.run and saves reach them with
// Parse's webhook request and the app's webhook key, and their answers count as Parse counts them.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const h = require('../lib/harness');
const { as } = require('../lib/users');
const { Parse } = h;

const skip = h.isHearth ? false : 'the Hearth-side settings (httpAllow, webhookKey) are Hearth\'s';
const KEY = 'hook-secret-1';

/** A receiver answering by path; it keeps what it received. */
function receiver() {
  const seen = [];
  const handlers = {
    '/fn/greet': (body) => ({ success: `hi ${body.params.name}` }),
    '/fn/greet2': (body) => ({ success: `hello ${body.params.name}` }),
    '/fn/refuse': () => ({ error: 'webhook says no' }),
    '/fn/refuse-coded': () => ({ code: 142, error: 'bad params, says the webhook' }),
    '/fn/garbage': () => 'this is not JSON',
    '/fn/huge': () => ({ success: 'x'.repeat(100000) }),
    '/trigger/beforeSave': (body) => (body.object.name === 'bad' ? { error: 'no bad names' } : { success: { name: body.object.name.toUpperCase() } }),
    '/trigger/afterSave': () => ({ success: true }),
  };
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data || '{}');
      seen.push({ path: req.url, headers: req.headers, body });
      if (req.url === '/fn/slow') return; // never answers; Hearth gives up at its time limit
      const answer = handlers[req.url] ? handlers[req.url](body) : { error: `no handler for ${req.url}` };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, seen, url: (p) => `http://127.0.0.1:${server.address().port}${p}` })));
}

let hook;
before(async () => {
  if (!h.isHearth) return;
  hook = await receiver();
  await h.setup();
  await h.updateHearthSettings({ functions: { httpAllow: ['127.0.0.1'], webhookKey: KEY, timeoutMs: 1500, maxResponseBytes: 65536 } });
});
after(() => {
  if (hook) {
    hook.server.closeAllConnections();
    hook.server.close();
  }
});

describe('function webhooks', { skip }, () => {
  test('a registered function answers Parse.Cloud.run, with Parse\'s request and the key', async () => {
    assert.deepEqual(await Parse.Hooks.createFunction('greet', hook.url('/fn/greet')), { functionName: 'greet', url: hook.url('/fn/greet') });
    const user = await Parse.User.signUp(`hook_${h.rand()}`, 'pw-12345678', { city: 'Lyon' });
    assert.equal(await Parse.Cloud.run('greet', { name: 'Ada' }, as(user)), 'hi Ada');
    const call = hook.seen.filter((s) => s.path === '/fn/greet').pop();
    assert.equal(call.headers['x-parse-webhook-key'], KEY);
    assert.equal(call.headers['content-type'], 'application/json');
    assert.equal(call.body.functionName, 'greet');
    assert.deepEqual(call.body.params, { name: 'Ada' });
    assert.equal(call.body.master, false);
    // The whole user, as Parse sends it, but without its password or session token.
    assert.equal(call.body.user.objectId, user.id);
    assert.equal(call.body.user.username, user.getUsername());
    assert.equal(call.body.user.city, 'Lyon');
    assert.equal(call.body.user.createdAt, user.createdAt.toISOString());
    assert.ok(!JSON.stringify(call.body).includes(user.getSessionToken()), 'no session token in the webhook request');
    assert.ok(!JSON.stringify(call.body).includes('pw-12345678') && !('password' in call.body.user), 'no password');
  });

  test('hooks are listed, read, changed and removed', async () => {
    await Parse.Hooks.createFunction('greeting', hook.url('/fn/greet'));
    assert.deepEqual(await Parse.Hooks.getFunction('greeting'), { functionName: 'greeting', url: hook.url('/fn/greet') });
    assert.ok((await Parse.Hooks.getFunctions()).some((f) => f.functionName === 'greeting'));
    await Parse.Hooks.updateFunction('greeting', hook.url('/fn/greet2'));
    assert.equal(await Parse.Cloud.run('greeting', { name: 'Bo' }), 'hello Bo');
    await Parse.Hooks.removeFunction('greeting');
    await h.expectParseError(Parse.Cloud.run('greeting', {}), 141, 'a removed webhook');
    await h.expectParseError(Parse.Hooks.getFunction('greeting'), 143, 'reading a removed hook');
  });

  test('errors: the webhook\'s message (141 or its code), bad answers, time limit', async () => {
    await Parse.Hooks.createFunction('refuse', hook.url('/fn/refuse'));
    await Parse.Hooks.createFunction('refuseCoded', hook.url('/fn/refuse-coded'));
    await Parse.Hooks.createFunction('garbage', hook.url('/fn/garbage'));
    await Parse.Hooks.createFunction('slow', hook.url('/fn/slow'));
    await Parse.Hooks.createFunction('huge', hook.url('/fn/huge'));
    const huge = await Parse.Cloud.run('huge').then(() => null, (e) => e);
    assert.deepEqual([huge.code, huge.message], [141, "the webhook's answer is too large"]);
    const refused = await Parse.Cloud.run('refuse').then(() => null, (e) => e);
    assert.deepEqual([refused.code, refused.message], [141, 'webhook says no']);
    await h.expectParseError(Parse.Cloud.run('refuseCoded'), 142, 'a coded error');
    await h.expectParseError(Parse.Cloud.run('garbage'), 141, 'a malformed answer');
    const slow = await Parse.Cloud.run('slow').then(() => null, (e) => e);
    assert.equal(slow.code, 141);
    assert.match(slow.message, /did not answer in time/);
  });

  test('bad registrations are refused with 143', async () => {
    await Parse.Hooks.createFunction('dup', hook.url('/fn/greet'));
    await h.expectParseError(Parse.Hooks.createFunction('dup', hook.url('/fn/greet')), 143, 'a second registration');
    await h.expectParseError(Parse.Hooks.createFunction('plain', 'http://example.com/hook'), 143, 'http to a host not allowed');
    await h.expectParseError(Parse.Hooks.createFunction('ftp', 'ftp://example.com/hook'), 143, 'not http(s)');
    await h.expectParseError(Parse.Hooks.updateFunction('never', hook.url('/fn/greet')), 143, 'changing what is not there');
    await h.expectParseError(Parse.Hooks.createTrigger('Hooked', 'beforeNothing', hook.url('/x')), 143, 'an unknown trigger');
    await h.expectParseError(Parse.Hooks.createTrigger('Hooked', 'beforeLogin', hook.url('/x')), 143, 'a login trigger on another class than _User');
    // Parse's spelling of file triggers: beforeSave on @File.
    await Parse.Hooks.createTrigger('@File', 'beforeSave', hook.url('/trigger/file'));
    assert.ok((await Parse.Hooks.getTriggers()).some((t) => t.className === '@File' && t.triggerName === 'beforeSaveFile'));
    await Parse.Hooks.removeTrigger('@File', 'beforeSaveFile');
    const res = await h.rest('POST', '/hooks/functions', { key: 'rest', body: { functionName: 'x', url: hook.url('/fn/greet') } });
    h.assertRestError(res, 403, 119, 'the REST key');
  });
});

describe('trigger webhooks', { skip }, () => {
  test('beforeSave changes and refuses saves; afterSave sees the saved object', async () => {
    const cls = h.cls('Hooked');
    await Parse.Hooks.createTrigger(cls, 'beforeSave', hook.url('/trigger/beforeSave'));
    await Parse.Hooks.createTrigger(cls, 'afterSave', hook.url('/trigger/afterSave'));
    assert.ok((await Parse.Hooks.getTriggers()).some((t) => t.className === cls && t.triggerName === 'afterSave'));
    const saved = await new Parse.Object(cls).save({ name: 'ada', score: 3 });
    const stored = await new Parse.Query(cls).get(saved.id);
    assert.equal(stored.get('name'), 'ADA');
    assert.equal(stored.get('score'), 3, 'keys the webhook did not answer stay as saved');
    const before = hook.seen.filter((s) => s.path === '/trigger/beforeSave').pop();
    assert.equal(before.body.triggerName, 'beforeSave');
    assert.equal(before.body.object.className, cls);
    const afterCall = hook.seen.filter((s) => s.path === '/trigger/afterSave' && s.body.object.objectId === saved.id).pop();
    assert.equal(afterCall.body.object.name, 'ADA');
    await h.expectParseError(new Parse.Object(cls).save({ name: 'bad' }), 141, 'a refused save');
    assert.equal(await new Parse.Query(cls).equalTo('name', 'bad').count(), 0);
    await Parse.Hooks.removeTrigger(cls, 'beforeSave');
    const plain = await new Parse.Object(cls).save({ name: 'cy' });
    assert.equal((await new Parse.Query(cls).get(plain.id)).get('name'), 'cy');
  });
});
