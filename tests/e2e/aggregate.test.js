'use strict';
// Aggregate pipelines with the master key ($match, $group, $sort, $limit, $skip, $project,
// $count, $sample), the result shape (the group key comes back as "objectId"), and refusals.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const ROWS = [
  { name: 'Alice', team: 'A', level: 1, score: 10, active: true },
  { name: 'bob', team: 'B', level: 2, score: 20, active: false },
  { name: 'Carol', team: 'A', level: 2, score: 30, active: true },
  { name: 'dave', team: 'C', level: 3, score: 40, active: false },
  { name: 'Eve', team: 'B', level: 3, score: 50, active: true },
];

async function scores() {
  const className = h.cls('Score');
  await h.seed(className, ROWS);
  return className;
}

const byKey = (rows) => [...rows].sort((a, b) => JSON.stringify(a.objectId).localeCompare(JSON.stringify(b.objectId)));

test('$group by a field with $sum of a field; the group key comes back as objectId', async () => {
  const c = await scores();
  const results = await new Parse.Query(c).aggregate([{ $group: { _id: '$team', total: { $sum: '$score' } } }]);
  assert.deepEqual(byKey(results), [
    { objectId: 'A', total: 40 },
    { objectId: 'B', total: 70 },
    { objectId: 'C', total: 40 },
  ]);
});

test('$group with $sum: 1 counts, and $avg, $min, $max', async () => {
  const c = await scores();
  const counts = await new Parse.Query(c).aggregate([{ $group: { _id: '$level', n: { $sum: 1 } } }]);
  assert.deepEqual(byKey(counts), [
    { objectId: 1, n: 1 },
    { objectId: 2, n: 2 },
    { objectId: 3, n: 2 },
  ], 'counts per level');
  const stats = await new Parse.Query(c).aggregate([{ $group: { _id: null, avg: { $avg: '$score' }, min: { $min: '$score' }, max: { $max: '$score' } } }]);
  assert.equal(stats.length, 1, 'one group for _id null');
  assert.equal(stats[0].objectId, null, 'the _id null group has objectId null');
  assert.equal(Number(stats[0].avg), 30, 'avg');
  assert.equal(Number(stats[0].min), 10, 'min');
  assert.equal(Number(stats[0].max), 50, 'max');
});

test('$group by several fields gives an object key', async () => {
  const c = await scores();
  const results = await new Parse.Query(c).aggregate([{ $group: { _id: { team: '$team', level: '$level' }, n: { $sum: 1 } } }]);
  const keys = results.map((r) => `${r.objectId.team}/${r.objectId.level}:${r.n}`).sort();
  assert.deepEqual(keys, ['A/1:1', 'A/2:1', 'B/2:1', 'B/3:1', 'C/3:1']);
});

test('$match then $group', async () => {
  const c = await scores();
  const results = await new Parse.Query(c).aggregate([{ $match: { active: true } }, { $group: { _id: '$team', total: { $sum: '$score' } } }]);
  assert.deepEqual(byKey(results), [
    { objectId: 'A', total: 40 },
    { objectId: 'B', total: 50 },
  ]);
});

test('$match with comparison operators returns the matching objects', async () => {
  const c = await scores();
  const results = await new Parse.Query(c).aggregate([{ $match: { score: { $gt: 20, $lte: 40 } } }]);
  assert.deepEqual(results.map((r) => r.name).sort(), ['Carol', 'dave']);
  assert.ok(results.every((r) => typeof r.objectId === 'string' && r.objectId.length === 10), 'objects keep their objectId');
});

test('$sort and $limit', async () => {
  const c = await scores();
  const top = await new Parse.Query(c).aggregate([{ $sort: { score: -1 } }, { $limit: 2 }]);
  assert.deepEqual(top.map((r) => r.name), ['Eve', 'dave']);
  const grouped = await new Parse.Query(c).aggregate([{ $group: { _id: '$team', total: { $sum: '$score' } } }, { $sort: { total: -1 } }, { $limit: 1 }]);
  assert.deepEqual(grouped, [{ objectId: 'B', total: 70 }], 'sort on a group output');
});

test('$skip', async () => {
  const c = await scores();
  const rest = await new Parse.Query(c).aggregate([{ $skip: 3 }]);
  assert.equal(rest.length, 2, 'skip 3 of 5');
});

test('$skip after $sort (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL builds "OFFSET .. ORDER BY" and fails' }, async () => {
  const c = await scores();
  const rest = await new Parse.Query(c).aggregate([{ $sort: { score: 1 } }, { $skip: 3 }]);
  assert.deepEqual(rest.map((r) => r.name), ['dave', 'Eve']);
});

test('$project keeps the given fields', async () => {
  const c = await scores();
  const results = await new Parse.Query(c).aggregate([{ $match: { team: 'A' } }, { $project: { name: 1, score: 1 } }]);
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.equal(typeof r.name, 'string', `name projected: ${JSON.stringify(r)}`);
    assert.equal(typeof r.score, 'number', 'score projected');
    assert.equal(r.team, undefined, 'team left out');
    assert.equal(r.level, undefined, 'level left out');
  }
});

test('$count (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL ignores $count and answers every object' }, async () => {
  const c = await scores();
  const results = await new Parse.Query(c).aggregate([{ $match: { active: true } }, { $count: 'n' }]);
  assert.deepEqual(results, [{ n: 3 }]);
});

test('$sample (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL ignores $sample and answers every object' }, async () => {
  const c = await scores();
  const results = await new Parse.Query(c).aggregate([{ $sample: { size: 2 } }]);
  assert.equal(results.length, 2, 'two objects');
  assert.equal(new Set(results.map((r) => r.objectId)).size, 2, 'two different objects');
  assert.ok(results.every((r) => ROWS.some((row) => row.name === r.name)), 'objects of the class');
});

test('REST aggregate: GET /aggregate/:class?pipeline=[...] answers {"results":[...]}', async () => {
  const c = await scores();
  const res = await h.rest('GET', `/aggregate/${c}`, { query: { pipeline: [{ $group: { _id: '$team', n: { $sum: 1 } } }] } });
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.body.results), `{"results":[...]}: ${res.text}`);
  assert.deepEqual(byKey(res.body.results), [
    { objectId: 'A', n: 2 },
    { objectId: 'B', n: 2 },
    { objectId: 'C', n: 1 },
  ]);
});

test('aggregate needs the master key (403; code 119 on Hearth)', async () => {
  const c = await scores();
  for (const key of ['js', 'rest', 'client']) {
    const res = await h.rest('GET', `/aggregate/${c}`, { key, query: { pipeline: [{ $group: { _id: '$team' } }] } });
    assert.equal(res.status, 403, `aggregate with the ${key} key answers 403: ${res.text}`);
    if (h.isHearth) assert.equal(res.body.code, 119, `code 119: ${res.text}`);
    const distinct = await h.rest('GET', `/aggregate/${c}`, { key, query: { distinct: 'team' } });
    assert.equal(distinct.status, 403, `distinct with the ${key} key answers 403: ${distinct.text}`);
  }
  await assert.rejects(new Parse.Query(c).aggregate([{ $group: { _id: '$team' } }], { useMasterKey: false }), 'the SDK refuses too');
});

test('invalid pipelines are refused with 102', async () => {
  const c = await scores();
  const cases = [
    [{ group: { _id: '$team' } }],
    [{ $group: { total: { $sum: '$score' } } }],
    [{ $group: { _id: '$team', objectId: '$x' } }],
    [{ $match: { active: true }, $limit: 1 }],
  ];
  for (const pipeline of cases) {
    const res = await h.rest('GET', `/aggregate/${c}`, { query: { pipeline } });
    h.assertRestError(res, 400, 102, `pipeline ${JSON.stringify(pipeline)}`);
  }
});
