'use strict';
// Cloud-code triggers, driven with the official Parse JS SDK. Around saves and deletes: the
// `Player` triggers of each guest SDK's example (lib/functions.js `playerTriggerTests`: beforeSave
// changing and refusing writes, afterSave, beforeDelete, afterDelete, batches), and the Rust
// example's find and login triggers. Around finds, logins and files: the AssemblyScript example
// sdk/functions/assemblyscript/examples/triggers.ts: beforeFind changing queries (and gets),
// afterFind changing results, beforeLogin refusing a login, afterLogin and afterLogout recording
// what happened, beforeSaveFile refusing and renaming uploads, afterSaveFile and afterDeleteFile,
// beforeDeleteFile refusing a delete. Each example is deployed to an app of its own. Hearth only
// (Parse Server runs JavaScript cloud code, not WebAssembly modules).

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { HEARTH_ONLY, compileExample, buildRustExample, exampleApp, playerTriggerTests } = require('../lib/functions');
const { Parse } = h;

const skip = h.isHearth ? false : HEARTH_ONLY;
const PASSWORD = 'pw-12345678';

// Built before the first request (see compileExample).
const demo = h.isHearth ? compileExample('demo') : null;
const triggers = h.isHearth ? compileExample('triggers') : null;
const rust = h.isHearth ? buildRustExample() : { skip: HEARTH_ONLY };

/** The objects of a log class the triggers write, read with the master key. */
async function logged(className, key, value) {
  return new Parse.Query(className).equalTo(key, value).find({ useMasterKey: true });
}

/** A user signed up with PASSWORD and then marked `banned`, which the examples' beforeLogin
 * refuses; answers { user, username }. */
async function bannedUser() {
  const username = `banned_${h.rand()}`;
  const user = await Parse.User.signUp(username, PASSWORD);
  user.set('banned', true);
  await user.save(null, { useMasterKey: true });
  return { user, username };
}

/** How many sessions a user has (read with the master key). */
async function sessionsOf(user) {
  return new Parse.Query(Parse.Session).equalTo('user', user).count({ useMasterKey: true });
}

describe('the AssemblyScript example demo.ts: save and delete triggers', { skip }, () => {
  before(() => exampleApp('e2e triggers assemblyscript', demo));
  playerTriggerTests();
});

describe('the Rust example: save, delete, find and login triggers', { skip: rust.skip || false }, () => {
  before(() => exampleApp('e2e triggers rust', rust.bytes));
  playerTriggerTests();

  test('beforeFind and afterFind: hidden scores are never found, their secret never shown', async () => {
    const [shown, hidden] = await h.seed('Score', [{ v: 1, secret: 's1' }, { v: 2, secret: 's2', hidden: true }]);
    const found = await new Parse.Query('Score').find();
    assert.deepEqual(found.map((s) => [s.id, s.get('v'), s.get('secret')]), [[shown.id, 1, undefined]]);
    await h.expectParseError(new Parse.Query('Score').get(hidden.id), Parse.Error.OBJECT_NOT_FOUND, 'getting a hidden score');
    const stored = await h.rest('GET', `/classes/Score/${shown.id}`);
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.body.secret, undefined, 'a get goes through afterFind too');
  });

  test('beforeLogin refuses a banned user with its code and message', async () => {
    const { username } = await bannedUser();
    const err = await h.expectParseError(Parse.User.logIn(username, PASSWORD), 119, 'a banned login');
    assert.equal(err.message, 'this account is banned');
  });
});

describe('the AssemblyScript example triggers.ts: find, login and file triggers', { skip }, () => {
  let app;
  before(async () => {
    ({ app } = await exampleApp('e2e triggers', triggers));
    Parse.User.enableUnsafeCurrentUser();
  });

  describe('find triggers', () => {
    test('beforeFind changes the query: hidden books are never found, 5 at most per find', async () => {
      const series = h.rand();
      const books = await h.seed('Book', [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ series, n, hidden: n === 8 })));
      const found = await new Parse.Query('Book').equalTo('series', series).ascending('n').limit(100).find();
      assert.deepEqual(found.map((b) => b.get('n')), [1, 2, 3, 4, 5]);
      assert.equal(await new Parse.Query('Book').equalTo('series', series).count(), 7, 'counts leave hidden books out too');
      assert.deepEqual((await new Parse.Query('Book').equalTo('series', series).descending('n').find({ useMasterKey: false })).map((b) => b.get('n')), [7, 6, 5, 4, 3]);
      // A get is a query on its objectId, which the trigger adds to.
      await h.expectParseError(new Parse.Query('Book').get(books[7].id), Parse.Error.OBJECT_NOT_FOUND, 'getting a hidden book');
      assert.equal((await new Parse.Query('Book').get(books[0].id)).get('n'), 1);
    });

    test('afterFind changes what was found: drafts left out, the rest marked', async () => {
      const series = h.rand();
      const [draft, done] = await h.seed('Book', [{ series, n: 1, draft: true }, { series, n: 2 }]);
      const found = await new Parse.Query('Book').equalTo('series', series).find();
      assert.deepEqual(found.map((b) => [b.id, b.get('checked')]), [[done.id, true]]);
      assert.equal((await new Parse.Query('Book').get(done.id)).get('checked'), true);
      await h.expectParseError(new Parse.Query('Book').get(draft.id), Parse.Error.OBJECT_NOT_FOUND, 'getting a draft');
    });
  });

  describe('login triggers', () => {
    test('beforeLogin refuses a banned user: logIn rejects with its message, and no session is made', async () => {
      const { user, username } = await bannedUser();
      const sessions = await sessionsOf(user);
      const err = await h.expectParseError(Parse.User.logIn(username, PASSWORD), Parse.Error.SCRIPT_FAILED, 'a banned login');
      assert.equal(err.message, 'this account is banned');
      assert.equal(await sessionsOf(user), sessions, 'no session for the refused login');
      // A wrong password is refused before the trigger (as without it).
      await h.expectParseError(Parse.User.logIn(username, 'wrong-password'), Parse.Error.OBJECT_NOT_FOUND, 'a wrong password');
    });

    test('afterLogin and afterLogout run once the session exists and once it ended', async () => {
      const username = `fine_${h.rand()}`;
      const signedUp = await Parse.User.signUp(username, PASSWORD);
      assert.equal((await logged('LoginLog', 'user', signedUp.id)).length, 0, 'a sign-up is not a login');
      const user = await Parse.User.logIn(username, PASSWORD);
      const logins = await logged('LoginLog', 'user', user.id);
      assert.deepEqual(logins.map((l) => l.get('username')), [username]);
      const session = await Parse.Session.current();
      await Parse.User.logOut();
      const logouts = await logged('LogoutLog', 'user', user.id);
      assert.deepEqual(logouts.map((l) => l.get('session')), [session.id]);
      await h.expectParseError(Parse.User.become(user.getSessionToken()), Parse.Error.INVALID_SESSION_TOKEN, 'the ended session');
    });
  });

  describe('file triggers', () => {
    const text = (s) => ({ base64: Buffer.from(s).toString('base64') });
    const metadataOf = async (name) => {
      const res = await fetch(`${h.BASE}/parse/files/${encodeURIComponent(app.applicationId)}/metadata/${encodeURIComponent(name)}`);
      return (await res.json()).metadata;
    };

    test('beforeSaveFile refuses an upload with its code and message', async () => {
      const err = await h.expectParseError(new Parse.File('tool.exe', text('MZ'), 'application/octet-stream').save(), Parse.Error.FILE_SAVE_ERROR, 'an executable');
      assert.equal(err.message, 'executables are not allowed');
    });

    test('beforeSaveFile renames and adds metadata; afterSaveFile sees the stored file', async () => {
      const file = await new Parse.File('rename-notes.txt', text('some notes'), 'text/plain').save();
      assert.match(file.name(), /^[0-9a-f]{32}_notes\.txt$/);
      assert.equal(await (await fetch(file.url())).text(), 'some notes');
      assert.deepEqual(await metadataOf(file.name()), { checkedBy: 'beforeSaveFile', declaredSize: '10' });
      const saved = await logged('FileLog', 'name', file.name());
      assert.deepEqual(saved.map((l) => [l.get('event'), l.get('size')]), [['saved', 10]]);
    });

    test('beforeDeleteFile keeps a file; afterDeleteFile sees a deleted one', async () => {
      const kept = await new Parse.File('keep.txt', text('precious'), 'text/plain').save();
      const err = await h.expectParseError(kept.destroy({ useMasterKey: true }), Parse.Error.FILE_DELETE_ERROR, 'deleting a kept file');
      assert.equal(err.message, 'this file is kept');
      assert.equal((await fetch(kept.url())).status, 200, 'the kept file is still there');
      const doomed = await new Parse.File('doomed.txt', text('bye'), 'text/plain').save();
      const name = doomed.name();
      await doomed.destroy({ useMasterKey: true });
      assert.equal((await fetch(`${h.BASE}/parse/files/${app.applicationId}/${name}`)).status, 404);
      assert.deepEqual((await logged('FileLog', 'name', name)).map((l) => l.get('event')).sort(), ['deleted', 'saved']);
    });
  });
});
