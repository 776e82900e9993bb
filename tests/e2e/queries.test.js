'use strict';
// The query language: every constraint, on plain, nested, array, pointer and date fields;
// order, limit, skip, keys, excludeKeys, count, distinct. Every test seeds a class of its own.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const ROWS = [
  {
    name: 'Alice',
    score: 10,
    level: 1,
    tags: ['red', 'blue'],
    team: 'A',
    profile: { city: 'Paris', age: 30, stats: { wins: 5 } },
    born: new Date('1990-01-01T00:00:00.000Z'),
    active: true,
    bio: 'Loves chess and long walks',
  },
  {
    name: 'bob',
    score: 20,
    level: 2,
    tags: ['blue'],
    team: 'B',
    profile: { city: 'Berlin', age: 25, stats: { wins: 1 } },
    born: new Date('1995-06-15T00:00:00.000Z'),
    active: false,
    bio: 'Plays guitar in a band',
  },
  {
    name: 'Carol',
    score: 30,
    level: 2,
    tags: ['green', 'red', 'blue'],
    team: 'A',
    profile: { city: 'paris', age: 41 },
    born: new Date('1983-03-03T00:00:00.000Z'),
    active: true,
    bio: 'Chess champion\nand painter',
  },
  { name: 'dave', score: 40, level: 3, tags: [], team: 'C', born: new Date('2001-12-31T23:59:59.000Z'), active: false },
  {
    name: 'Eve',
    score: 50,
    level: 3,
    tags: ['red'],
    team: 'B',
    profile: { city: 'Rome', age: 35, stats: { wins: 9 } },
    active: true,
    bio: 'Security researcher who likes chess',
  },
];

/** A fresh class holding ROWS; returns its name. */
async function players() {
  const className = h.cls('Player');
  await h.seed(className, ROWS);
  return className;
}

/** Runs `build(query)` on `className` and returns the sorted names found. */
async function names(className, build) {
  const q = new Parse.Query(className);
  build(q);
  const found = await q.find();
  return found.map((o) => o.get('name')).sort();
}

test('equalTo on strings, numbers, booleans and dates', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.equalTo('name', 'bob')), ['bob'], 'string');
  assert.deepEqual(await names(c, (q) => q.equalTo('name', 'Bob')), [], 'string equality is case-sensitive');
  assert.deepEqual(await names(c, (q) => q.equalTo('score', 30)), ['Carol'], 'number');
  assert.deepEqual(await names(c, (q) => q.equalTo('active', false)), ['bob', 'dave'], 'boolean');
  assert.deepEqual(await names(c, (q) => q.equalTo('born', new Date('1995-06-15T00:00:00.000Z'))), ['bob'], 'date');
  assert.deepEqual(await names(c, (q) => q.equalTo('level', 2).equalTo('team', 'A')), ['Carol'], 'two constraints are ANDed');
});

test('equalTo on objectId, and containedIn on objectId', async () => {
  const c = await players();
  const all = await new Parse.Query(c).find();
  const bob = all.find((o) => o.get('name') === 'bob');
  const eve = all.find((o) => o.get('name') === 'Eve');
  assert.deepEqual(await names(c, (q) => q.equalTo('objectId', bob.id)), ['bob']);
  assert.deepEqual(await names(c, (q) => q.containedIn('objectId', [bob.id, eve.id, 'zzzzzzzzzz'])), ['Eve', 'bob']);
});

test('notEqualTo', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.notEqualTo('team', 'A')), ['Eve', 'bob', 'dave']);
  assert.deepEqual(await names(c, (q) => q.notEqualTo('score', 10)), ['Carol', 'Eve', 'bob', 'dave']);
  assert.deepEqual(await names(c, (q) => q.notEqualTo('active', true)), ['bob', 'dave']);
});

test('notEqualTo matches objects that lack the field', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.notEqualTo('bio', 'Plays guitar in a band')), ['Alice', 'Carol', 'Eve', 'dave'], 'dave has no bio and is included');
});

test('equalTo and notEqualTo with an array compare the whole array, as Parse defines it (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL refuses equalTo with an array ("Postgres doesn\'t support this query type yet") and its notEqualTo([]) also answers empty arrays' }, async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.notEqualTo('tags', [])), ['Alice', 'Carol', 'Eve', 'bob'], 'every non-empty array');
  assert.deepEqual(await names(c, (q) => q.equalTo('tags', [])), ['dave'], 'only the empty array');
  assert.deepEqual(await names(c, (q) => q.equalTo('tags', ['red', 'blue'])), ['Alice'], 'that array, in that order');
  assert.deepEqual(await names(c, (q) => q.equalTo('tags', ['blue', 'red'])), [], 'order matters');
  assert.deepEqual(await names(c, (q) => q.notEqualTo('tags', ['blue'])), ['Alice', 'Carol', 'Eve', 'dave']);
});

test('a query on a class that does not exist is refused to clients (119)', async () => {
  const client = { useMasterKey: false };
  await assert.rejects(new Parse.Query(h.cls('NoSuchClass')).find(client), (e) => e.code === Parse.Error.OPERATION_FORBIDDEN);
  await assert.rejects(new Parse.Query(h.cls('NoSuchClass')).count(client), (e) => e.code === Parse.Error.OPERATION_FORBIDDEN);
  assert.deepEqual(await new Parse.Query(h.cls('NoSuchClass')).find({ useMasterKey: true }), [], 'the master key finds nothing');
});

test('lessThan, lessThanOrEqualTo, greaterThan, greaterThanOrEqualTo on numbers', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.lessThan('score', 30)), ['Alice', 'bob']);
  assert.deepEqual(await names(c, (q) => q.lessThanOrEqualTo('score', 30)), ['Alice', 'Carol', 'bob']);
  assert.deepEqual(await names(c, (q) => q.greaterThan('score', 30)), ['Eve', 'dave']);
  assert.deepEqual(await names(c, (q) => q.greaterThanOrEqualTo('score', 30)), ['Carol', 'Eve', 'dave']);
  assert.deepEqual(await names(c, (q) => q.greaterThan('score', 10).lessThan('score', 50)), ['Carol', 'bob', 'dave'], 'a range');
  assert.deepEqual(await names(c, (q) => q.greaterThan('score', 10.5).lessThanOrEqualTo('score', 20.0)), ['bob'], 'fractional bounds');
});

test('comparisons on dates and strings', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.lessThan('born', new Date('1991-01-01T00:00:00Z'))), ['Alice', 'Carol'], 'dates before 1991');
  assert.deepEqual(await names(c, (q) => q.greaterThanOrEqualTo('born', new Date('1995-06-15T00:00:00Z'))), ['bob', 'dave'], 'dates from 1995-06-15');
  assert.deepEqual(await names(c, (q) => q.greaterThan('name', 'a')), ['bob', 'dave'], 'string comparison is by code point (lower case after upper)');
  assert.deepEqual(await names(c, (q) => q.lessThan('name', 'D')), ['Alice', 'Carol'], 'string comparison');
});

test('comparisons on createdAt', async () => {
  const c = h.cls('Stamp');
  const [first] = await h.seed(c, [{ name: 'first' }]);
  const [second] = await h.seed(c, [{ name: 'second' }]);
  assert.ok(second.createdAt >= first.createdAt);
  const after = await names(c, (q) => q.greaterThan('createdAt', new Date(first.createdAt.getTime() - 1)));
  assert.deepEqual(after, ['first', 'second']);
  const before = await names(c, (q) => q.lessThan('createdAt', new Date(first.createdAt.getTime() - 1)));
  assert.deepEqual(before, []);
  const equal = await names(c, (q) => q.equalTo('createdAt', first.createdAt));
  assert.ok(equal.includes('first'), 'equalTo on createdAt finds the object');
});

test('containedIn and notContainedIn', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.containedIn('team', ['A', 'C'])), ['Alice', 'Carol', 'dave']);
  assert.deepEqual(await names(c, (q) => q.containedIn('score', [20, 50, 999])), ['Eve', 'bob']);
  assert.deepEqual(await names(c, (q) => q.notContainedIn('team', ['A', 'C'])), ['Eve', 'bob']);
  assert.deepEqual(await names(c, (q) => q.notContainedIn('score', [10, 20])), ['Carol', 'Eve', 'dave']);
  assert.deepEqual(await names(c, (q) => q.containedIn('team', [])), [], 'containedIn an empty list matches nothing');
});

test('containedIn on an array field matches any common element', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.containedIn('tags', ['green', 'nope'])), ['Carol']);
  assert.deepEqual(await names(c, (q) => q.containedIn('tags', ['red'])), ['Alice', 'Carol', 'Eve']);
});

test('exists and doesNotExist', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.exists('profile')), ['Alice', 'Carol', 'Eve', 'bob']);
  assert.deepEqual(await names(c, (q) => q.doesNotExist('profile')), ['dave']);
  assert.deepEqual(await names(c, (q) => q.exists('born')), ['Alice', 'Carol', 'bob', 'dave']);
  assert.deepEqual(await names(c, (q) => q.doesNotExist('born')), ['Eve']);
  assert.deepEqual(await names(c, (q) => q.doesNotExist('noSuchField')), ['Alice', 'Carol', 'Eve', 'bob', 'dave'], 'a field no object has');
  assert.deepEqual(await names(c, (q) => q.exists('tags')), ['Alice', 'Carol', 'Eve', 'bob', 'dave'], 'an empty array exists');
});

test('equalTo on an array field means "contains"', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL answers 500 for {"tags":"red"} on an Array field (invalid input syntax for type json)' }, async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.equalTo('tags', 'red')), ['Alice', 'Carol', 'Eve']);
  assert.deepEqual(await names(c, (q) => q.equalTo('tags', 'green')), ['Carol']);
  assert.deepEqual(await names(c, (q) => q.equalTo('tags', 'purple')), []);
});

test('containsAll', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.containsAll('tags', ['red', 'blue'])), ['Alice', 'Carol']);
  assert.deepEqual(await names(c, (q) => q.containsAll('tags', ['green', 'red', 'blue'])), ['Carol']);
  assert.deepEqual(await names(c, (q) => q.containsAll('tags', ['red', 'purple'])), []);
});

test('containsAllStartingWith ($all with ^ regexes)', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.containsAllStartingWith('tags', ['gr', 'bl'])), ['Carol']);
});

test('containedBy', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.containedBy('tags', ['red', 'blue'])), ['Alice', 'Eve', 'bob', 'dave'], 'every element is in the list (an empty array too)');
  assert.deepEqual(await names(c, (q) => q.containedBy('tags', ['blue'])), ['bob', 'dave']);
});

test('matches (regex) with and without the i option', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.matches('name', '^[A-C]')), ['Alice', 'Carol']);
  assert.deepEqual(await names(c, (q) => q.matches('name', '^[a-c]', 'i')), ['Alice', 'Carol', 'bob']);
  assert.deepEqual(await names(c, (q) => q.matches('name', /^[a-c]/i)), ['Alice', 'Carol', 'bob'], 'a RegExp with the i flag');
  assert.deepEqual(await names(c, (q) => q.matches('name', 'e$')), ['Alice', 'Eve', 'dave'], 'anchored at the end');
  assert.deepEqual(await names(c, (q) => q.matches('name', 'o')), ['Carol', 'bob'], 'unanchored');
  assert.deepEqual(await names(c, (q) => q.matches('bio', 'chess', 'i')), ['Alice', 'Carol', 'Eve']);
  assert.deepEqual(await names(c, (q) => q.matches('bio', '(guitar|painter)')), ['Carol', 'bob'], 'alternation');
});

test('matches with the x option ignores whitespace in the pattern', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.matches('name', 'A l i c e', 'x')), ['Alice']);
});

test('matches with the s option lets . match a newline', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.matches('bio', 'champion.and', 's')), ['Carol']);
});

test('matches with the m option anchors ^ and $ at line breaks', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL ignores the m option' }, async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.matches('bio', '^and painter$', 'm')), ['Carol']);
  assert.deepEqual(await names(c, (q) => q.matches('bio', '^and painter$')), [], 'without m, ^ is the start of the text');
});

test('startsWith, endsWith and contains quote their argument', async () => {
  const c = h.cls('Text');
  await h.seed(c, [{ name: 'a.b*c' }, { name: 'axbbc' }, { name: 'x(a.b*c)' }, { name: 'ABC' }]);
  assert.deepEqual(await names(c, (q) => q.startsWith('name', 'a.b*')), ['a.b*c'], 'startsWith treats . and * literally');
  assert.deepEqual(await names(c, (q) => q.endsWith('name', 'b*c)')), ['x(a.b*c)'], 'endsWith treats ( ) * literally');
  assert.deepEqual(await names(c, (q) => q.contains('name', '.b*')), ['a.b*c', 'x(a.b*c)'], 'contains');
  assert.deepEqual(await names(c, (q) => q.startsWith('name', 'a')), ['a.b*c', 'axbbc'], 'startsWith is case-sensitive');
  assert.deepEqual(await names(c, (q) => q.startsWith('name', 'a', 'i')), ['ABC', 'a.b*c', 'axbbc'], 'startsWith with the i modifier');
});

test('matchesKeyInQuery ($select) and doesNotMatchKeyInQuery ($dontSelect)', async () => {
  const c = await players();
  const teams = h.cls('Team');
  await h.seed(teams, [
    { code: 'A', region: 'EU' },
    { code: 'B', region: 'US' },
    { code: 'C', region: 'EU' },
  ]);
  const eu = new Parse.Query(teams).equalTo('region', 'EU');
  assert.deepEqual(await names(c, (q) => q.matchesKeyInQuery('team', 'code', eu)), ['Alice', 'Carol', 'dave']);
  const eu2 = new Parse.Query(teams).equalTo('region', 'EU');
  assert.deepEqual(await names(c, (q) => q.doesNotMatchKeyInQuery('team', 'code', eu2)), ['Eve', 'bob']);
  const none = new Parse.Query(teams).equalTo('region', 'Mars');
  assert.deepEqual(await names(c, (q) => q.matchesKeyInQuery('team', 'code', none)), [], 'an empty inner query selects nothing');
});

test('or, and, nor', async () => {
  const c = await players();
  const low = new Parse.Query(c).lessThan('score', 20);
  const teamC = new Parse.Query(c).equalTo('team', 'C');
  assert.deepEqual((await Parse.Query.or(low, teamC).find()).map((o) => o.get('name')).sort(), ['Alice', 'dave'], 'or');

  const active = new Parse.Query(c).equalTo('active', true);
  const teamA = new Parse.Query(c).equalTo('team', 'A');
  assert.deepEqual((await Parse.Query.and(active, teamA).find()).map((o) => o.get('name')).sort(), ['Alice', 'Carol'], 'and');

  const hi = new Parse.Query(c).greaterThan('score', 40);
  const b = new Parse.Query(c).equalTo('team', 'B');
  assert.deepEqual((await Parse.Query.nor(hi, b).find()).map((o) => o.get('name')).sort(), ['Alice', 'Carol', 'dave'], 'nor');

  // An or combined with a constraint outside it.
  const either = Parse.Query.or(new Parse.Query(c).equalTo('team', 'A'), new Parse.Query(c).equalTo('team', 'B'));
  either.greaterThan('score', 15);
  assert.deepEqual((await either.find()).map((o) => o.get('name')).sort(), ['Carol', 'Eve', 'bob'], 'or AND another constraint');

  // Nested: (team A or team B) and not (score 50).
  const nested = Parse.Query.and(Parse.Query.or(new Parse.Query(c).equalTo('team', 'A'), new Parse.Query(c).equalTo('team', 'B')), new Parse.Query(c).notEqualTo('score', 50));
  assert.deepEqual((await nested.find()).map((o) => o.get('name')).sort(), ['Alice', 'Carol', 'bob'], 'and of or');
});

test('fullText ($text/$search) finds words, ignoring case', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.fullText('bio', 'chess')), ['Alice', 'Carol', 'Eve']);
  assert.deepEqual(await names(c, (q) => q.fullText('bio', 'GUITAR')), ['bob']);
  assert.deepEqual(await names(c, (q) => q.fullText('bio', 'saxophone')), []);
});

test('fullText stems words (plays matches play)', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.fullText('bio', 'play')), ['bob']);
});

test('nested keys (a.b) in equalTo, comparisons, exists', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.equalTo('profile.city', 'Paris')), ['Alice'], 'nested equality');
  assert.deepEqual(await names(c, (q) => q.greaterThan('profile.age', 30)), ['Carol', 'Eve'], 'nested comparison');
  assert.deepEqual(await names(c, (q) => q.greaterThan('profile.stats.wins', 2)), ['Alice', 'Eve'], 'two levels deep');
  assert.deepEqual(await names(c, (q) => q.matches('profile.city', '^paris$', 'i')), ['Alice', 'Carol'], 'nested regex');
});

test('nested keys (a.b) with containedIn, notContainedIn, exists', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL answers no results for $in and $exists on a dot path' }, async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.containedIn('profile.city', ['Rome', 'Berlin'])), ['Eve', 'bob'], 'nested containedIn');
  assert.deepEqual(await names(c, (q) => q.exists('profile').notContainedIn('profile.city', ['Rome', 'Berlin'])), ['Alice', 'Carol'], 'nested notContainedIn');
  assert.deepEqual(await names(c, (q) => q.exists('profile.stats')), ['Alice', 'Eve', 'bob'], 'nested exists');
  assert.deepEqual(await names(c, (q) => q.doesNotExist('profile.stats')), ['Carol', 'dave'], 'nested doesNotExist');
});

test('ascending and descending on several keys', async () => {
  const c = await players();
  const byTeamThenScore = await new Parse.Query(c).ascending('team').addDescending('score').find();
  assert.deepEqual(byTeamThenScore.map((o) => o.get('name')), ['Carol', 'Alice', 'Eve', 'bob', 'dave'], 'team asc, score desc');
  const byLevelDescName = await new Parse.Query(c).descending('level').addAscending('name').find();
  assert.deepEqual(byLevelDescName.map((o) => o.get('name')), ['Eve', 'dave', 'Carol', 'bob', 'Alice'], 'level desc, name asc');
  const byScore = await new Parse.Query(c).descending('score').find();
  assert.deepEqual(byScore.map((o) => o.get('score')), [50, 40, 30, 20, 10], 'score desc');
  const byDate = await new Parse.Query(c).ascending('born').exists('born').find();
  assert.deepEqual(byDate.map((o) => o.get('name')), ['Carol', 'Alice', 'bob', 'dave'], 'date asc');
  const rest = await h.rest('GET', `/classes/${c}`, { query: { order: '-level,name', keys: 'name' } });
  assert.deepEqual(rest.body.results.map((r) => r.name), ['Eve', 'dave', 'Carol', 'bob', 'Alice'], 'REST order=-level,name');
});

test('order by createdAt and by objectId', async () => {
  const c = h.cls('Ordered');
  const objs = [];
  for (let i = 0; i < 5; i++) objs.push((await h.seed(c, [{ i }]))[0]);
  const asc = await new Parse.Query(c).ascending('createdAt').addAscending('i').find();
  assert.deepEqual(asc.map((o) => o.get('i')), [0, 1, 2, 3, 4], 'createdAt asc (saved one after another)');
  const desc = await new Parse.Query(c).descending('createdAt').addDescending('i').find();
  assert.deepEqual(desc.map((o) => o.get('i')), [4, 3, 2, 1, 0], 'createdAt desc');
  const byId = await new Parse.Query(c).ascending('objectId').find();
  const ids = byId.map((o) => o.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'objectId asc is by code point');
});

test('limit defaults to 100; limit and skip page through results', async () => {
  const c = h.cls('Paged');
  const rows = [];
  for (let i = 0; i < 105; i++) rows.push({ i });
  await h.seed(c, rows);
  const dflt = await new Parse.Query(c).find();
  assert.equal(dflt.length, 100, 'find() without a limit answers 100 objects');
  const all = await new Parse.Query(c).limit(200).find();
  assert.equal(all.length, 105, 'limit(200) answers all 105');
  const page = await new Parse.Query(c).ascending('i').skip(10).limit(5).find();
  assert.deepEqual(page.map((o) => o.get('i')), [10, 11, 12, 13, 14], 'skip 10, limit 5');
  const tail = await new Parse.Query(c).ascending('i').skip(100).find();
  assert.deepEqual(tail.map((o) => o.get('i')), [100, 101, 102, 103, 104], 'skip 100 of 105');
  const beyond = await new Parse.Query(c).skip(500).find();
  assert.deepEqual(beyond, [], 'skip past the end');
  const first = await new Parse.Query(c).descending('i').first();
  assert.equal(first.get('i'), 104, 'first() is the first in order');
  const restDefault = await h.rest('GET', `/classes/${c}`);
  assert.equal(restDefault.body.results.length, 100, 'REST default limit is 100');
});

test('each() visits every object once, in batches', async () => {
  const c = h.cls('Each');
  const rows = [];
  for (let i = 0; i < 25; i++) rows.push({ i });
  await h.seed(c, rows);
  const seen = [];
  await new Parse.Query(c).each((o) => seen.push(o.get('i')), { batchSize: 10 });
  assert.deepEqual(seen.sort((a, b) => a - b), rows.map((r) => r.i), 'each() saw all 25 (it pages by objectId)');
});

test('select (keys) returns only the chosen fields plus objectId, createdAt, updatedAt', async () => {
  const c = await players();
  const found = await new Parse.Query(c).select('name', 'score').equalTo('name', 'Alice').find();
  assert.equal(found.length, 1);
  const alice = found[0];
  assert.equal(alice.get('name'), 'Alice');
  assert.equal(alice.get('score'), 10);
  assert.equal(alice.get('team'), undefined, 'team was not selected');
  assert.equal(alice.get('tags'), undefined, 'tags was not selected');
  const rest = await h.rest('GET', `/classes/${c}`, { query: { where: { name: 'Alice' }, keys: 'name,score' } });
  assert.deepEqual(Object.keys(rest.body.results[0]).sort(), ['createdAt', 'name', 'objectId', 'score', 'updatedAt'], `REST keys=name,score: ${rest.text}`);
});

test('select with a dot path returns the nested value and leaves other fields out', async () => {
  const c = await players();
  const [alice] = await new Parse.Query(c).select('profile.city').equalTo('name', 'Alice').find();
  assert.equal(alice.get('profile').city, 'Paris', 'profile.city is there');
  assert.equal(alice.get('name'), undefined, 'name was not selected');
  assert.equal(alice.get('score'), undefined, 'score was not selected');
  const rest = await h.rest('GET', `/classes/${c}`, { query: { where: { name: 'Alice' }, keys: 'profile.stats.wins' } });
  const r = rest.body.results[0];
  assert.equal(r.profile.stats.wins, 5, `keys=profile.stats.wins gives profile.stats.wins: ${rest.text}`);
  assert.equal(r.name, undefined, 'no other top-level field');
});

test('select with a dot path returns only that sub-key (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL returns the whole top-level object for keys=a.b' }, async () => {
  const c = await players();
  const rest = await h.rest('GET', `/classes/${c}`, { query: { where: { name: 'Alice' }, keys: 'profile.city' } });
  assert.deepEqual(rest.body.results[0].profile, { city: 'Paris' }, rest.text);
});

test('exclude (excludeKeys) leaves the given fields out', async () => {
  const c = await players();
  const [alice] = await new Parse.Query(c).exclude('bio', 'tags').equalTo('name', 'Alice').find();
  assert.equal(alice.get('bio'), undefined, 'bio excluded');
  assert.equal(alice.get('tags'), undefined, 'tags excluded');
  assert.equal(alice.get('name'), 'Alice', 'name kept');
  assert.deepEqual(alice.get('profile'), ROWS[0].profile, 'profile kept');
  const rest = await h.rest('GET', `/classes/${c}`, { query: { where: { name: 'Alice' }, excludeKeys: 'bio,tags,profile,born' } });
  assert.deepEqual(Object.keys(rest.body.results[0]).sort(), ['active', 'createdAt', 'level', 'name', 'objectId', 'score', 'team', 'updatedAt'], rest.text);
});

test('exclude with a dot path is accepted and keeps the rest of the object', async () => {
  const c = await players();
  const rest = await h.rest('GET', `/classes/${c}`, { query: { where: { name: 'Alice' }, excludeKeys: 'profile.stats,bio' } });
  assert.equal(rest.status, 200, rest.text);
  const r = rest.body.results[0];
  assert.equal(r.bio, undefined, 'bio excluded');
  assert.equal(r.name, 'Alice', 'name kept');
  assert.equal(r.profile.city, 'Paris', 'the rest of profile is kept');
});

test('exclude with a dot path removes only that sub-key (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL ignores dot paths in excludeKeys' }, async () => {
  const c = await players();
  const rest = await h.rest('GET', `/classes/${c}`, { query: { where: { name: 'Alice' }, excludeKeys: 'profile.stats' } });
  assert.deepEqual(rest.body.results[0].profile, { city: 'Paris', age: 30 }, rest.text);
});

test('count with constraints, with limit 0, and ignoring limit and skip', async () => {
  const c = await players();
  assert.equal(await new Parse.Query(c).equalTo('team', 'A').count(), 2, 'count() with a constraint');
  assert.equal(await new Parse.Query(c).greaterThan('score', 100).count(), 0, 'count() of nothing');
  const rest = await h.rest('GET', `/classes/${c}`, { query: { where: { score: { $gte: 20 } }, count: 1, limit: 0 } });
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual(rest.body, { results: [], count: 4 }, `count=1&limit=0 answers {"results":[],"count":4}: ${rest.text}`);
  const withResults = await h.rest('GET', `/classes/${c}`, { query: { where: { score: { $gte: 20 } }, count: 1, limit: 2, order: 'score', keys: 'name' } });
  assert.equal(withResults.body.count, 4, 'count is the total, not the page');
  assert.deepEqual(withResults.body.results.map((r) => r.name), ['bob', 'Carol'], 'and results are the page');
  const { results, count } = await new Parse.Query(c).equalTo('active', true).withCount().limit(1).find();
  assert.equal(count, 3, 'withCount() gives the total');
  assert.equal(results.length, 1, 'withCount() with limit 1');
});

test('count without constraints is exact (Hearth)', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL answers an unconstrained count from the planner estimate (pg_class.reltuples), 0 right after inserts' }, async () => {
  const c = await players();
  assert.equal(await new Parse.Query(c).count(), 5);
  const rest = await h.rest('GET', `/classes/${c}`, { query: { count: 1, limit: 0 } });
  assert.deepEqual(rest.body, { results: [], count: 5 }, rest.text);
});

test('distinct values of a field, with and without constraints', async () => {
  const c = await players();
  const teams = await new Parse.Query(c).distinct('team');
  assert.deepEqual([...teams].sort(), ['A', 'B', 'C']);
  const activeTeams = await new Parse.Query(c).equalTo('active', true).distinct('team');
  assert.deepEqual([...activeTeams].sort(), ['A', 'B']);
  const levels = await new Parse.Query(c).distinct('level');
  assert.deepEqual([...levels].sort(), [1, 2, 3]);
  const nested = await new Parse.Query(c).exists('profile').distinct('profile.city');
  assert.deepEqual([...nested].sort(), ['Berlin', 'Paris', 'Rome', 'paris'], 'distinct on a nested key');
  const rest = await h.rest('GET', `/aggregate/${c}`, { query: { distinct: 'team', where: { level: { $gte: 2 } } } });
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual([...rest.body.results].sort(), ['A', 'B', 'C'], `REST distinct answers {"results":[values]}: ${rest.text}`);
});

test('distinct on a nested key skips objects without the parent field', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL fails with 102 "Cannot read properties of null (reading \'city\')" when an object lacks the parent' }, async () => {
  const c = await players();
  const nested = await new Parse.Query(c).distinct('profile.city');
  assert.deepEqual([...nested].sort(), ['Berlin', 'Paris', 'Rome', 'paris']);
});

test('a query on a class that does not exist answers no results', async () => {
  const c = h.cls('Nothing');
  assert.deepEqual(await new Parse.Query(c).find(), []);
  assert.deepEqual(await new Parse.Query(c).equalTo('x', 1).find(), []);
  const rest = await h.rest('GET', `/classes/${c}`);
  assert.deepEqual(rest.body, { results: [] }, rest.text);
});

test('a constraint on a field the class does not have matches nothing (or everything for doesNotExist)', async () => {
  const c = await players();
  assert.deepEqual(await names(c, (q) => q.equalTo('nope', 'x')), []);
  assert.deepEqual(await names(c, (q) => q.greaterThan('nope', 1)), []);
});

test('REST where with several operators on one field', async () => {
  const c = await players();
  const res = await h.rest('GET', `/classes/${c}`, { query: { where: { score: { $gt: 10, $lt: 50, $ne: 30 }, name: { $exists: true } }, order: 'score', keys: 'name' } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.results.map((r) => r.name), ['bob', 'dave']);
});

test('REST query parameters can also be sent as a POST with _method GET (as the JS SDK does)', async () => {
  const c = await players();
  const app = await h.getApp();
  const res = await fetch(`${h.PARSE_URL}/classes/${c}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ _method: 'GET', _ApplicationId: app.applicationId, _MasterKey: app.keys.masterKey, where: { team: 'B' }, order: 'name', keys: 'name' }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.deepEqual(body.results.map((r) => r.name), ['Eve', 'bob']);
});
