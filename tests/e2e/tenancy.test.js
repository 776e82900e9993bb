'use strict';
// Two apps on one Hearth, with the same class names, never see each other's objects, schemas,
// config or counts; one app's keys never open another app's data.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { Parse } = h;

// Parse Server serves one app per process here: there is no second app to isolate from.
const SKIP = h.isParseServer && 'Parse Server runs one app per process in this suite; tenancy is Hearth behaviour';

describe('two apps with the same class names', { skip: SKIP }, () => {
  let a; // this file's app, driven by the SDK and REST
  let b; // a second app, driven by REST

  before(async () => {
    a = await h.setup();
    b = await h.createHearthApp('e2e tenancy B');
    assert.notEqual(a.applicationId, b.applicationId, 'two different apps');
  });

  test('objects of one app are invisible to the other', async () => {
    const Shared = h.cls('Shared');
    await h.seed(Shared, [
      { owner: 'A', n: 1 },
      { owner: 'A', n: 2 },
    ]);
    const createdB = await h.rest('POST', `/classes/${Shared}`, { app: b, body: { owner: 'B', n: 3 } });
    assert.equal(createdB.status, 201, createdB.text);

    const inA = await new Parse.Query(Shared).find();
    assert.deepEqual(inA.map((o) => o.get('owner')).sort(), ['A', 'A'], 'app A sees only its two objects');
    const inB = await h.rest('GET', `/classes/${Shared}`, { app: b });
    assert.deepEqual(inB.body.results.map((r) => r.owner), ['B'], 'app B sees only its object');

    const countB = await h.rest('GET', `/classes/${Shared}`, { app: b, query: { count: 1, limit: 0 } });
    assert.equal(countB.body.count, 1, 'counts are per app');

    const aId = inA[0].id;
    const crossGet = await h.rest('GET', `/classes/${Shared}/${aId}`, { app: b });
    h.assertRestError(crossGet, 404, 101, "app B getting app A's object by id");
    const crossPut = await h.rest('PUT', `/classes/${Shared}/${aId}`, { app: b, body: { owner: 'hacked' } });
    h.assertRestError(crossPut, 404, 101, "app B updating app A's object by id");
    const crossDelete = await h.rest('DELETE', `/classes/${Shared}/${aId}`, { app: b });
    assert.ok(crossDelete.status === 404 || crossDelete.status === 200, `app B deleting app A's object: ${crossDelete.text}`);
    const still = await new Parse.Query(Shared).get(aId);
    assert.equal(still.get('owner'), 'A', "app A's object is untouched");
  });

  test("one app's keys do not open the other app", async () => {
    const Shared = h.cls('Shared');
    await h.ok(await h.rest('POST', `/classes/${Shared}`, { app: b, body: { owner: 'B' } }));
    const mixed = { applicationId: b.applicationId, keys: a.keys };
    for (const key of ['master', 'rest', 'js', 'client']) {
      const res = await h.rest('GET', `/classes/${Shared}`, { app: mixed, key });
      assert.equal(res.status, 403, `B's app id with A's ${key} key answers 403: ${res.text}`);
    }
    const res = await h.rest('POST', `/classes/${Shared}`, { app: mixed, body: { owner: 'intruder' } });
    assert.equal(res.status, 403, res.text);
  });

  test('schemas are per app: same class name, different fields and types', async () => {
    const Typed = h.cls('Typed');
    await h.seed(Typed, [{ score: 10 }]);
    const inB = await h.rest('POST', `/classes/${Typed}`, { app: b, body: { score: 'ten', onlyB: true } });
    assert.equal(inB.status, 201, `B may use another type for the same field name: ${inB.text}`);
    const schemaA = await new Parse.Schema(Typed).get();
    assert.deepEqual(schemaA.fields.score, { type: 'Number' });
    assert.equal(schemaA.fields.onlyB, undefined, "B's field is not in A's schema");
    const schemaB = await h.rest('GET', `/schemas/${Typed}`, { app: b });
    assert.deepEqual(schemaB.body.fields.score, { type: 'String' });
    const onlyInA = h.cls('OnlyA');
    await h.seed(onlyInA, [{ x: 1 }]);
    h.assertRestError(await h.rest('GET', `/schemas/${onlyInA}`, { app: b }), 400, 103, "A's class does not exist in B");
    const allB = await h.rest('GET', '/schemas', { app: b });
    assert.ok(!allB.body.results.some((s) => s.className === onlyInA), "B's schema list does not show A's class");
  });

  test('queries, aggregates and batches stay inside the app', async () => {
    const Agg = h.cls('Agg');
    await h.seed(Agg, [{ g: 'x', v: 1 }, { g: 'x', v: 2 }]);
    await h.ok(await h.rest('POST', `/classes/${Agg}`, { app: b, body: { g: 'x', v: 100 } }));
    const sumA = await new Parse.Query(Agg).aggregate([{ $group: { _id: '$g', total: { $sum: '$v' } } }]);
    assert.deepEqual(sumA, [{ objectId: 'x', total: 3 }], "A's aggregate sums only A's objects");
    const distinctB = await h.rest('GET', `/aggregate/${Agg}`, { app: b, query: { distinct: 'v' } });
    assert.deepEqual(distinctB.body.results, [100], "B's distinct sees only B's objects");
    const [objA] = await new Parse.Query(Agg).equalTo('v', 1).find();
    const batch = await h.rest('POST', '/batch', {
      app: b,
      body: { requests: [{ method: 'PUT', path: `/parse/classes/${Agg}/${objA.id}`, body: { v: 999 } }, { method: 'DELETE', path: `/parse/classes/${Agg}/${objA.id}` }] },
    });
    assert.ok(batch.status < 500, batch.text);
    const again = await new Parse.Query(Agg).get(objA.id);
    assert.equal(again.get('v'), 1, "B's batch did not touch A's object");
    const Rel = h.cls('Rel');
    const parent = new Parse.Object(Rel);
    parent.relation('kids').add(objA);
    await parent.save();
    const related = await h.rest('GET', `/classes/${Agg}`, {
      app: b,
      query: { where: { $relatedTo: { object: { __type: 'Pointer', className: Rel, objectId: parent.id }, key: 'kids' } } },
    });
    assert.ok(related.status < 500, related.text);
    if (related.status === 200) assert.deepEqual(related.body.results, [], "B cannot follow A's relation");
  });

  test('config is per app', async () => {
    const key = `tenancy_${h.rand(6)}`;
    await Parse.Config.save({ [key]: 'from A' });
    const inB = await h.rest('GET', '/config', { app: b });
    assert.equal(inB.status, 200, inB.text);
    assert.equal(key in (inB.body.params || {}), false, "A's parameter is not in B's config");
    await h.ok(await h.rest('PUT', '/config', { app: b, body: { params: { [key]: 'from B' } } }));
    const inA = await Parse.Config.get();
    assert.equal(inA.get(key), 'from A', "B's write did not change A's value");
  });

  test('the app of a JS SDK style request comes from _ApplicationId in the body', async () => {
    const Body = h.cls('Body');
    await h.seed(Body, [{ owner: 'A' }]);
    await h.ok(await h.rest('POST', `/classes/${Body}`, { app: b, body: { owner: 'B' } }));
    const res = await fetch(`${h.PARSE_URL}/classes/${Body}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ _method: 'GET', _ApplicationId: b.applicationId, _JavaScriptKey: b.keys.javascriptKey }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.results.map((r) => r.owner), ['B'], "B's id in the body reads B's data");
    const wrongKey = await fetch(`${h.PARSE_URL}/classes/${Body}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ _method: 'GET', _ApplicationId: b.applicationId, _JavaScriptKey: a.keys.javascriptKey }),
    });
    assert.equal(wrongKey.status, 403, "B's id with A's key in the body is refused");
  });
});
