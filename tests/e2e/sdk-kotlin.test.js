'use strict';
// The generated Kotlin SDK (acceptance: it compiles with Debian's kotlinc, language level 1.3, and
// a Kotlin program using it works against a live Hearth). One app with a class of every field
// type and the typed-functions example deployed; its SDK comes from the management API, is
// compiled with tests/lib/sdk-kotlin/LiveMain.kt and run. The awkward and 300-field fixtures:
// sdk-kotlin-fixtures.test.js.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const h = require('../lib/harness');
const { getSdk } = require('../lib/sdk');
const fn = require('../lib/functions');
const kt = require('../lib/sdk-kotlin');

const PROGRAMS = path.join(__dirname, '..', 'lib', 'sdk-kotlin');
const missing = kt.missingTools();
// kotlinc needs 15-40 s per compile on a busy machine.
const SLOW = { timeout: 5 * 60 * 1000 };

/** Creates `className` through the schema API with `fields` ({name: {type, targetClass?}}). */
async function createClass(app, className, fields) {
  const res = await h.rest('POST', `/schemas/${className}`, { app, body: { className, fields } });
  assert.equal(res.status, 200, `creating ${className}: ${res.text}`);
}

describe('the generated Kotlin SDK', { skip: !h.isHearth ? 'generated SDKs are Hearth\'s' : missing || false }, () => {
  let app;
  let wasm;
  const dir = kt.tempDir();

  before(async () => {
    wasm = fn.compileExample('typed');
    app = await h.appWith({ liveQuery: { classNames: ['Team'] } }, 'kotlin sdk');
    await createClass(app, 'Team', { name: { type: 'String' }, rank: { type: 'Number' } });
    await createClass(app, 'Player', {
      name: { type: 'String' },
      score: { type: 'Number' },
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
    });
    await fn.deploy(app, wasm);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('compiles with kotlinc and runs against the server: users, typed CRUD and queries, files, typed functions, batch, retries, offline cache, LiveQuery', SLOW, async () => {
    const pkg = await getSdk(app.applicationId, 'kotlin', dir);
    assert.ok(fs.existsSync(path.join(pkg, 'settings.gradle.kts')) && fs.existsSync(path.join(pkg, 'build.gradle.kts')), 'a Gradle layout');
    const sources = kt.kotlinSources(path.join(pkg, 'src'));
    // The app's package (from its application id) is the one of HearthApp.kt.
    const appFile = sources.find((f) => path.basename(f) === 'HearthApp.kt');
    const appPackage = /^package (\S+)$/m.exec(fs.readFileSync(appFile, 'utf8'))[1];
    const main = path.join(dir, 'LiveMain.kt');
    fs.writeFileSync(main, fs.readFileSync(path.join(PROGRAMS, 'LiveMain.kt'), 'utf8').replace('import APP_PACKAGE.*', `import ${appPackage}.*`));
    const jar = await kt.compile([...sources, main], path.join(dir, 'live.jar'));
    const suffix = h.rand(8);
    const { out, status, stdout, stderr } = await kt.runJar(jar, [h.PARSE_URL, app.keys.clientKey, suffix]);
    const why = `program output:\n${stdout}\n${stderr.slice(0, 4000)}`;
    assert.equal(status, 0, why);
    const expected = {
      APP: app.applicationId,
      SIGNUP: 'true',
      NO_PASSWORD: 'true',
      LOGGED_OUT: 'true',
      LOGIN: 'true',
      BAD_LOGIN: '101',
      USER_SAVED: 'true',
      PASSWORD_CHANGED: 'true',
      FILE: 'hello from kotlin',
      DOWNLOAD: 'hello from kotlin',
      UPLOAD_ONCE: '100 true 1',
      SAVED: 'true',
      SCORE: '50.0',
      TAGS: '[a, b, c]',
      INCREMENTS: '53.0 50.0 50.0 50.0',
      ARRAY_OPS: '[a, b, c]',
      QUERY: '1',
      INCLUDED_TEAM: 'true',
      DATE: 'true',
      GEO: 'true',
      BYTES: 'true',
      META: '{ok=true}',
      AVATAR: 'true',
      OWNER: 'true',
      ACL: 'true',
      COUNT: '1',
      NONE: '0',
      OR: '1',
      ORDER: '1',
      RELATION: 'true',
      FUNCTION: 'true',
      HELLO: 'Hello Kotlin',
      NOT_FOUND: '101',
      BATCH_SAVED: '3',
      BATCH_DELETED: '0',
      RETRY_ATTEMPTS: '2',
      RETRY_SAME_ID: 'true',
      RETRY_OBJECTS: '1',
      CACHE_NETWORK: '1',
      CACHE_FRESH: 'true',
      CACHE_ELSE_NETWORK: '1',
      CACHE_EXPIRED: 'true',
      CACHE_STALE: `[Red ${suffix}]`,
      NETWORK_DOWN: '100 true',
      CACHE_THEN_NETWORK: '1 1',
      CACHE_CLEARED: 'true true',
      ASYNC: 'true',
      SUBSCRIBED: 'true',
      LIVE: `CREATE Live ${suffix}`,
      LIVE_KEYS: 'true null',
      LIVE_REFUSED: '119 false 119 true',
      LIVE_CLOSED: 'refused',
      DONE: 'true',
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(out[key], value, `${key}; ${why}`);
    // What the program wrote is on the server.
    const players = h.ok(await h.rest('GET', '/classes/Player', { app }));
    assert.equal(players.results.length, 1);
    const p = players.results[0];
    assert.equal(p.score, 50);
    assert.deepEqual(p.birthday, { __type: 'Date', iso: '2000-01-01T00:00:00.123Z' });
    assert.deepEqual(p.location, { __type: 'GeoPoint', latitude: 48.85, longitude: 2.35 });
    assert.equal(p.raw.__type, 'Bytes');
    assert.equal(Buffer.from(p.raw.base64, 'base64').toString('hex'), '010203fa');
    assert.equal(p.avatar.__type, 'File');
  });
});
