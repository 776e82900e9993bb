'use strict';
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;
before(() => h.setup());
test('save and get', async () => {
  const o = new Parse.Object(h.cls('Smoke'));
  o.set('a', 1);
  await o.save();
  const r = await h.rest('GET', `/classes/${o.className}/${o.id}`);
  console.log(JSON.stringify(r.body));
  assert.equal(r.body.a, 1);
});
test('fails', () => { assert.equal(1, 2, 'one is two'); });
