'use strict';
// The generated TypeScript SDK of an app with every field type, downloaded from the management
// API: it type-checks under `tsc --strict`, a misspelt field or a value of the wrong type does
// not (and the compiler names the field), and, compiled to JavaScript and imported, it works
// against this Hearth: typed CRUD with operators, queries, users with a session kept in a custom
// store, files, cloud functions, LiveQuery, the offline cache (fresh, expired, network down) and
// a create whose answer was lost, retried by the SDK and applied once.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const WebSocket = require('ws');
const h = require('../lib/harness');
const { until } = require('../lib/wait');
const { getSdk, typecheck, typecheckWith, buildTs, createClasses } = require('../lib/sdk');
const { compileExample, deploy } = require('../lib/functions');

const HEARTH_ONLY = h.isHearth ? false : 'generated SDKs are Hearth\'s';

/** A Map-backed session store whose calls are asynchronous, as AsyncStorage's are. */
function asyncStore() {
  const map = new Map();
  return {
    map,
    get: async (k) => (map.has(k) ? map.get(k) : null),
    set: async (k, v) => void map.set(k, v),
    remove: async (k) => void map.delete(k),
  };
}

describe('the generated TypeScript SDK', { skip: HEARTH_ONLY }, () => {
  let app;
  let dir;
  /** The compiled SDK module. */
  let sdk;
  /** Options every client of the tests starts from. */
  let base;
  const sockets = [];

  before(async () => {
    // The module declaring its functions' types (`score` typed, `hello` not); compiled before the
    // first request (the compiler blocks this process).
    const typed = compileExample('typed');
    app = await h.appWith({ liveQuery: { classNames: ['Player', 'Team'] } }, 'sdk-ts');
    await createClasses(app);
    await deploy(app, typed);
    dir = await getSdk(app, 'ts');
  });

  after(async () => {
    for (const ws of sockets) ws.close();
  });

  test('the package is an ES module with types, and type-checks under --strict', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.types, './dist/index.d.ts');
    assert.deepEqual(Object.keys(pkg.dependencies || {}), [], 'no runtime dependencies');
    assert.ok(fs.existsSync(path.join(dir, 'src', 'models', 'Player.ts')), 'one model file per class');
    const index = fs.readFileSync(path.join(dir, 'src', 'index.ts'), 'utf8');
    assert.ok(!index.includes('"score"'), 'the index names classes only, never their fields');
    const { ok, output } = await typecheck(dir);
    assert.ok(ok, `tsc --strict accepts the generated SDK:\n${output}`);
  });

  test('typed code type-checks, and each `@ts-expect-error` line is an error', async () => {
    const { ok, output } = await typecheckWith(dir, 'check-good', `
import { Player, Team, ParseUser, increment, add, addRelation, unset, pointer, Query, functions, type ScoreParams, type ScoreResult } from "./index.js";
export async function check(): Promise<void> {
  const p: Player = await Player.create({ name: "a", score: 1, tags: ["x"], birthday: new Date() });
  await Player.update(p.objectId!, { score: increment(2), tags: add("y"), meta: unset() });
  const q: Query<Player> = Player.query().where(Player.f.score.greaterThan(1), Player.f.name.startsWith("a")).order(Player.f.score.descending()).include(Player.f.team);
  const list: Player[] = await q.find({ cache: "networkElseCache", ttlMs: 1000 });
  const team: Team | undefined = list[0]?.team && "name" in list[0].team ? list[0].team : undefined;
  void team;
  const params: ScoreParams = { playerId: "x", bonus: 1 };
  const result: ScoreResult = await functions.score(params);
  const total: number = result.total;
  const hello: unknown = await functions.hello({ name: "x" });
  void total; void hello;
  // @ts-expect-error playerId is required
  await functions.score({ bonus: 1 });
  // @ts-expect-error bonus is a number
  await functions.score({ playerId: "x", bonus: "1" });
  // @ts-expect-error a property the function does not declare
  await functions.score({ playerId: "x", extra: true });
  // @ts-expect-error a function the app does not have
  await functions.nope({});
  // @ts-expect-error a required field left out on create
  await Player.create({ score: 1 });
  await Player.update("x", { score: 1 });
  // @ts-expect-error a misspelt field reference
  Player.f.scroe;
  // @ts-expect-error a number field compared with a string
  Player.f.score.equalTo("ten");
  // @ts-expect-error a condition on another class
  Player.query().where(Team.f.name.equalTo("x"));
  // @ts-expect-error Increment on a string field
  await Player.update("x", { name: increment(1) });
  // @ts-expect-error a pointer to the wrong class
  await Player.create({ name: "b", team: pointer<ParseUser>("_User", "u") });
  // @ts-expect-error an object without an objectId cannot be pointed to
  await Player.create({ name: "b", team: {} });
  // @ts-expect-error nor one the app built without saving it
  await Player.create({ name: "b", team: { name: "unsaved" } });
  const saved = await Team.create({ name: "t" });
  await Player.create({ name: "b", team: saved });
  await Player.update("x", { fans: addRelation(await ParseUser.logIn("u", "p")) });
}
`);
    assert.ok(ok, `tsc accepts the typed code and every expected error happens:\n${output}`);
  });

  test('a misspelt field fails to type-check and the compiler names it', async () => {
    const { ok, output } = await typecheckWith(dir, 'check-bad-field', 'import { Player } from "./index.js";\nexport const p = Player.create({ name: "a", scroe: 10 });\n');
    assert.ok(!ok, 'tsc refuses a misspelt field');
    assert.match(output, /check-bad-field\.ts\(2,\d+\): error TS\d+: .*'scroe'/, output);
  });

  test('a value of the wrong type fails to type-check', async () => {
    const source = 'import { Player } from "./index.js";\nexport const p = Player.create({ name: "a", score: "ten" });\nexport const c = Player.f.active.equalTo(1);\n';
    const { ok, output } = await typecheckWith(dir, 'check-bad-type', source);
    assert.ok(!ok, 'tsc refuses values of the wrong type');
    assert.match(output, /check-bad-type\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type .*number/, output);
    assert.match(output, /check-bad-type\.ts\(3,\d+\): error TS2345: Argument of type 'number' is not assignable to parameter of type 'boolean'/, output);
  });

  test('your own fetch and WebSocket type-check against the DOM\'s and Node\'s declarations', async () => {
    // The transport types must accept each platform's own: an app compiles with the DOM library
    // (browsers, React Native) or with @types/node (Node 20, where `ws` is the WebSocket).
    const uses = `
import { initialize } from "./index.js";
export function setUp(): void {
  initialize({ fetch, WebSocket });
  initialize({ fetch: (u, i) => fetch(u, i) });
  initialize({ fetch: globalThis.fetch.bind(globalThis) });
}
`;
    const dom = await typecheckWith(dir, 'check-dom', `/// <reference lib="dom" />${uses}`);
    assert.ok(dom.ok, `the DOM's fetch and WebSocket fit:\n${dom.output}`);
    const nodeTypes = path.join(__dirname, '..', 'node_modules', '@types', 'node', 'index.d.ts');
    const node = await typecheckWith(dir, 'check-node', `/// <reference path=${JSON.stringify(nodeTypes)} />${uses}`);
    assert.ok(node.ok, `Node's fetch and WebSocket fit:\n${node.output}`);
  });

  describe('compiled and run against the server', () => {
    before(async () => {
      sdk = await import(pathToFileURL(await buildTs(dir)).href);
      base = { serverURL: h.PARSE_URL, javascriptKey: app.keys.javascriptKey, retry: { baseDelayMs: 20 } };
      sdk.initialize(base);
    });

    test('the defaults baked in are the app id and this server, never a key', async () => {
      assert.equal(sdk.APP.applicationId, app.applicationId);
      assert.equal(sdk.APP.serverURL, h.PARSE_URL);
      const text = fs.readdirSync(path.join(dir, 'src'), { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(path.join(dir, 'src', f), 'utf8')).join('\n');
      for (const key of Object.values(app.keys)) assert.ok(!text.includes(key), 'no key of the app in the package');
    });

    test('codec: base64 and UTF-8 without platform helpers, canonical JSON, a `__proto__` key stays a key', () => {
      for (const n of [0, 1, 2, 3, 4, 5, 255]) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) % 256);
        assert.equal(sdk.base64Encode(bytes), Buffer.from(bytes).toString('base64'), `${n} bytes`);
        assert.deepEqual(Array.from(sdk.base64Decode(Buffer.from(bytes).toString('base64'))), Array.from(bytes));
      }
      const text = 'aé€😀';
      assert.deepEqual(Array.from(sdk.utf8(text)), Array.from(Buffer.from(text, 'utf8')));
      assert.equal(sdk.canonicalJSON({ b: 1, a: [{ d: 1, c: 2 }], u: undefined }), '{"a":[{"c":2,"d":1}],"b":1}');
      const decoded = sdk.decode(JSON.parse('{"__proto__": {"polluted": true}, "when": {"__type": "Date", "iso": "2020-01-02T03:04:05.000Z"}}'));
      assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
      assert.deepEqual(Object.keys(decoded), ['__proto__', 'when']);
      assert.ok(decoded.when instanceof Date);
      assert.equal(JSON.stringify(sdk.encode(decoded)), '{"__proto__":{"polluted":true},"when":{"__type":"Date","iso":"2020-01-02T03:04:05.000Z"}}');
      assert.equal(JSON.stringify(sdk.whereOf([new sdk.NumberField('__proto__').greaterThan(1)])), '{"__proto__":{"$gt":1}}');
    });

    test('typed CRUD: every field type round-trips, operators update, delete removes', async () => {
      const team = await sdk.Team.create({ name: 'Reds' });
      assert.equal(team.className, 'Team');
      assert.ok(team.objectId && team.createdAt instanceof Date);
      const birthday = new Date('1990-05-17T10:00:00.000Z');
      const raw = sdk.bytes(new Uint8Array([0, 1, 2, 250]));
      const p = await sdk.Player.create({
        name: 'Ada', score: 10, active: true, birthday, meta: { level: 3, nested: { ok: true } }, tags: ['a', 'b'],
        team, location: sdk.geoPoint(48.85, 2.35), area: sdk.polygon([[0, 0], [0, 1], [1, 1]]), raw,
      });
      const got = await sdk.Player.query().include(sdk.Player.f.team).get(p.objectId);
      assert.equal(got.className, 'Player');
      assert.equal(got.name, 'Ada');
      assert.equal(got.score, 10);
      assert.equal(got.active, true);
      assert.ok(got.birthday instanceof Date, 'a Date field reads as a Date');
      assert.equal(got.birthday.toISOString(), birthday.toISOString());
      assert.deepEqual(got.meta, { level: 3, nested: { ok: true } });
      assert.deepEqual(got.tags, ['a', 'b']);
      assert.equal(got.team.className, 'Team', 'an included pointer is the object');
      assert.equal(got.team.name, 'Reds');
      assert.ok(got.team.createdAt instanceof Date);
      assert.deepEqual(got.location, { __type: 'GeoPoint', latitude: 48.85, longitude: 2.35 });
      assert.deepEqual(got.area.coordinates, [[0, 0], [0, 1], [1, 1]]);
      assert.deepEqual(Array.from(sdk.base64Decode(got.raw.base64)), [0, 1, 2, 250]);
      const plain = await sdk.Player.get(p.objectId);
      assert.deepEqual(plain.team, { __type: 'Pointer', className: 'Team', objectId: team.objectId }, 'without include a pointer stays a pointer');

      const updated = await sdk.Player.update(p.objectId, { score: sdk.increment(5), tags: sdk.addUnique('b', 'c'), meta: sdk.unset() });
      assert.equal(updated.score, 15, 'the server answers the incremented value');
      const after1 = await sdk.Player.get(p.objectId);
      assert.equal(after1.score, 15);
      assert.deepEqual(after1.tags, ['a', 'b', 'c']);
      assert.equal(after1.meta, undefined);
      await sdk.Player.save({ objectId: p.objectId, tags: sdk.remove('a'), active: false });
      const after2 = await sdk.Player.get(p.objectId);
      assert.deepEqual(after2.tags, ['b', 'c']);
      assert.equal(after2.active, false);

      const fan = await h.rest('POST', '/users', { app, body: { username: `fan-${h.rand(6)}`, password: 'pw-123456', ACL: { '*': { read: true } } } });
      assert.equal(fan.status, 201, fan.text);
      await sdk.Player.update(p.objectId, { fans: sdk.addRelation(sdk.pointer('_User', fan.body.objectId)) });
      const fans = await sdk.ParseUser.query().relatedTo(after2, sdk.Player.f.fans).find();
      assert.deepEqual(fans.map((u) => u.objectId), [fan.body.objectId]);
      const byFan = await sdk.Player.query().where(sdk.Player.f.fans.contains(sdk.pointer('_User', fan.body.objectId))).find();
      assert.deepEqual(byFan.map((x) => x.objectId), [p.objectId]);

      const results = await sdk.batch([sdk.Team.createOp({ name: 'Blues' }), sdk.Team.updateOp(team.objectId, { name: 'Reds 2' }), sdk.Team.destroyOp('nope')]);
      assert.ok(results[0].success.objectId, 'a batch create answers the new id');
      assert.ok(results[1].success.updatedAt);
      assert.equal(results[2].error.code, sdk.ErrorCode.OBJECT_NOT_FOUND ?? 101);
      assert.equal((await sdk.Team.get(team.objectId)).name, 'Reds 2');

      await sdk.Player.destroy(p.objectId);
      await assert.rejects(sdk.Player.get(p.objectId), (e) => e instanceof sdk.ParseError && e.code === 101 && !e.network);
    });

    test('queries: where, order, limit, skip, include, keys, count, or', async () => {
      const team = await sdk.Team.create({ name: 'Q-team' });
      for (let i = 1; i <= 6; i++) await sdk.Player.create({ name: `q${i}`, score: i * 10, active: i % 2 === 0, team, tags: [`t${i}`] });
      const F = sdk.Player.f;
      const q = () => sdk.Player.query().where(F.name.startsWith('q'));
      assert.deepEqual((await q().where(F.score.greaterThan(20), F.score.lessThanOrEqualTo(50)).ascending(F.score).find()).map((p) => p.name), ['q3', 'q4', 'q5']);
      assert.deepEqual((await q().order(F.score.descending()).limit(2).skip(1).find()).map((p) => p.name), ['q5', 'q4']);
      assert.deepEqual((await q().where(F.name.containedIn(['q1', 'q6', 'zz'])).ascending(F.name).find()).map((p) => p.name), ['q1', 'q6']);
      assert.deepEqual((await q().where(F.tags.contains('t2')).find()).map((p) => p.name), ['q2']);
      assert.equal(await q().where(F.active.equalTo(true)).count(), 3);
      const counted = await q().limit(1).findWithCount();
      assert.equal(counted.results.length, 1);
      assert.equal(counted.count, 6);
      const picked = await q().select(F.name).ascending(F.score).first();
      assert.equal(picked.name, 'q1');
      assert.equal(picked.score, undefined, 'keys leaves the other fields out');
      const included = await q().include(F.team).first();
      assert.equal(included.team.name, 'Q-team');
      const either = sdk.Query.or(q().where(F.score.equalTo(10)), q().where(F.score.equalTo(60)));
      assert.deepEqual((await either.ascending(F.score).find()).map((p) => p.name), ['q1', 'q6']);
      const inTeam = await sdk.Player.query().where(F.team.matchesQuery(sdk.Team.query().where(sdk.Team.f.name.equalTo('Q-team')))).count();
      assert.equal(inTeam, 6);
    });

    test('queries: geo conditions and and', async () => {
      const tag = `geo-${h.rand(6)}`;
      const F = sdk.Player.f;
      await sdk.Player.create({ name: `${tag}-paris`, score: 1, location: sdk.geoPoint(48.8566, 2.3522), area: sdk.polygon([[48, 2], [49, 2], [49, 3], [48, 3]]) });
      await sdk.Player.create({ name: `${tag}-lyon`, score: 2, location: sdk.geoPoint(45.764, 4.8357), area: sdk.polygon([[45, 4], [46, 4], [46, 5], [45, 5]]) });
      await sdk.Player.create({ name: `${tag}-nyc`, score: 3, location: sdk.geoPoint(40.7128, -74.006) });
      const q = () => sdk.Player.query().where(F.name.startsWith(tag));
      const names = (list) => list.map((p) => p.name.slice(tag.length + 1));
      assert.deepEqual(names(await q().where(F.location.near(sdk.geoPoint(48.85, 2.35))).find()), ['paris', 'lyon', 'nyc'], 'near orders by distance');
      assert.deepEqual(names(await q().where(F.location.withinKilometers(sdk.geoPoint(48.85, 2.35), 500)).ascending(F.score).find()), ['paris', 'lyon']);
      assert.deepEqual(names(await q().where(F.location.withinMiles(sdk.geoPoint(48.85, 2.35), 10)).find()), ['paris']);
      assert.deepEqual(names(await q().where(F.location.withinBox(sdk.geoPoint(40, -80), sdk.geoPoint(46, 5))).ascending(F.score).find()), ['lyon', 'nyc']);
      assert.deepEqual(names(await q().where(F.location.withinPolygon([sdk.geoPoint(48, 2), sdk.geoPoint(49, 2), sdk.geoPoint(49, 3), sdk.geoPoint(48, 3)])).find()), ['paris']);
      assert.deepEqual(names(await q().where(F.area.containsPoint(sdk.geoPoint(45.5, 4.5))).find()), ['lyon']);
      const both = sdk.Query.and(q().where(F.score.greaterThan(1)), q().where(F.score.lessThan(3)));
      assert.deepEqual(names(await both.find()), ['lyon'], '$and of two queries');
    });

    test('users: sign up, current user, session kept in a custom async store, log out, log in', async () => {
      const store = asyncStore();
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, sessionStore: store });
      const username = `ada-${h.rand(6)}`;
      const user = await sdk.ParseUser.signUp({ username, password: 'pw-123456', email: `${username}@example.com` }, { client });
      assert.ok(user.objectId && user.sessionToken, 'sign-up answers the id and a session token');
      assert.equal(user.password, undefined, 'the password is not kept');
      const stored = JSON.parse(store.map.get(`hearth:${app.applicationId}:currentUser`));
      assert.equal(stored.sessionToken, user.sessionToken, 'the session is kept in the store');

      // A private object: only the user may read it.
      const secret = await sdk.Team.create({ name: 'mine', ACL: { [user.objectId]: { read: true, write: true } } }, { client });
      await assert.rejects(sdk.Team.get(secret.objectId), (e) => e.code === 101, 'others do not see it');

      // A new client on the same store (an app restarted) is the same user.
      const again = new sdk.Client({ ...base, applicationId: app.applicationId, sessionStore: store });
      const current = await sdk.ParseUser.current({ client: again });
      assert.equal(current.username, username);
      assert.equal((await sdk.Team.get(secret.objectId, { client: again })).name, 'mine');

      await sdk.ParseUser.logOut({ client: again });
      assert.equal(await sdk.ParseUser.current({ client: again }), null);
      assert.equal(store.map.size, 0, 'log out clears the store');
      const stale = await h.rest('GET', '/users/me', { app, key: 'js', headers: { 'X-Parse-Session-Token': user.sessionToken } });
      assert.equal(stale.body.code, 209, `the session ended on the server: ${stale.text}`);

      await assert.rejects(sdk.ParseUser.logIn(username, 'wrong', { client }), (e) => e instanceof sdk.ParseError && e.code === 101);
      const back = await sdk.ParseUser.logIn(username, 'pw-123456', { client });
      assert.equal(back.objectId, user.objectId);
      assert.equal((await sdk.ParseUser.current({ client })).objectId, user.objectId);
      await sdk.ParseUser.update(back.objectId, { email: `new-${username}@example.com`, password: 'pw-654321' }, { client });
      const refreshed = await sdk.ParseUser.current({ client });
      assert.equal(refreshed.email, `new-${username}@example.com`, 'updating the current user updates the stored copy');
      assert.equal(refreshed.password, undefined, 'never the password');
      assert.ok(refreshed.sessionToken, 'the session token the password change answered is kept');
      assert.equal((await sdk.Team.get(secret.objectId, { client })).name, 'mine', 'and it works');
      const other = new sdk.Client({ ...base, applicationId: app.applicationId });
      const became = await sdk.ParseUser.become(refreshed.sessionToken, { client: other });
      assert.equal(became.username, username);
      assert.equal((await sdk.Team.get(secret.objectId, { client: other })).name, 'mine');
    });

    test('files: upload bytes, keep the file in a field, download it', async () => {
      // Hearth lets logged-in users upload by default, not the public.
      const client = new sdk.Client({ ...base, applicationId: app.applicationId });
      await sdk.ParseUser.signUp({ username: `up-${h.rand(6)}`, password: 'pw-123456' }, { client });
      await assert.rejects(sdk.uploadFile('public.txt', 'x'), (e) => e.code === 130, 'the public may not upload');
      const file = await sdk.uploadFile('hello.txt', 'Hello, Hearth!', 'text/plain', { client });
      assert.equal(file.__type, 'File');
      assert.match(file.name, /hello\.txt$/);
      assert.ok(file.url.startsWith('http'));
      const p = await sdk.Player.create({ name: 'with-file', avatar: file });
      const got = await sdk.Player.get(p.objectId);
      assert.equal(got.avatar.name, file.name);
      assert.equal(await sdk.downloadText(got.avatar), 'Hello, Hearth!');
      const text = 'Grüße, 👋 — ½';
      const utf8 = await sdk.uploadFile('utf8.txt', text, undefined, { client });
      assert.equal(await sdk.downloadText(utf8), text, 'text is sent as UTF-8');
      const bytes = [0, 1, 2, 127, 128, 200, 255, 0xc3, 0x28];
      const binary = await sdk.uploadFile('b.bin', new Uint8Array(bytes), undefined, { client });
      const downloaded = await sdk.downloadFile(binary);
      assert.ok(downloaded instanceof Uint8Array);
      assert.deepEqual(Array.from(downloaded), bytes, 'downloadFile answers the bytes as stored');
      await assert.rejects(sdk.downloadFile({ ...binary, url: `${binary.url}-gone` }), (e) => e instanceof sdk.ParseError && e.status === 404);
    });

    test('save sends only what changed, never the session token; objects the app builds keep their keys', async () => {
      const bodies = [];
      const recording = (url, init) => {
        if (init.method !== 'GET') bodies.push([init.method, url, init.body === undefined ? undefined : JSON.parse(init.body)]);
        return fetch(url, init);
      };
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, fetch: recording });
      const username = `save-${h.rand(6)}`;
      await sdk.ParseUser.signUp({ username, password: 'pw-123456' }, { client });
      const me = await sdk.ParseUser.current({ client });
      assert.ok(me.sessionToken);
      me.email = `${username}@example.com`;
      bodies.length = 0;
      await sdk.ParseUser.save(me, { client });
      assert.deepEqual(bodies.map((b) => b[2]), [{ email: `${username}@example.com` }], 'saving the current user sends the changed field only');
      const row = await h.rest('GET', `/users/${me.objectId}`, { app });
      assert.equal(row.status, 200, row.text);
      assert.equal(row.body.sessionToken, undefined, `the session token is not stored in the user row: ${row.text}`);
      assert.equal(row.body.email, `${username}@example.com`);
      // An object spread into a new one is the app's own: every field goes, the token still never.
      bodies.length = 0;
      await sdk.ParseUser.save({ ...me, email: `b-${username}@example.com` }, { client });
      assert.equal(bodies[0][2].sessionToken, undefined);
      assert.equal((await h.rest('GET', `/users/${me.objectId}`, { app })).body.sessionToken, undefined);

      const made = await sdk.Player.create({ name: 'changes', score: 1, tags: ['a'] }, { client });
      const p = await sdk.Player.get(made.objectId, { client });
      p.score = 2;
      bodies.length = 0;
      const saved = await sdk.Player.save(p, { client });
      assert.deepEqual(bodies.map((b) => b[2]), [{ score: 2 }], 'a fetched object sends only the changed field');
      assert.equal(saved.name, 'changes', 'save answers the whole object');
      bodies.length = 0;
      await sdk.Player.save(saved, { client });
      assert.deepEqual(bodies.map((b) => b[2]), [{}], 'nothing changed, nothing sent');
    });

    test('objects the app builds with `className` and `objectId` among other keys are data; bare references and fetched objects are pointers', async () => {
      const client = new sdk.Client({ ...base, applicationId: app.applicationId });
      const logs = [{ className: 'Log', objectId: 'l1', msg: 'hi' }];
      const meta = { className: 'Note', objectId: 'n1', text: 'kept' };
      const data = await sdk.Player.create({ name: 'data', tags: logs, meta }, { client });
      const back = await sdk.Player.get(data.objectId, { client });
      assert.deepEqual(back.tags, logs, 'an array of objects keeps their keys');
      assert.deepEqual(back.meta, meta, 'an Object field keeps its keys');
      assert.deepEqual(sdk.encode({ item: meta, list: logs }), { item: meta, list: logs }, 'function parameters alike');
      // A bare reference and an object the SDK answered are still sent as pointers.
      const team = await sdk.Team.create({ name: 'ptr' }, { client });
      const fetched = await sdk.Team.get(team.objectId, { client });
      const viaFetched = await sdk.Player.create({ name: 'p1', team: fetched }, { client });
      const viaBare = await sdk.Player.create({ name: 'p2', team: { className: 'Team', objectId: team.objectId } }, { client });
      for (const x of [viaFetched, viaBare]) assert.deepEqual((await sdk.Player.get(x.objectId, { client })).team, { __type: 'Pointer', className: 'Team', objectId: team.objectId });
    });

    test('a session the server ended is forgotten: the next requests go out without it', async () => {
      const store = asyncStore();
      let ended = 0;
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, sessionStore: store, onInvalidSession: () => ended++ });
      const user = await sdk.ParseUser.signUp({ username: `ended-${h.rand(6)}`, password: 'pw-123456' }, { client });
      const out = await h.rest('POST', '/logout', { app, key: 'js', headers: { 'X-Parse-Session-Token': user.sessionToken } });
      assert.equal(out.status, 200, out.text);
      await assert.rejects(sdk.Team.query().find({ client }), (e) => e instanceof sdk.ParseError && e.code === 209);
      assert.equal(await sdk.ParseUser.current({ client }), null, 'the user is forgotten');
      assert.equal(store.map.size, 0, 'and removed from the store');
      assert.equal(ended, 1, 'onInvalidSession heard it');
      assert.ok(Array.isArray(await sdk.Team.query().find({ client })), 'public reads work again');
      // A token given explicitly (become) that the server refuses leaves the current user alone.
      const other = await sdk.ParseUser.signUp({ username: `kept-${h.rand(6)}`, password: 'pw-123456' }, { client });
      await assert.rejects(sdk.ParseUser.become('r:not-a-session', { client }), (e) => e.code === 209);
      assert.equal((await sdk.ParseUser.current({ client })).objectId, other.objectId);
    });

    test('the offline cache is emptied when the user changes; a failing cache store never fails a query', async () => {
      let now = 5_000_000;
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, now: () => now });
      const a = `cache-a-${h.rand(6)}`;
      await sdk.ParseUser.signUp({ username: a, password: 'pw-123456' }, { client });
      const mine = await sdk.Team.create({ name: `private-${a}`, ACL: { [(await sdk.ParseUser.current({ client })).objectId]: { read: true, write: true } } }, { client });
      const q = () => sdk.Team.query().where(sdk.Team.f.name.equalTo(`private-${a}`));
      assert.equal((await q().find({ client, cache: 'cacheElseNetwork', ttlMs: 60_000 })).length, 1);
      await sdk.ParseUser.logOut({ client });
      assert.equal((await q().find({ client, cache: 'cacheElseNetwork', ttlMs: 60_000 })).length, 0, 'after log-out the first user\'s answer is gone');
      await sdk.ParseUser.signUp({ username: `cache-b-${h.rand(6)}`, password: 'pw-123456' }, { client });
      assert.equal((await q().find({ client, cache: 'networkElseCache', ttlMs: 60_000 })).length, 0, 'another user sees only theirs');
      assert.ok(mine.objectId);

      await client.cache.set('short', 1, 10);
      await client.cache.set('long', 2, 100_000);
      now += 20;
      assert.equal(await client.cache.prune(), 1, 'prune drops expired entries');
      assert.equal(await client.cache.getCacheEntry('short'), undefined);
      assert.equal(await client.cache.get('long'), 2);
      await client.cache.clear();
      assert.equal(await client.cache.getCacheEntry('long'), undefined, 'clear drops every entry');

      const full = { get: () => null, set: () => { throw new Error('quota exceeded'); }, remove: () => {} };
      const broken = new sdk.Client({ ...base, applicationId: app.applicationId, cacheStore: full });
      assert.ok(Array.isArray(await sdk.Team.query().find({ client: broken, cache: 'networkElseCache' })), 'the network answer stands when the cache cannot keep it');
    });

    test('a query too long for a URL goes as a POST read, without request id or retries', async () => {
      const sent = [];
      const recording = (url, init) => {
        sent.push({ url, ...init });
        return fetch(url, init);
      };
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, fetch: recording });
      const tag = `long-${h.rand(6)}`;
      await sdk.Player.create({ name: tag }, { client });
      const names = Array.from({ length: 3000 }, (_, i) => `name-number-${i}-${'x'.repeat(20)}`).concat([tag]);
      sent.length = 0;
      const found = await sdk.Player.query().where(sdk.Player.f.name.containedIn(names)).find({ client });
      assert.deepEqual(found.map((p) => p.name), [tag]);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].method, 'POST');
      assert.equal(sent[0].headers['X-Parse-Request-Id'], undefined, 'a read carries no request id');
      assert.equal(JSON.parse(sent[0].body)._method, 'GET');
      assert.equal(await sdk.Player.query().where(sdk.Player.f.name.containedIn(names)).count({ client }), 1);
      sent.length = 0;
      await sdk.Player.query().where(sdk.Player.f.name.equalTo(tag)).find({ client });
      assert.equal(sent[0].method, 'GET', 'short queries stay GETs');
    });

    test('cloud functions: declared types type the call, undeclared ones stay untyped', async () => {
      const src = fs.readFileSync(path.join(dir, 'src', 'functions.ts'), 'utf8');
      assert.match(src, /export interface ScoreParams \{\n  "bonus"\?: number;\n  "playerId": string;\n\}/, src);
      assert.match(src, /"score": \(params: ScoreParams, [^)]*\): Promise<ScoreResult>/, src);
      assert.match(src, /"hello": \(params: Record<string, unknown> = \{\}, [^)]*\): Promise<unknown>/, src);
      assert.deepEqual(await sdk.functions.score({ playerId: 'p1', bonus: 5 }), { playerId: 'p1', total: 15 });
      assert.equal(await sdk.functions.hello({ name: 'Ada' }), 'Hello Ada');
      assert.equal(await sdk.run('hello'), 'Hello world');
      await assert.rejects(sdk.functions.score({}), (e) => e instanceof sdk.ParseError && e.code === 142);
      await assert.rejects(sdk.run('nope'), (e) => e instanceof sdk.ParseError && e.code === 141);
    });

    test('LiveQuery: a create event arrives typed as the model', async () => {
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, WebSocket });
      const sub = await sdk.Player.query().where(sdk.Player.f.score.greaterThan(1000)).subscribe({ client });
      const events = [];
      sub.on('create', (o) => events.push(['create', o])).on('update', (o, was) => events.push(['update', o, was])).on('leave', (o) => events.push(['leave', o])).on('enter', (o, was) => events.push(['enter', o, was])).on('delete', (o) => events.push(['delete', o]));
      await sdk.Player.create({ name: 'low', score: 1 });
      const made = await sdk.Player.create({ name: 'live', score: 5000, birthday: new Date('2000-01-01T00:00:00.000Z') });
      await until('the create event', () => events.length >= 1 || null, { ms: 5000, every: 20 });
      const [op, obj] = events[0];
      assert.equal(op, 'create');
      assert.equal(obj.className, 'Player');
      assert.equal(obj.objectId, made.objectId);
      assert.equal(obj.name, 'live', 'the low score never matched');
      assert.ok(obj.birthday instanceof Date && obj.createdAt instanceof Date, 'event objects are decoded like query results');
      await sdk.Player.update(made.objectId, { score: sdk.increment(1) });
      await until('the update event', () => events.length >= 2 || null, { ms: 5000, every: 20 });
      assert.equal(events[1][0], 'update');
      assert.equal(events[1][1].score, 5001);
      assert.equal(events[1][2].score, 5000, 'update carries the object as it was');
      await sdk.Player.update(made.objectId, { score: 3 });
      await until('the leave event', () => events.length >= 3 || null, { ms: 5000, every: 20 });
      assert.equal(events[2][0], 'leave');
      await sdk.Player.update(made.objectId, { score: 6000 });
      await until('the enter event', () => events.length >= 4 || null, { ms: 5000, every: 20 });
      assert.deepEqual([events[3][0], events[3][1].score, events[3][2].score], ['enter', 6000, 3], 'enter carries the object before and after');
      await sdk.Player.destroy(made.objectId);
      await until('the delete event', () => events.length >= 5 || null, { ms: 5000, every: 20 });
      assert.deepEqual([events[4][0], events[4][1].objectId, events[4][1].className], ['delete', made.objectId, 'Player']);
      sub.unsubscribe();
    });

    test('LiveQuery: a refused reconnect reaches every subscription and ends the connection; a socket that cannot open fails the subscribe', async () => {
      // A scripted socket plays the server: the frames are those Hearth sends.
      const sockets = [];
      class ScriptedSocket {
        constructor(url) {
          this.url = url;
          this.sent = [];
          this.closed = false;
          sockets.push(this);
          setImmediate(() => this.onopen?.({}));
        }
        send(data) { this.sent.push(JSON.parse(data)); }
        close() { this.closed = true; }
        serve(frame) { this.onmessage({ data: JSON.stringify(frame) }); }
      }
      const sentOp = (i, op) => until(`socket ${i} sends ${op}`, () => sockets[i]?.sent.find((f) => f.op === op) || null, { ms: 5000, every: 10 });
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, WebSocket: ScriptedSocket });
      const subscribing = sdk.Player.query().subscribe({ client });
      await sentOp(0, 'connect');
      sockets[0].serve({ op: 'connected' });
      sockets[0].serve({ op: 'subscribed', requestId: (await sentOp(0, 'subscribe')).requestId });
      const sub = await subscribing;
      const errors = [];
      sub.on('error', (e) => errors.push(e.code));
      sockets[0].onclose({});
      await sentOp(1, 'connect');
      sockets[1].serve({ op: 'error', code: 209, error: 'Invalid session token', reconnect: false, requestId: null });
      assert.deepEqual(errors, [209], 'the confirmed subscription hears the refusal');
      assert.ok(sockets[1].closed, 'the refused socket is closed');
      const again = sdk.Player.query().subscribe({ client });
      await sentOp(2, 'connect');
      sockets[2].serve({ op: 'error', code: 101, error: 'no', reconnect: false, requestId: null });
      await assert.rejects(again, (e) => e.code === 101, 'a later subscribe opens a new socket and settles');

      class NoSocket {
        constructor() { throw new Error('no sockets here'); }
      }
      const broken = new sdk.Client({ ...base, applicationId: app.applicationId, WebSocket: NoSocket });
      await assert.rejects(sdk.Player.query().subscribe({ client: broken }), /no sockets here/);
      assert.equal(sdk.liveClient(broken).subs.size, 0, 'the failed subscription is not kept');
    });

    test('offline cache: fresh answers from the cache, expired ones from the network, stale ones when the network is down', async () => {
      let now = 1_000_000;
      let down = false;
      let sent = 0;
      const fetchDown = (url, init) => {
        if (down) return Promise.reject(new TypeError('fetch failed'));
        sent++;
        return fetch(url, init);
      };
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, fetch: fetchDown, now: () => now, retry: { attempts: 1 } });
      const tag = `c-${h.rand(6)}`;
      const q = () => sdk.Player.query().where(sdk.Player.f.name.equalTo(tag));
      await sdk.Player.create({ name: tag, score: 1 });

      const first = await q().find({ client, cache: 'networkElseCache', ttlMs: 60_000 });
      assert.equal(first.length, 1);
      const key = q().cacheKey(client);
      assert.ok(key.startsWith(`${app.applicationId}|Player|`), key);
      assert.equal((await client.cache.getCacheEntry(key)).expired, false);

      await sdk.Player.create({ name: tag, score: 2 });
      const before = sent;
      const fresh = await q().find({ client, cache: 'cacheElseNetwork', ttlMs: 60_000 });
      assert.equal(fresh.length, 1, 'a fresh entry answers without the network');
      assert.equal(sent, before, 'no request was sent');
      assert.ok(fresh[0].createdAt instanceof Date, 'cached objects decode like fresh ones');

      now += 61_000;
      assert.equal(await client.cache.get(key), undefined, 'get answers fresh values only');
      assert.equal((await client.cache.getCacheEntry(key)).expired, true, 'getCacheEntry answers stale ones, marked');
      const expired = await q().find({ client, cache: 'cacheElseNetwork', ttlMs: 60_000 });
      assert.equal(expired.length, 2, 'an expired entry goes to the network');

      now += 61_000;
      down = true;
      await assert.rejects(q().find({ client }), (e) => e instanceof sdk.ParseError && e.network && e.code === 100, 'without network a networkOnly query fails as a network error');
      const stale = await q().find({ client, cache: 'networkElseCache', ttlMs: 60_000 });
      assert.equal(stale.length, 2, 'network down: the stale entry answers');
      down = false;
      const refusing = new sdk.Client({ ...base, applicationId: app.applicationId, fetch: async () => new Response(JSON.stringify({ code: 119, error: 'not allowed' }), { status: 403 }), now: () => now });
      await refusing.cache.set(key, await client.cache.getCacheEntry(key).then((e) => e.value));
      await assert.rejects(q().find({ client: refusing, cache: 'networkElseCache' }), (e) => e.code === 119 && !e.network, 'a refusal (4xx) is never answered from the cache');
      down = true;
      const seen = [];
      await assert.rejects(q().find({ client, cache: 'cacheThenNetwork', onCached: (r, isExpired) => seen.push([r.length, isExpired]) }), (e) => e.network);
      assert.deepEqual(seen, [[2, true]], 'cacheThenNetwork gives the cached answer first');
      down = false;
      const both = [];
      const net = await q().find({ client, cache: 'cacheThenNetwork', ttlMs: 1000, onCached: (r) => both.push(r.length) });
      assert.deepEqual([both, net.length], [[2], 2]);
      const firsts = [];
      const cheapest = await q().ascending(sdk.Player.f.score).first({ client, cache: 'cacheThenNetwork', onCached: (r) => firsts.push(r.map((p) => p.score)) });
      const firstAgain = await q().ascending(sdk.Player.f.score).first({ client, cache: 'cacheThenNetwork', onCached: (r) => firsts.push(r.map((p) => p.score)) });
      assert.deepEqual([firsts, cheapest.score, firstAgain.score], [[[1]], 1, 1], 'first: nothing cached the first time, then the cached one first');

      // The cache API itself.
      await client.cache.set('k', { v: 1 }, 10);
      assert.deepEqual(await client.cache.get('k'), { v: 1 });
      now += 10;
      assert.equal(await client.cache.get('k'), undefined);
      assert.deepEqual(await client.cache.getCacheEntry('k'), { value: { v: 1 }, expired: true });
      await client.cache.set('forever', 1);
      now += 1e12;
      assert.equal(await client.cache.get('forever'), 1);
    });

    test('a request left without an answer times out as a network failure, and the cache answers for it', async () => {
      let hang = false;
      let aborted = 0;
      const hanging = (url, init) => {
        if (!hang) return fetch(url, init);
        return new Promise((_, reject) => init.signal.addEventListener('abort', () => {
          aborted++;
          reject(new Error('aborted'));
        }));
      };
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, fetch: hanging, timeoutMs: 200, retry: { attempts: 2, baseDelayMs: 1 } });
      const tag = `t-${h.rand(6)}`;
      await sdk.Player.create({ name: tag }, { client });
      const q = () => sdk.Player.query().where(sdk.Player.f.name.equalTo(tag));
      assert.equal((await q().find({ client, cache: 'networkElseCache' })).length, 1);
      hang = true;
      const started = Date.now();
      await assert.rejects(q().find({ client }), (e) => e instanceof sdk.ParseError && e.network && /200 ms/.test(e.message));
      assert.ok(Date.now() - started < 5000, 'the timeout ended the wait');
      assert.equal(aborted, 1, 'the request was aborted');
      assert.equal((await q().find({ client, cache: 'networkElseCache' })).length, 1, 'the cached answer stands in');
      await assert.rejects(sdk.Player.create({ name: tag }, { client }), (e) => e.network);
      assert.equal(aborted, 4, 'a write is sent `attempts` times, each aborted at the timeout');
    });

    test('retries: 5xx and 429 are sent again (Retry-After honoured) up to the bound; reads and 4xx are not', async () => {
      /** A transport answering from `answers` in turn, recording what it was sent. */
      const scripted = (answers) => {
        const sent = [];
        const fetchStub = async (url, init) => {
          sent.push({ url, ...init, at: Date.now() });
          const [status, body, headers = {}] = answers[Math.min(sent.length - 1, answers.length - 1)];
          return new Response(JSON.stringify(body), { status, headers });
        };
        return { sent, fetchStub };
      };
      const clientWith = (fetchStub, attempts = 3) => new sdk.Client({ ...base, applicationId: app.applicationId, fetch: fetchStub, retry: { attempts, baseDelayMs: 1 } });

      const flaky = scripted([[503, { code: -1, error: 'busy' }], [429, { code: 155, error: 'slow down' }, { 'Retry-After': '1' }], [201, { objectId: 'x1', createdAt: '2026-01-01T00:00:00.000Z' }]]);
      const made = await sdk.Player.create({ name: 'r' }, { client: clientWith(flaky.fetchStub) });
      assert.equal(made.objectId, 'x1');
      assert.equal(flaky.sent.length, 3);
      assert.equal(new Set(flaky.sent.map((s) => s.headers['X-Parse-Request-Id'])).size, 1, 'one request id for every send');
      assert.equal(new Set(flaky.sent.map((s) => s.body)).size, 1, 'the same bytes every time');
      assert.ok(flaky.sent[2].at - flaky.sent[1].at >= 900, `Retry-After: 1 waited a second (${flaky.sent[2].at - flaky.sent[1].at} ms)`);

      const down = scripted([[502, { code: -1, error: 'bad gateway' }]]);
      await assert.rejects(sdk.Player.create({ name: 'r' }, { client: clientWith(down.fetchStub) }), (e) => e.status === 502);
      assert.equal(down.sent.length, 3, 'at most `attempts` sends');

      const refused = scripted([[400, { code: 142, error: 'name is required' }]]);
      await assert.rejects(sdk.Player.create({ score: 1 }, { client: clientWith(refused.fetchStub) }), (e) => e.code === 142 && e.message === 'name is required');
      assert.equal(refused.sent.length, 1, 'a refusal is final');

      const read = scripted([[503, { code: -1, error: 'busy' }]]);
      await assert.rejects(sdk.Player.query().find({ client: clientWith(read.fetchStub) }), (e) => e.status === 503);
      assert.equal(read.sent.length, 1, 'reads are not retried');
      assert.equal(read.sent[0].headers['X-Parse-Request-Id'], undefined, 'reads carry no request id');
    });

    test('LiveQuery: a subscription the server refuses fails with its error', async () => {
      const wrongKey = new sdk.Client({ ...base, applicationId: app.applicationId, javascriptKey: 'not-the-key', WebSocket });
      await assert.rejects(sdk.Player.query().subscribe({ client: wrongKey }), (e) => e instanceof sdk.ParseError && /key/i.test(e.message), 'a wrong key');
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, WebSocket });
      await assert.rejects(sdk.ParseUser.query().subscribe({ client }), (e) => e instanceof sdk.ParseError && e.code === 119, 'a class that is not live');
      sdk.liveClient(client).close();
    });

    test('LiveQuery: after the socket drops, the client reconnects and subscribes again', async () => {
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, WebSocket });
      const sub = await sdk.Player.query().where(sdk.Player.f.name.equalTo('reconnect')).subscribe({ client });
      const created = [];
      sub.on('create', (o) => created.push(o.objectId));
      const live = sdk.liveClient(client);
      live.socket.terminate();
      // Writes until one arrives: the first may come before the new subscription is in place.
      const seen = await until('an event after the reconnection', async () => {
        await sdk.Player.create({ name: 'reconnect' });
        return created.length > 0 || null;
      }, { ms: 10000, every: 100 });
      assert.ok(seen);
      live.close();
    });

    test('a create whose answer is lost is retried with the same request id and applied once', async () => {
      const sends = [];
      let dropped = false;
      const dropFirstAnswer = async (url, init) => {
        if (init.method === 'POST' && url.includes('/classes/Player')) sends.push({ id: init.headers['X-Parse-Request-Id'], body: init.body, session: init.headers['X-Parse-Session-Token'] });
        const res = await fetch(url, init);
        if (init.method === 'POST' && !dropped) {
          dropped = true;
          await res.text();
          throw new TypeError('fetch failed: the connection was reset');
        }
        return res;
      };
      const client = new sdk.Client({ ...base, applicationId: app.applicationId, fetch: dropFirstAnswer });
      const tag = `r-${h.rand(6)}`;
      const made = await sdk.Player.create({ name: tag, score: 7, birthday: new Date() }, { client });
      assert.ok(made.objectId);
      assert.equal(sends.length, 2, 'sent twice');
      const count = await h.rest('GET', '/classes/Player', { app, query: { where: { name: tag }, count: 1, limit: 0 } });
      assert.equal(count.body.count, 1, 'one object was created');
      assert.ok(sends[0].id, 'with a request id');
      assert.deepEqual(sends[1], sends[0], 'the same id, bytes and session');
      const [only] = (await h.rest('GET', '/classes/Player', { app, query: { where: { name: tag } } })).body.results;
      assert.equal(only.objectId, made.objectId, 'the retry answered the first create\'s object');
    });
  });
});

describe('the generated TypeScript SDK of an app with awkward names', { skip: HEARTH_ONLY }, () => {
  test('keywords, names of globals and case twins as class and field names compile and keep their wire names', async () => {
    const app = await h.createHearthApp('sdk-ts-awkward');
    const fields = { class: { type: 'String' }, default: { type: 'Number' }, in: { type: 'Boolean' }, new: { type: 'String' }, Name: { type: 'String' }, name: { type: 'Number' }, constructor: { type: 'String' } };
    const classes = { class: { ...fields, parent: { type: 'Pointer', targetClass: 'class' } }, Object: { x: { type: 'Number' } }, Date: { when: { type: 'Date' } }, Item: { label: { type: 'String' } }, ITEM: { flag: { type: 'Boolean' } } };
    await createClasses(app, classes);
    const dir = await getSdk(app, 'ts');
    const models = fs.readdirSync(path.join(dir, 'src', 'models')).sort();
    for (const name of ['class_.ts', 'Object_.ts', 'Date_.ts']) assert.ok(models.includes(name), `${name} in ${models}`);
    assert.equal(models.filter((m) => m.toLowerCase().startsWith('item_')).length, 2, `case twins get a suffix each: ${models}`);
    const { ok, output } = await typecheckWith(dir, 'check-awkward', `
import { class_, Date_ } from "./index.js";
export async function check(): Promise<void> {
  const c = await class_.create({ class: "c", default: 1, in: true, new: "n", Name: "N", name: 2, constructor: "k" });
  const n: number | undefined = c.name;
  const N: string | undefined = c.Name;
  await class_.query().where(class_.f.default.greaterThan(0), class_.f.in.equalTo(true), class_.f.constructor.exists()).find();
  const d: Date | undefined = (await Date_.create({ when: new Date() })).when;
  void n; void N; void d;
}
`);
    assert.ok(ok, `tsc --strict accepts the awkward SDK:\n${output}`);
    const sdk = await import(pathToFileURL(await buildTs(dir)).href);
    const client = new sdk.Client({ applicationId: app.applicationId, serverURL: h.PARSE_URL, javascriptKey: app.keys.javascriptKey });
    const made = await sdk.class_.create({ class: 'c', default: 1, in: true, new: 'n', Name: 'N', name: 2, constructor: 'k' }, { client });
    await sdk.class_.update(made.objectId, { parent: made, default: sdk.increment(1) }, { client });
    const raw = await h.rest('GET', `/classes/class/${made.objectId}`, { app });
    assert.equal(raw.status, 200, raw.text);
    assert.deepEqual(
      { class: raw.body.class, default: raw.body.default, in: raw.body.in, new: raw.body.new, Name: raw.body.Name, name: raw.body.name, constructor: raw.body.constructor, parent: raw.body.parent },
      { class: 'c', default: 2, in: true, new: 'n', Name: 'N', name: 2, constructor: 'k', parent: { __type: 'Pointer', className: 'class', objectId: made.objectId } },
      'the wire names are the schema\'s',
    );
    const found = await sdk.class_.query().where(sdk.class_.f.in.equalTo(true), sdk.class_.f.name.equalTo(2)).find({ client });
    assert.deepEqual(found.map((o) => [o.className, o.constructor, o.Name]), [['class', 'k', 'N']]);
  });
});
