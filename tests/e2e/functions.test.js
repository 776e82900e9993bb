'use strict';
// Calling cloud functions with the official Parse JS SDK (Parse.Cloud.run): params and results,
// Parse errors, the caller, nested calls, config and secrets, outbound HTTP, data calls with the
// caller's rights, master rights, other apps, the function log. Each guest SDK's example is
// deployed to an app of its own and passes the same tests (lib/functions.js `callTests`): the
// AssemblyScript one (sdk/functions/assemblyscript/examples/demo.ts) and the Rust one
// (sdk/functions/rust/example), which also shows what only Rust has (panics, typed parameters).
// Deployments: functions-deploy.test.js; triggers: functions-triggers.test.js; jobs:
// functions-jobs.test.js; webhooks: functions-hooks.test.js. Hearth only (Parse Server runs
// JavaScript cloud code, not WebAssembly modules).

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { HEARTH_ONLY, compileExample, buildRustExample, exampleApp, logLines, callTests } = require('../lib/functions');
const { Parse } = h;

// Built before the first request (see compileExample).
const demo = h.isHearth ? compileExample('demo') : null;
const rust = h.isHearth ? buildRustExample() : { skip: HEARTH_ONLY };

describe('the AssemblyScript example', { skip: !h.isHearth && HEARTH_ONLY }, () => {
  let app;
  before(async () => {
    ({ app } = await exampleApp('e2e functions assemblyscript', demo));
  });
  callTests(() => ({ app, bytes: demo, noUser: '' }));
});

describe('the Rust example', { skip: rust.skip || false }, () => {
  let app;
  before(async () => {
    ({ app } = await exampleApp('e2e functions rust', rust.bytes));
  });
  callTests(() => ({ app, bytes: rust.bytes, noUser: null }));

  test('an Err keeps its Parse code and message; a parameter of the wrong type is 142', async () => {
    const coded = await h.expectParseError(Parse.Cloud.run('failWithCode'), 119, 'failWithCode');
    assert.equal(coded.message, 'not today');
    const typed = await h.expectParseError(Parse.Cloud.run('hello', { name: 7 }), 142, 'a number for a string');
    assert.match(typed.message, /^invalid parameter name: invalid type: integer `7`, expected a string/);
  });

  test('a panic is a 141 error with its message and place, in the function log, and the next call is fine', async () => {
    const err = await h.expectParseError(Parse.Cloud.run('panic', { a: 1, b: 2 }), 141, 'a panic');
    assert.match(err.message, /panic: asked to panic with 2 \(.*src\/lib\.rs:\d+:\d+\)/);
    assert.equal(await Parse.Cloud.run('hello', { name: 'again' }), 'Hello, again!');
    const panics = await logLines(app, /asked to panic/);
    assert.equal(panics[0].level, 'error');
  });
});
