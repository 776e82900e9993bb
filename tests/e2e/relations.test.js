'use strict';
// Pointers (equality, include nested and "*", matchesQuery/$inQuery, doesNotMatchQuery/$notInQuery)
// and relations (AddRelation, RemoveRelation, relation.query(), relatedTo).

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

/** Countries <- Clubs <- Players: three classes of their own. */
async function league() {
  const Country = h.cls('Country');
  const Club = h.cls('Club');
  const Player = h.cls('Member');
  const [fr, de] = await h.seed(Country, [
    { code: 'FR', name: 'France' },
    { code: 'DE', name: 'Germany' },
  ]);
  const [psg, bay, lyon] = await h.seed(Club, [
    { name: 'PSG', rich: true, country: fr, founded: 1970 },
    { name: 'Bayern', rich: true, country: de, founded: 1900 },
    { name: 'Lyon', rich: false, country: fr, founded: 1950 },
  ]);
  const players = await h.seed(Player, [
    { name: 'p1', club: psg, goals: 10 },
    { name: 'p2', club: psg, goals: 3 },
    { name: 'p3', club: bay, goals: 7 },
    { name: 'p4', club: lyon, goals: 1 },
    { name: 'p5', goals: 0 },
  ]);
  return { Country, Club, Player, fr, de, psg, bay, lyon, players };
}

const namesOf = (objs) => objs.map((o) => o.get('name')).sort();

test('pointers are stored as {"__type":"Pointer"} and compared by equalTo / notEqualTo / containedIn', async () => {
  const l = await league();
  assert.deepEqual(namesOf(await new Parse.Query(l.Player).equalTo('club', l.psg).find()), ['p1', 'p2'], 'equalTo(pointer)');
  assert.deepEqual(namesOf(await new Parse.Query(l.Player).notEqualTo('club', l.psg).find()), ['p3', 'p4', 'p5'], 'notEqualTo(pointer), p5 has no club');
  assert.deepEqual(namesOf(await new Parse.Query(l.Player).containedIn('club', [l.bay, l.lyon]).find()), ['p3', 'p4'], 'containedIn(pointers)');
  const rest = await h.rest('GET', `/classes/${l.Player}`, {
    query: { where: { club: { __type: 'Pointer', className: l.Club, objectId: l.bay.id } }, keys: 'name,club' },
  });
  assert.equal(rest.status, 200, rest.text);
  assert.equal(rest.body.results.length, 1, rest.text);
  assert.deepEqual(rest.body.results[0].club, { __type: 'Pointer', className: l.Club, objectId: l.bay.id }, 'an unincluded pointer is returned as a Pointer');
});

test('include replaces a pointer with the full object', async () => {
  const l = await league();
  const [p1] = await new Parse.Query(l.Player).equalTo('name', 'p1').include('club').find();
  const club = p1.get('club');
  assert.equal(club.id, l.psg.id);
  assert.equal(club.get('name'), 'PSG', 'the included club has its fields');
  assert.equal(club.get('founded'), 1970);
  assert.equal(club.get('country').get('name'), undefined, 'the second level is not included');

  const rest = await h.rest('GET', `/classes/${l.Player}`, { query: { where: { name: 'p1' }, include: 'club' } });
  const c = rest.body.results[0].club;
  assert.equal(c.__type, 'Object', `an included object has "__type":"Object": ${rest.text}`);
  assert.equal(c.className, l.Club, 'and its className');
  assert.equal(c.objectId, l.psg.id);
  assert.equal(c.name, 'PSG');
  assert.ok(c.createdAt && c.updatedAt, 'and its timestamps');
});

test('nested include (a.b) includes both levels', async () => {
  const l = await league();
  const found = await new Parse.Query(l.Player).include('club.country').ascending('name').find();
  const p3 = found.find((o) => o.get('name') === 'p3');
  assert.equal(p3.get('club').get('name'), 'Bayern');
  assert.equal(p3.get('club').get('country').get('name'), 'Germany', 'club.country is included');
  const p5 = found.find((o) => o.get('name') === 'p5');
  assert.equal(p5.get('club'), undefined, 'an object without the pointer is still returned');
});

test('include of a pointer to a deleted object leaves the pointer out or as a pointer', async () => {
  const l = await league();
  await l.lyon.destroy();
  const [p4] = await new Parse.Query(l.Player).equalTo('name', 'p4').include('club').find();
  assert.ok(p4, 'the object is still found');
  const club = p4.get('club');
  assert.ok(club === undefined || club.get('name') === undefined, 'the dangling pointer is not filled in');
});

test('include("*") includes every pointer field of the first level', async () => {
  const l = await league();
  const [psg] = await new Parse.Query(l.Club).equalTo('name', 'PSG').include('*').find();
  assert.equal(psg.get('country').get('name'), 'France', '"*" includes country');
  const Holder = h.cls('Holder');
  const [holder] = await h.seed(Holder, [{ a: l.psg, b: l.fr, label: 'x' }]);
  const [got] = await new Parse.Query(Holder).equalTo('objectId', holder.id).include('*').find();
  assert.equal(got.get('a').get('name'), 'PSG', '"*" includes a');
  assert.equal(got.get('b').get('name'), 'France', '"*" includes b');
});

test('include of an array of pointers', async () => {
  const l = await league();
  const Team = h.cls('Squad');
  const [squad] = await h.seed(Team, [{ members: l.players.slice(0, 3) }]);
  const [got] = await new Parse.Query(Team).equalTo('objectId', squad.id).include('members').find();
  assert.deepEqual(got.get('members').map((m) => m.get('name')), ['p1', 'p2', 'p3'], 'the array keeps its order and every pointer is filled in');
});

test('select with include: keys on the included object', async () => {
  const l = await league();
  const [p1] = await new Parse.Query(l.Player).equalTo('name', 'p1').include('club').select('name', 'club.name').find();
  assert.equal(p1.get('name'), 'p1');
  assert.equal(p1.get('goals'), undefined, 'goals not selected');
  assert.equal(p1.get('club').get('name'), 'PSG', 'club.name selected');
});

test('matchesQuery ($inQuery) and doesNotMatchQuery ($notInQuery) on pointers', async () => {
  const l = await league();
  const rich = new Parse.Query(l.Club).equalTo('rich', true);
  assert.deepEqual(namesOf(await new Parse.Query(l.Player).matchesQuery('club', rich).find()), ['p1', 'p2', 'p3'], 'players of rich clubs');
  const rich2 = new Parse.Query(l.Club).equalTo('rich', true);
  const others = namesOf(await new Parse.Query(l.Player).doesNotMatchQuery('club', rich2).find());
  assert.ok(others.includes('p4'), 'p4 (Lyon) is not in a rich club');
  assert.ok(!others.includes('p1') && !others.includes('p3'), 'players of rich clubs are left out');

  // Two levels: players whose club is in France.
  const french = new Parse.Query(l.Club).matchesQuery('country', new Parse.Query(l.Country).equalTo('code', 'FR'));
  assert.deepEqual(namesOf(await new Parse.Query(l.Player).matchesQuery('club', french).find()), ['p1', 'p2', 'p4'], 'nested $inQuery');
});

test('relation: AddRelation, query(), RemoveRelation', async () => {
  const l = await league();
  const Fan = h.cls('Fan');
  const fan = new Parse.Object(Fan);
  fan.set('name', 'fan1');
  const rel = fan.relation('likes');
  rel.add([l.players[0], l.players[2]]);
  await fan.save();

  let liked = await fan.relation('likes').query().ascending('name').find();
  assert.deepEqual(liked.map((o) => o.get('name')), ['p1', 'p3'], 'relation.query() lists the added objects');

  fan.relation('likes').add(l.players[3]);
  fan.relation('likes').add(l.players[0]); // already there
  await fan.save();
  liked = await fan.relation('likes').query().ascending('name').find();
  assert.deepEqual(liked.map((o) => o.get('name')), ['p1', 'p3', 'p4'], 'adding twice keeps one link');

  fan.relation('likes').remove(l.players[0]);
  await fan.save();
  liked = await fan.relation('likes').query().ascending('name').find();
  assert.deepEqual(liked.map((o) => o.get('name')), ['p3', 'p4'], 'RemoveRelation unlinks');

  // Constraints on a relation query.
  const scorers = await fan.relation('likes').query().greaterThan('goals', 5).find();
  assert.deepEqual(namesOf(scorers), ['p3'], 'relation query with a constraint');
  assert.equal(await fan.relation('likes').query().count(), 2, 'count of a relation query');
});

test('relation ops over REST: AddRelation / RemoveRelation with several objects, and relatedTo', async () => {
  const l = await league();
  const Fan = h.cls('Fan');
  const ptr = (o) => ({ __type: 'Pointer', className: l.Player, objectId: o.id });
  const created = await h.rest('POST', `/classes/${Fan}`, {
    body: { name: 'rest-fan', likes: { __op: 'AddRelation', objects: l.players.map(ptr) } },
  });
  assert.equal(created.status, 201, created.text);
  const id = created.body.objectId;
  const removed = await h.rest('PUT', `/classes/${Fan}/${id}`, {
    body: { likes: { __op: 'RemoveRelation', objects: [ptr(l.players[1]), ptr(l.players[4])] } },
  });
  assert.equal(removed.status, 200, removed.text);
  const res = await h.rest('GET', `/classes/${l.Player}`, {
    query: { where: { $relatedTo: { object: { __type: 'Pointer', className: Fan, objectId: id }, key: 'likes' } }, order: 'name', keys: 'name' },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.results.map((r) => r.name), ['p1', 'p3', 'p4'], '$relatedTo lists what is left');
  const fan = await h.rest('GET', `/classes/${Fan}/${id}`);
  assert.deepEqual(fan.body.likes, { __type: 'Relation', className: l.Player }, 'the relation field reads as a Relation');
});

test('relatedTo (through relation.query()), and relations of two parents are independent', async () => {
  const l = await league();
  const Fan = h.cls('Fan');
  const a = new Parse.Object(Fan);
  const b = new Parse.Object(Fan);
  a.relation('likes').add([l.players[0], l.players[1]]);
  b.relation('likes').add([l.players[1], l.players[2]]);
  await Parse.Object.saveAll([a, b]);
  // relation.query() is a query on Player with where {"$relatedTo": {"object": <a>, "key": "likes"}}.
  const ofA = await a.relation('likes').query().find();
  assert.deepEqual(namesOf(ofA), ['p1', 'p2']);
  const ofB = await b.relation('likes').query().find();
  assert.deepEqual(namesOf(ofB), ['p2', 'p3']);
  const ofBScored = await b.relation('likes').query().greaterThan('goals', 5).find();
  assert.deepEqual(namesOf(ofBScored), ['p3'], 'relatedTo with another constraint');
});

test('equalTo on a relation field finds the parents of an object', async () => {
  const l = await league();
  const Fan = h.cls('Fan');
  const a = new Parse.Object(Fan);
  a.set('name', 'a');
  const b = new Parse.Object(Fan);
  b.set('name', 'b');
  a.relation('likes').add([l.players[0], l.players[1]]);
  b.relation('likes').add([l.players[1]]);
  await Parse.Object.saveAll([a, b]);
  assert.deepEqual(namesOf(await new Parse.Query(Fan).equalTo('likes', l.players[1]).find()), ['a', 'b'], 'both fans like p2');
  assert.deepEqual(namesOf(await new Parse.Query(Fan).equalTo('likes', l.players[0]).find()), ['a'], 'only a likes p1');
});

test('a relation to another class than the field was created with is refused with 111', async () => {
  const l = await league();
  const Fan = h.cls('Fan');
  const fan = new Parse.Object(Fan);
  fan.relation('likes').add(l.players[0]);
  await fan.save();
  const res = await h.rest('PUT', `/classes/${Fan}/${fan.id}`, {
    body: { likes: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: l.Club, objectId: l.psg.id }] } },
  });
  h.assertRestError(res, 400, 111, 'AddRelation of a Club to a relation of Players');
});

test('a pointer to another class than the field was created with is refused with 111', async () => {
  const l = await league();
  const res = await h.rest('POST', `/classes/${l.Player}`, {
    body: { name: 'wrong', club: { __type: 'Pointer', className: l.Country, objectId: l.fr.id } },
  });
  h.assertRestError(res, 400, 111, 'pointer to Country in a Club pointer field');
});
