'use strict';
// REST-level error codes and statuses (101, 102, 103, 105, 107, 111, 119, 137), and injection
// attempts in class names, field names, values, regexes, order, keys: each gets a Parse error or
// an exact answer, never a 5xx, and the data stays as it was.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const enc = encodeURIComponent;

/** A class with two known objects; returns { className, ids }. */
async function target() {
  const className = h.cls('Target');
  const [a, b] = await h.seed(className, [
    { name: 'alpha', n: 1, o: { k: 'v' }, tags: ['x'] },
    { name: 'beta', n: 2, o: { k: 'w' }, tags: ['y'] },
  ]);
  return { className, ids: [a.id, b.id].sort() };
}

/** Asserts that the class still holds exactly its two objects, unchanged. */
async function assertIntact(t) {
  const res = await h.rest('GET', `/classes/${t.className}`, { query: { order: 'name', limit: 10 } });
  assert.equal(res.status, 200, `the target class can still be read: ${res.text}`);
  assert.deepEqual(
    res.body.results.map((r) => [r.name, r.n, r.o, r.tags]),
    [
      ['alpha', 1, { k: 'v' }, ['x']],
      ['beta', 2, { k: 'w' }, ['y']],
    ],
    'the data is unchanged',
  );
}

/** Every Parse error answer: 4xx and {"code": number, "error": string}. */
function isParseError(res) {
  return res.status >= 400 && res.status < 500 && res.body && typeof res.body.code === 'number' && typeof res.body.error === 'string';
}

// -------------------------------------------------------------------------------------------
// Codes

test('101 object not found: GET, PUT, DELETE of a missing object answer 404', async () => {
  const t = await target();
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await h.rest(method, `/classes/${t.className}/aaaaaaaaaa`, { body: method === 'PUT' ? { n: 5 } : undefined });
    h.assertRestError(res, 404, 101, `${method} of a missing object`);
  }
  const missingClass = await h.rest('GET', `/classes/${h.cls('NoClass')}/aaaaaaaaaa`);
  h.assertRestError(missingClass, 404, 101, 'GET of an object of a class that does not exist');
  await h.expectParseError(new Parse.Query(t.className).get('aaaaaaaaaa'), 101, 'Query.get of a missing id');
  await assertIntact(t);
});

test('102 invalid query: malformed operators', async () => {
  const t = await target();
  const cases = [
    [{ name: { $regex: 5 } }, '$regex that is not a string'],
    [{ name: { $regex: 'a', $options: 'z' } }, 'unknown $options letter'],
    [{ name: { $select: 5 } }, 'malformed $select'],
    [{ name: { $dontSelect: 'x' } }, 'malformed $dontSelect'],
    [{ name: { $inQuery: 5 } }, 'malformed $inQuery'],
    [{ name: { $notInQuery: 5 } }, 'malformed $notInQuery'],
    [{ $nor: 5 }, '$nor that is not an array'],
  ];
  for (const [where, what] of cases) {
    const res = await h.rest('GET', `/classes/${t.className}`, { query: { where } });
    h.assertRestError(res, 400, 102, what);
  }
  await assertIntact(t);
});

test('102 or 107 for bad $in / $nin values (Parse Server: 107 "bad $in value")', async () => {
  const t = await target();
  for (const op of ['$in', '$nin']) {
    const res = await h.rest('GET', `/classes/${t.className}`, { query: { where: { name: { [op]: 'alpha' } } } });
    h.assertRestError(res, 400, 107, `${op} with a string`);
  }
});

test('malformed query structure answers a Parse error (Hearth)', { skip: h.isParseServer && 'Parse Server 9 answers 500 for {"$or":5}, {"$and":5}, {"$or":[]}, {"$relatedTo":5}, invalid regexes and bad limit/skip' }, async () => {
  const t = await target();
  const cases = [
    [{ where: { $or: 5 } }, '$or that is not an array'],
    [{ where: { $and: 5 } }, '$and that is not an array'],
    [{ where: { $or: [] } }, 'empty $or'],
    [{ where: { $relatedTo: 5 } }, 'malformed $relatedTo'],
    [{ where: { name: { $regex: '(' } } }, 'unbalanced ( in a regex'],
    [{ where: { name: { $regex: '[' } } }, 'unbalanced [ in a regex'],
    [{ where: { name: { $regex: '*' } } }, 'a regex starting with *'],
    [{ limit: 'abc' }, 'limit=abc'],
    [{ limit: -1 }, 'limit=-1'],
    [{ skip: -1 }, 'skip=-1'],
    [{ skip: 'x' }, 'skip=x'],
  ];
  for (const [query, what] of cases) {
    const res = await h.rest('GET', `/classes/${t.className}`, { query });
    assert.equal(res.status, 400, `${what} answers 400: ${res.text}`);
    assert.ok(isParseError(res), `${what} answers a Parse error body: ${res.text}`);
  }
  await assertIntact(t);
});

test('103 invalid class name: schema API and object writes', async () => {
  for (const name of ['1Starts_with_digit', 'has-dash', 'has space', '_Unknown_system']) {
    const res = await h.rest('POST', `/schemas/${enc(name)}`, { body: { className: name } });
    h.assertRestError(res, 400, 103, `schema create of ${JSON.stringify(name)}`);
  }
  for (const name of ['1bad', 'bad-name', 'bad name', 'bad.name']) {
    const res = await h.rest('POST', `/classes/${enc(name)}`, { body: { x: 1 } });
    // Parse Server 9 answers 400 {"code":107,"error":"schema class name does not revalidate"}.
    const code = h.isParseServer ? 107 : 103;
    h.assertRestError(res, 400, code, `create an object in class ${JSON.stringify(name)}`);
  }
});

test('reading a class with an invalid name answers 103 or no results', async () => {
  for (const name of ['1bad', 'bad-name', `bad' OR '1'='1`]) {
    const res = await h.rest('GET', `/classes/${enc(name)}`);
    assert.ok(res.status < 500, `never a 5xx: ${res.text}`);
    if (res.status === 200) assert.deepEqual(res.body, { results: [] }, `an empty answer: ${res.text}`);
    else h.assertRestError(res, 400, 103, `GET /classes/${name}`);
  }
});

test('105 invalid field name: in objects, in where, in order', async () => {
  const t = await target();
  for (const field of ['bad-field', '1abc', '$dollar', 'has space', '_private', 'a"b', "a'b"]) {
    const res = await h.rest('POST', `/classes/${t.className}`, { raw: JSON.stringify({ [field]: 1 }) });
    h.assertRestError(res, 400, 105, `create with field ${JSON.stringify(field)}`);
  }
  const objectId = await h.rest('POST', `/classes/${t.className}`, { body: { objectId: 'abcdefghij', name: 'x' } });
  h.assertRestError(objectId, 400, 105, 'setting objectId on create');
  const inWhere = await h.rest('GET', `/classes/${t.className}`, { query: { where: { 'bad-field': 1 } } });
  h.assertRestError(inWhere, 400, 105, 'a bad field name in where');
  const topOp = await h.rest('GET', `/classes/${t.className}`, { query: { where: { $foo: 1 } } });
  h.assertRestError(topOp, 400, 105, 'an unknown top-level $ key in where');
  const inOrder = await h.rest('GET', `/classes/${t.className}`, { query: { order: '-n,bad-field' } });
  h.assertRestError(inOrder, 400, 105, 'a bad field name in order');
  const update = await h.rest('PUT', `/classes/${t.className}/${t.ids[0]}`, { body: { 'bad-field': 1 } });
  h.assertRestError(update, 400, 105, 'update with a bad field name');
  await assertIntact(t);
});

test('107 invalid JSON: where that is not JSON', async () => {
  const t = await target();
  const res = await h.rest('GET', `/classes/${t.className}?where=${enc('{not json')}`);
  h.assertRestError(res, 400, 107, 'where={not json');
});

test('a body that is not valid JSON answers 400 (code 107 on Hearth)', async () => {
  const t = await target();
  for (const raw of ['{"name": "x"', '{name: 1}', 'null', '"just a string"', '{"a":1}}']) {
    const res = await h.rest('POST', `/classes/${t.className}`, { raw });
    assert.ok(res.status < 500, `never a 5xx for ${JSON.stringify(raw)}: ${res.text}`);
    assert.equal(res.status, 400, `body ${JSON.stringify(raw)} answers 400: ${res.text}`);
    // Parse Server 9 answers {"error":"Unexpected token ..."} from its JSON parser, without a code.
    if (h.isHearth) h.assertRestError(res, 400, 107, `body ${JSON.stringify(raw)}`);
  }
  await assertIntact(t);
});

test('111 incorrect type: a value that conflicts with the schema', async () => {
  const t = await target();
  const cases = [
    [{ name: 5 }, 'Number into a String field'],
    [{ n: 'five' }, 'String into a Number field'],
    [{ n: true }, 'Boolean into a Number field'],
    [{ o: 'text' }, 'String into an Object field'],
    [{ tags: { a: 1 } }, 'Object into an Array field'],
    [{ name: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } }, 'Date into a String field'],
    [{ createdAt: 'yesterday' }, 'a string as createdAt'],
    [{ x: { __type: 'Bogus' } }, 'an unknown __type'],
  ];
  for (const [body, what] of cases) {
    const res = await h.rest('POST', `/classes/${t.className}`, { body });
    h.assertRestError(res, 400, 111, what);
    const upd = await h.rest('PUT', `/classes/${t.className}/${t.ids[0]}`, { body });
    h.assertRestError(upd, 400, 111, `update: ${what}`);
  }
  await h.expectParseError(
    (async () => {
      const o = new Parse.Object(t.className);
      o.set('n', 'not a number');
      await o.save();
    })(),
    111,
    'SDK save of a String into a Number field',
  );
  await assertIntact(t);
});

test('an invalid Date value answers a Parse error (Hearth)', { skip: h.isParseServer && 'Parse Server 9 answers 500 for {"__type":"Date","iso":"notadate"}' }, async () => {
  const t = await target();
  const res = await h.rest('POST', `/classes/${t.className}`, { body: { when: { __type: 'Date', iso: 'notadate' } } });
  assert.equal(res.status, 400, res.text);
  assert.ok(isParseError(res), res.text);
});

test('119 operation forbidden: a client creating a class', async () => {
  for (const key of ['js', 'rest', 'client']) {
    const res = await h.rest('POST', `/classes/${h.cls('Forbidden')}`, { key, body: { x: 1 } });
    h.assertRestError(res, 400, 119, `creating a class with the ${key} key`);
  }
});

test('137 duplicate value: a unique index refuses a second equal value (Hearth)', { skip: h.isParseServer && 'Parse Server 9 has no unique flag in the schema API indexes ({"email":1,"unique":true} fails with 102 "Field unique does not exist")' }, async () => {
  const className = h.cls('Uniq');
  const created = await h.rest('POST', `/schemas/${className}`, {
    body: { className, fields: { email: { type: 'String' } }, indexes: { email_unique: { email: 1, unique: true } } },
  });
  assert.equal(created.status, 200, `a class with a unique index: ${created.text}`);
  const first = await h.rest('POST', `/classes/${className}`, { body: { email: 'a@example.test' } });
  assert.equal(first.status, 201, first.text);
  const second = await h.rest('POST', `/classes/${className}`, { body: { email: 'a@example.test' } });
  h.assertRestError(second, 400, 137, 'a second object with the same email');
  const other = await h.rest('POST', `/classes/${className}`, { body: { email: 'b@example.test' } });
  assert.equal(other.status, 201, `a different value is fine: ${other.text}`);
  const update = await h.rest('PUT', `/classes/${className}/${other.body.objectId}`, { body: { email: 'a@example.test' } });
  h.assertRestError(update, 400, 137, 'an update to a taken value');
  assert.equal((await new Parse.Query(className).equalTo('email', 'a@example.test').find()).length, 1, 'only one object has the value');
});

// -------------------------------------------------------------------------------------------
// Injection attempts

const PS_500 = 'Parse Server 9 answers 500 here';

/** Runs the cases and collects every answer that is a 5xx, not a Parse error, or wrong. */
async function runCases(cases) {
  const problems = [];
  for (const c of cases) {
    if (c.ps500 && h.isParseServer) continue;
    const res = await h.rest(c.method || 'GET', c.path, c.opts || {});
    const label = `${c.method || 'GET'} ${c.path} ${JSON.stringify(c.opts || {})}`;
    if (res.status >= 500) {
      problems.push(`${label} -> ${res.status} ${res.text}`);
      continue;
    }
    if (res.status >= 400) {
      if (!isParseError(res)) problems.push(`${label} -> ${res.status} without a Parse error body: ${res.text}`);
      if (c.expectResults) problems.push(`${label} -> ${res.status}, expected results ${JSON.stringify(c.expectResults)}: ${res.text}`);
      continue;
    }
    if (c.mustFail) {
      problems.push(`${label} -> ${res.status}, expected a Parse error: ${res.text}`);
      continue;
    }
    if (c.expectResults) {
      const got = (res.body.results || []).map((r) => r.name).sort();
      if (JSON.stringify(got) !== JSON.stringify(c.expectResults)) problems.push(`${label} -> results ${JSON.stringify(got)}, expected ${JSON.stringify(c.expectResults)}`);
    }
    if (c.check) {
      const msg = c.check(res);
      if (msg) problems.push(`${label} -> ${msg}: ${res.text}`);
    }
  }
  assert.deepEqual(problems, [], `unexpected answers:\n${problems.join('\n')}`);
}

test('injection in class names', async () => {
  const t = await target();
  const names = [`${t.className}; DROP TABLE "${t.className}"`, `${t.className}"--`, `${t.className}' OR '1'='1`, `../${t.className}`, 'pg_catalog.pg_tables', 'information_schema.tables', 'A'.repeat(300), `${t.className}%27`];
  const cases = [];
  for (const name of names) {
    cases.push({ path: `/classes/${enc(name)}`, check: (r) => (r.body.results.length === 0 ? null : 'a GET of another class name answered objects') });
    cases.push({ method: 'POST', path: `/classes/${enc(name)}`, opts: { body: { x: 1 } }, mustFail: true });
    cases.push({ method: 'PUT', path: `/classes/${enc(name)}/${t.ids[0]}`, opts: { body: { x: 1 } }, mustFail: true });
    cases.push({ method: 'DELETE', path: `/classes/${enc(name)}/${t.ids[0]}` });
    cases.push({ method: 'POST', path: `/schemas/${enc(name)}`, opts: { body: {} }, mustFail: true, ps500: name.length > 200 });
    cases.push({ path: `/aggregate/${enc(name)}`, opts: { query: { distinct: 'name' } } });
  }
  cases.push({ path: `/classes/${enc(`${t.className}\u0000`)}`, ps500: true });
  await runCases(cases);
  await assertIntact(t);
});

test('injection in field names (bodies, where, order, keys, excludeKeys, include, distinct, aggregate)', async () => {
  const t = await target();
  const fields = [`a"; DROP TABLE "${t.className}"; --`, `name' OR '1'='1`, 'name) OR (1=1', 'a b', 'a-b', '__proto__', 'ü', `name"`, '"name"'];
  const cases = [];
  for (const f of fields) {
    cases.push({ method: 'POST', path: `/classes/${t.className}`, opts: { raw: JSON.stringify({ [f]: 1 }) }, mustFail: true });
    cases.push({ method: 'PUT', path: `/classes/${t.className}/${t.ids[0]}`, opts: { raw: JSON.stringify({ [f]: 1 }) }, mustFail: true });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { [f]: 1 } } }, expectResults: undefined, check: (r) => (r.body.results.length === 0 ? null : 'a where on an unknown field answered objects') });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { order: f } }, check: (r) => (r.body.results.length === 2 ? null : 'order answered a different set') });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { keys: f } }, check: (r) => (r.body.results.length <= 2 ? null : 'keys answered extra objects') });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { excludeKeys: f } }, check: (r) => (r.body.results.length === 2 ? null : 'excludeKeys answered a different set') });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { include: f } }, check: (r) => (r.body.results.length === 2 ? null : 'include answered a different set') });
    cases.push({ path: `/aggregate/${t.className}`, opts: { query: { distinct: f } } });
    cases.push({ path: `/aggregate/${t.className}`, opts: { query: { pipeline: [{ $group: { _id: `$${f}` } }] } } });
    cases.push({ method: 'PUT', path: `/schemas/${t.className}`, opts: { raw: JSON.stringify({ fields: { [f]: { type: 'String' } } }) }, mustFail: true });
  }
  cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { _rperm: 1 } } }, ps500: true });
  cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { _wperm: 1 } } }, ps500: true });
  await runCases(cases);
  await assertIntact(t);
});

test('injection in values: exact answers, stored and read back as they were', async () => {
  const t = await target();
  const values = [`alpha' OR '1'='1`, `'); DROP TABLE "${t.className}"; --`, '\\', `alpha\\' --`, '$1', '%', '_', 'alpha%', `" OR ""="`, '\u2028', '${name}', '{"$gt":""}'];
  const cases = [];
  for (const v of values) {
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: v } } }, expectResults: [] });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $in: [v] } } } }, expectResults: [] });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $ne: v } } } }, expectResults: ['alpha', 'beta'] });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { 'o.k': v } } }, expectResults: [] });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { tags: { $all: [v] } } } }, expectResults: [] });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $gt: v, $lt: v } } } }, expectResults: [] });
  }
  cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: 'a\u0000b' } } }, ps500: true, expectResults: [] });
  await runCases(cases);
  await assertIntact(t);

  // Stored as given, read back exactly, found by equality.
  const Store = h.cls('Store');
  for (const v of values) {
    const created = await h.rest('POST', `/classes/${Store}`, { body: { v } });
    assert.equal(created.status, 201, `storing ${JSON.stringify(v)}: ${created.text}`);
    const got = await h.rest('GET', `/classes/${Store}/${created.body.objectId}`);
    assert.equal(got.body.v, v, `${JSON.stringify(v)} reads back unchanged`);
    const found = await h.rest('GET', `/classes/${Store}`, { query: { where: { v } } });
    assert.deepEqual(found.body.results.map((r) => r.objectId), [created.body.objectId], `equality finds exactly ${JSON.stringify(v)}`);
  }
});

test('injection in full-text search terms', async () => {
  const t = await target();
  const cases = [];
  for (const v of ['$1', '%', '_', 'alpha & beta', 'alpha | beta', '!alpha', 'alpha:*']) {
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $text: { $search: { $term: v } } } } } } });
  }
  for (const v of [`alpha' OR '1'='1`, `'); DROP TABLE "${t.className}"; --`, '\\']) {
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $text: { $search: { $term: v } } } } } }, ps500: true });
  }
  await runCases(cases);
  await assertIntact(t);
});

test('injection in regexes', async () => {
  const t = await target();
  const cases = [];
  for (const re of ["' OR 1=1 --", "'", "''", "\\'", `'; DROP TABLE "${t.className}"; --`, '$1', '\\Q\'\\E', "alpha' --"]) {
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $regex: re } } } }, expectResults: [] });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $regex: re, $options: 'i' } } } }, expectResults: [] });
  }
  // An unbalanced ")" makes the pattern invalid: a Parse error, not a 5xx (Parse Server 9: 500).
  const closing = `'); DROP TABLE "${t.className}"; --`;
  cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $regex: closing } } } }, mustFail: true, ps500: true });
  cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $regex: '^alp' } } } }, expectResults: ['alpha'] });
  cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $regex: 'a$' } } } }, expectResults: ['alpha', 'beta'] });
  for (const re of ['(', '[', '*', '\\', '(?{ 1 })', 'a{99999999}']) {
    cases.push({ path: `/classes/${t.className}`, opts: { query: { where: { name: { $regex: re } } } }, ps500: true });
  }
  await runCases(cases);
  await assertIntact(t);
});

test('injection in order, keys and excludeKeys', async () => {
  const t = await target();
  const cases = [];
  for (const o of [`name; DROP TABLE "${t.className}"`, 'name desc', 'name,"x"', "name'", '-', ',', 'name--', '(select 1)']) {
    cases.push({ path: `/classes/${t.className}`, opts: { query: { order: o } }, mustFail: true });
  }
  for (const k of [`name;DROP TABLE "${t.className}"`, 'name") FROM x; --', "o.k'", ',', '.', 'o..k', '*', 'name,(select 1)']) {
    cases.push({ path: `/classes/${t.className}`, opts: { query: { keys: k } }, check: (r) => (r.body.results.length === 2 ? null : 'keys changed the set of objects') });
    cases.push({ path: `/classes/${t.className}`, opts: { query: { excludeKeys: k } }, check: (r) => (r.body.results.length === 2 ? null : 'excludeKeys changed the set of objects') });
  }
  await runCases(cases);
  await assertIntact(t);
});

test('injection through operators: objects where a value is expected', async () => {
  const t = await target();
  const cases = [
    // Parse Server 9 on PostgreSQL refuses {"$gt":""} with 119 "Postgres doesn't support this query type yet".
    { path: `/classes/${t.className}`, opts: { query: { where: { name: { $gt: '' } } } }, check: (r) => (r.body.results.length === 2 ? null : 'expected both objects') },
    { path: `/classes/${t.className}`, opts: { query: { where: { name: { __type: 'Pointer', className: 'x', objectId: "' OR 1=1" } } } } },
    { path: `/classes/${t.className}`, opts: { query: { where: { o: { $eq: { k: 'v' } } } } } },
    { path: `/classes/${t.className}`, opts: { query: { where: { n: { $in: [{ $gt: 0 }] } } } }, ps500: true },
    { method: 'POST', path: `/classes/${h.cls('Scratch')}`, opts: { body: { o: { $where: 'sleep(1)' } } } },
    { method: 'PUT', path: `/classes/${t.className}/${enc(`${t.ids[0]}' OR '1'='1`)}`, opts: { body: { n: 99 } }, mustFail: true },
    { method: 'DELETE', path: `/classes/${t.className}/${enc(`${t.ids[0]}' OR '1'='1`)}` },
    { path: `/classes/${t.className}/${enc(`x' OR '1'='1`)}`, mustFail: true },
  ];
  await runCases(cases);
  await assertIntact(t);
});

test('no answer to bad input is a 5xx: a grab bag of malformed requests', async () => {
  const t = await target();
  const cases = [
    { path: `/classes/${t.className}`, opts: { query: { where: 'null' } }, ps500: true },
    { path: `/classes/${t.className}`, opts: { query: { where: '[]' } } },
    { path: `/classes/${t.className}`, opts: { query: { where: '"string"' } } },
    { path: `/classes/${t.className}`, opts: { query: { where: { n: { $exists: 'yes' } } } } },
    { path: `/classes/${t.className}`, opts: { query: { where: { n: { $nearSphere: 5 } } } }, ps500: true },
    { path: `/classes/${t.className}`, opts: { query: { limit: 100000000000 } } },
    { path: `/classes/${t.className}`, opts: { query: { count: 'yes', limit: 0 } } },
    { path: `/classes/${t.className}`, opts: { query: { include: '*' } } },
    { method: 'POST', path: '/batch', opts: { body: { requests: [{}] } } },
    { method: 'POST', path: '/batch', opts: { body: {} } },
    { method: 'POST', path: `/classes/${h.cls('Scratch')}`, opts: { body: { ACL: 'everyone' } } },
    { method: 'PUT', path: '/config', opts: { body: { params: 'x' } } },
  ];
  await runCases(cases);
  await assertIntact(t);
});
