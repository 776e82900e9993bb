'use strict';
// The Kotlin SDKs generated from the awkward fixture (keywords, case twins, `_` names, system
// classes, dangling pointers, clashes with core types) and the 300-field one compile with Debian's
// kotlinc and load: a data class of 300 fields would compile but fail to load, so the program
// uses the wide model. The packages are the committed snapshots (the generator's output, checked
// by sdk/generator/tests/snapshots.rs) plus the runtime they copy; no server is needed.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test, after } = require('node:test');
const kt = require('../lib/sdk-kotlin');

const GENERATOR = path.join(__dirname, '..', '..', 'sdk', 'generator');
const missing = kt.missingTools();
const SLOW = { timeout: 5 * 60 * 1000 };

describe('the Kotlin SDKs of the awkward and 300-field fixtures', { skip: missing || false }, () => {
  const dir = kt.tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('compile, load and work', SLOW, async () => {
    const sources = [
      ...kt.kotlinSources(path.join(GENERATOR, 'runtime', 'kotlin')),
      ...kt.kotlinSources(path.join(GENERATOR, 'tests', 'snapshots', 'awkward', 'kotlin')),
      ...kt.kotlinSources(path.join(GENERATOR, 'tests', 'snapshots', 'wide300', 'kotlin')),
      path.join(__dirname, '..', 'lib', 'sdk-kotlin', 'FixturesMain.kt'),
    ];
    const jar = await kt.compile(sources, path.join(dir, 'fixtures.jar'));
    const { out, status, stdout, stderr } = await kt.runJar(jar);
    const why = `program output:\n${stdout}\n${stderr.slice(0, 4000)}`;
    assert.equal(status, 0, why);
    assert.equal(out.WIDE_FIELDS, '301', why); // 300 fields and the pointer
    assert.match(out.WIDE_BODY, /"f000":"first","f001":1.5,"f002":true,/, why);
    assert.match(out.WIDE_BODY, /"p300":\{"__type":"Pointer","className":"_User","objectId":"u1"\}/, why);
    assert.equal(out.WIDE_READ, 'x 2.0 u2', why);
    assert.equal(out.WIDE_QUERY, '{"where":{"f001":{"$gt":1}}}', why);
    assert.equal(out.KEYWORDS, '{"String":"string field","_private":"private","class":"class","in":"in","is":"is"}', why);
    assert.equal(out.CLASS_MODEL, 'class in String', why);
    assert.equal(out.TWINS, 'Item,item,ITEM', why);
    assert.equal(out.QUERY, '{"where":{"in":"x"}}', why);
    assert.equal(out.PARAMS, '{"default":2,"in":"x"}', why);
    assert.equal(out.DECODED, 'true', why);
    assert.equal(out.JSON_STRING, 'true', why);
    assert.equal(out.JSON_NUMBERS, '[1,-0.5,1000,12345678901234,true,null,{},[]]', why);
    assert.equal(out.JSON_UNICODE, 'true', why);
    assert.ok(!stdout.includes('JSON_BAD=parsed'), why);
    assert.equal(stdout.split('\n').filter((l) => l === 'JSON_BAD=107').length, 13, why);
    assert.equal(out.JSON_BIG, '[1.5,123456789012345678901234]', why);
    assert.equal(out.JSON_LONE_SURROGATE, '"a\\ud83d" true', why);
    assert.equal(out.DATE_MICROS, '2020-01-02T03:04:05.123Z', why);
    assert.equal(out.BASE64, '{"__type":"Bytes","base64":"AQID+g=="}', why);
    assert.equal(out.BASE64_ROUNDTRIP, 'true', why);
    // The runtime against a scripted server (FixturesMain.kt's scripted()).
    assert.equal(out.LATE_209, 'B null', why);
    assert.equal(out.BECOME_REFUSED, '209 C bad', why);
    assert.equal(out.BECOME_OK, 'u9 good good', why);
    assert.equal(out.LOGOUT_209, 'null {} false', why);
    assert.equal(out.RETRIES, '1 1 3 1', why);
    assert.equal(out.RETRY_AFTER, '2000 10000 1 2 true', why);
    assert.equal(out.OPS, '{"a":{"__op":"Increment","amount":3},"b":11,"c":{"__op":"Add","objects":[1,2]},"d":[],"e":4}', why);
    assert.equal(out.OPS_IN_FLIGHT, '{"a":{"__op":"Increment","amount":10}} {"a":{"__op":"Increment","amount":15}}', why);
    assert.equal(out.LONG_QUERY, 'POST /classes/X GET', why);
    assert.equal(out.BROKEN_CACHE, '0', why);
    assert.equal(out.LIVE_ERRORS, '2 true true false false true [s1 209, s2 1] refused', why);
  });
});
