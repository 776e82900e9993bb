'use strict';
// Geo queries: near ($nearSphere, sorted by distance), withinKilometers/Miles/Radians
// ($maxDistance*), their unsorted form ($geoWithin/$centerSphere), withinGeoBox ($within/$box),
// withinPolygon ($geoWithin/$polygon), polygonContains ($geoIntersects/$point).

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

before(() => h.setup());

const CITIES = {
  Paris: [48.8566, 2.3522],
  London: [51.5074, -0.1278], // ~344 km from Paris
  Berlin: [52.52, 13.405], // ~878 km from Paris
  NewYork: [40.7128, -74.006], // ~5,837 km from Paris
  Sydney: [-33.8688, 151.2093], // ~16,960 km from Paris
};
const PARIS = new Parse.GeoPoint(...CITIES.Paris);

async function cities() {
  const className = h.cls('City');
  await h.seed(
    className,
    Object.entries(CITIES).map(([name, [lat, lng]]) => ({ name, location: new Parse.GeoPoint(lat, lng) })),
  );
  return className;
}

const names = (objs) => objs.map((o) => o.get('name'));

test('a GeoPoint round-trips; an object with two GeoPoint fields is refused with 111', async () => {
  const c = await cities();
  const [paris] = await new Parse.Query(c).equalTo('name', 'Paris').find();
  assert.ok(paris.get('location') instanceof Parse.GeoPoint);
  assert.equal(paris.get('location').latitude, CITIES.Paris[0]);
  assert.equal(paris.get('location').longitude, CITIES.Paris[1]);
  const res = await h.rest('POST', `/classes/${h.cls('TwoGeo')}`, {
    body: { a: { __type: 'GeoPoint', latitude: 1, longitude: 2 }, b: { __type: 'GeoPoint', latitude: 3, longitude: 4 } },
  });
  h.assertRestError(res, 400, 111, 'two GeoPoint fields in one object');
});

test('near sorts by distance', async () => {
  const c = await cities();
  const found = await new Parse.Query(c).near('location', PARIS).find();
  assert.deepEqual(names(found), ['Paris', 'London', 'Berlin', 'NewYork', 'Sydney']);
  const fromSydney = await new Parse.Query(c).near('location', new Parse.GeoPoint(...CITIES.Sydney)).limit(2).find();
  assert.equal(names(fromSydney)[0], 'Sydney', 'Sydney is nearest to itself');
  assert.equal(fromSydney.length, 2, 'limit applies to near');
});

test('withinKilometers, withinMiles, withinRadians ($nearSphere + $maxDistance), sorted by distance', async () => {
  const c = await cities();
  assert.deepEqual(names(await new Parse.Query(c).withinKilometers('location', PARIS, 500).find()), ['Paris', 'London'], '500 km');
  assert.deepEqual(names(await new Parse.Query(c).withinKilometers('location', PARIS, 1000).find()), ['Paris', 'London', 'Berlin'], '1000 km');
  assert.deepEqual(names(await new Parse.Query(c).withinMiles('location', PARIS, 600).find()), ['Paris', 'London', 'Berlin'], '600 miles (~965 km)');
  assert.deepEqual(names(await new Parse.Query(c).withinMiles('location', PARIS, 100).find()), ['Paris'], '100 miles');
  assert.deepEqual(names(await new Parse.Query(c).withinRadians('location', PARIS, 0.1).find()), ['Paris', 'London'], '0.1 radians (~637 km)');
  assert.deepEqual(names(await new Parse.Query(c).withinKilometers('location', PARIS, 7000).find()), ['Paris', 'London', 'Berlin', 'NewYork'], '7000 km');
});

test('REST $nearSphere with $maxDistance (radians)', async () => {
  const c = await cities();
  const point = { __type: 'GeoPoint', latitude: CITIES.Paris[0], longitude: CITIES.Paris[1] };
  for (const [key, value, expected] of [
    ['$maxDistance', 0.1, ['Paris', 'London']],
    ['$maxDistance', 0.001, ['Paris']],
  ]) {
    const res = await h.rest('GET', `/classes/${c}`, { query: { where: { location: { $nearSphere: point, [key]: value } }, keys: 'name' } });
    assert.equal(res.status, 200, `${key}: ${res.text}`);
    assert.deepEqual(res.body.results.map((r) => r.name), expected, `${key} ${value}`);
  }
});

test('REST $nearSphere with $maxDistanceInKilometers / InMiles / InRadians', { skip: h.isParseServer && 'Parse Server 9 on PostgreSQL ignores $maxDistanceIn* (only its MongoDB adapter converts them); the SDK always sends $maxDistance' }, async () => {
  const c = await cities();
  const point = { __type: 'GeoPoint', latitude: CITIES.Paris[0], longitude: CITIES.Paris[1] };
  for (const [key, value, expected] of [
    ['$maxDistanceInKilometers', 400, ['Paris', 'London']],
    ['$maxDistanceInMiles', 600, ['Paris', 'London', 'Berlin']],
    ['$maxDistanceInRadians', 0.01, ['Paris']],
  ]) {
    const res = await h.rest('GET', `/classes/${c}`, { query: { where: { location: { $nearSphere: point, [key]: value } }, keys: 'name' } });
    assert.equal(res.status, 200, `${key}: ${res.text}`);
    assert.deepEqual(res.body.results.map((r) => r.name), expected, `${key} ${value}`);
  }
});

test('withinKilometers/Radians/Miles unsorted use $geoWithin/$centerSphere', async () => {
  const c = await cities();
  const q = new Parse.Query(c).withinKilometers('location', PARIS, 1000, false);
  assert.ok(JSON.stringify(q.toJSON()).includes('$centerSphere'), 'the SDK sends $centerSphere');
  assert.deepEqual(names(await q.find()).sort(), ['Berlin', 'London', 'Paris']);
  const byRadians = new Parse.Query(c).withinRadians('location', PARIS, 0.1, false);
  assert.ok(JSON.stringify(byRadians.toJSON()).includes('$centerSphere'), 'withinRadians(..., false) sends $centerSphere');
  assert.deepEqual(names(await byRadians.find()).sort(), ['London', 'Paris'], 'withinRadians unsorted, 0.1 rad');
  const byMiles = new Parse.Query(c).withinMiles('location', PARIS, 100, false);
  assert.deepEqual(names(await byMiles.find()), ['Paris'], 'withinMiles unsorted, 100 miles');
  const rest = await h.rest('GET', `/classes/${c}`, {
    query: { where: { location: { $geoWithin: { $centerSphere: [[CITIES.Paris[1], CITIES.Paris[0]], 0.1] } } }, keys: 'name' },
  });
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual(rest.body.results.map((r) => r.name).sort(), ['London', 'Paris'], '$centerSphere [[lng,lat], radians]');
});

test('withinGeoBox ($within/$box)', async () => {
  const c = await cities();
  const europe = await new Parse.Query(c).withinGeoBox('location', new Parse.GeoPoint(40, -10), new Parse.GeoPoint(60, 20)).find();
  assert.deepEqual(names(europe).sort(), ['Berlin', 'London', 'Paris']);
  const westOfParis = await new Parse.Query(c).withinGeoBox('location', new Parse.GeoPoint(30, -80), new Parse.GeoPoint(55, 0)).find();
  assert.deepEqual(names(westOfParis).sort(), ['London', 'NewYork']);
});

test('withinPolygon ($geoWithin/$polygon) with GeoPoints', async () => {
  const c = await cities();
  const poly = [new Parse.GeoPoint(40, -10), new Parse.GeoPoint(60, -10), new Parse.GeoPoint(60, 20), new Parse.GeoPoint(40, 20)];
  assert.deepEqual(names(await new Parse.Query(c).withinPolygon('location', poly).find()).sort(), ['Berlin', 'London', 'Paris']);
  const triangle = [new Parse.GeoPoint(45, -5), new Parse.GeoPoint(55, -5), new Parse.GeoPoint(45, 10)];
  assert.deepEqual(names(await new Parse.Query(c).withinPolygon('location', triangle).find()).sort(), ['London', 'Paris'], 'triangle');
});

test('polygonContains ($geoIntersects/$point) on a Polygon field', async () => {
  const className = h.cls('Region');
  await h.seed(className, [
    { name: 'unit', area: new Parse.Polygon([[0, 0], [0, 1], [1, 1], [1, 0]]) },
    { name: 'far', area: new Parse.Polygon([[10, 10], [10, 12], [12, 12], [12, 10]]) },
    { name: 'big', area: new Parse.Polygon([[-5, -5], [-5, 5], [5, 5], [5, -5]]) },
  ]);
  const inUnit = await new Parse.Query(className).polygonContains('area', new Parse.GeoPoint(0.5, 0.5)).find();
  assert.deepEqual(names(inUnit).sort(), ['big', 'unit']);
  const inFar = await new Parse.Query(className).polygonContains('area', new Parse.GeoPoint(11, 11)).find();
  assert.deepEqual(names(inFar), ['far']);
  const nowhere = await new Parse.Query(className).polygonContains('area', new Parse.GeoPoint(-50, 50)).find();
  assert.deepEqual(names(nowhere), []);
  const rest = await h.rest('GET', `/classes/${className}`, {
    query: { where: { area: { $geoIntersects: { $point: { __type: 'GeoPoint', latitude: 3, longitude: 3 } } } }, keys: 'name' },
  });
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual(rest.body.results.map((r) => r.name), ['big'], 'REST $geoIntersects');
});

test('a geo query combined with other constraints', async () => {
  const c = await cities();
  const q = new Parse.Query(c).withinKilometers('location', PARIS, 1000).notEqualTo('name', 'Paris');
  assert.deepEqual(names(await q.find()), ['London', 'Berlin']);
});
