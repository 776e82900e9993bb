'use strict';
// Files: uploads with the Parse JS SDK (base64, byte arrays, Buffers, streams) and raw over REST,
// files on objects, downloads compared byte for byte (a binary file of a few MiB with every byte
// value), ranges, conditional requests, HEAD, headers, the metadata route, deletion, who may upload,
// bad names and bodies, size limits (and that a refused upload leaves nothing in storage), and, on
// Hearth, per-app settings: content types and extensions, private files with signed URLs, other
// apps' files, redirects to S3. `run.js` runs this file against local disk, and with FILES=s3
// against a real S3 server (SeaweedFS): every test passes on both.

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { Readable } = require('node:stream');
const h = require('../lib/harness');
const { signUpRest } = require('../lib/users');
const { Parse, send } = h;

before(() => h.setup());

const MiB = 1024 * 1024;
const STORED_NAME = /^[0-9a-f]{32}_/;
const FS_ADAPTER = 'Parse Server with @parse/fs-files-adapter has no handleFileStream: it ignores Range and sends no ETag or Last-Modified (so no 206, 416 or 304)';
const ONE_APP = 'Parse Server has no per-app file settings (fileUpload is server-wide) and runs one app';

// ---------------------------------------------------------------------------------------------
// Helpers

/** `n` bytes holding every byte value (0..255 first, then random bytes). */
function binary(n) {
  const buf = crypto.randomBytes(n);
  for (let i = 0; i < Math.min(256, n); i++) buf[i] = i;
  return buf;
}

/** Parse headers for `app` (this file's app by default) with `key` ('master', 'js', 'rest' or
 * 'none') and a session token. */
async function parseHeaders({ key = 'master', app, sessionToken } = {}) {
  return h.keyHeaders(app || (await h.getApp()), key, sessionToken);
}

/** POST /files/{name} with raw bytes. `name` goes in the path as given (encode it yourself). */
async function upload(name, bytes, { type = 'application/octet-stream', key, app, sessionToken, chunked } = {}) {
  const headers = await parseHeaders({ key, app, sessionToken });
  if (type) headers['Content-Type'] = type;
  return send('POST', `${h.PARSE_URL}/files/${name}`, { headers, body: bytes, chunked });
}

/** Uploads and asserts 201; returns { name, url }. */
async function uploaded(name, bytes, opts) {
  const res = await upload(name, bytes, opts);
  assert.equal(res.status, 201, `uploading ${name} answers 201 (got ${res.status}: ${res.text})`);
  return res.body;
}

/** DELETE /files/{name}. */
async function remove(name, opts) {
  return send('DELETE', `${h.PARSE_URL}/files/${name}`, { headers: await parseHeaders(opts) });
}

/** The URL of a stored file of `app` (this file's app by default). */
async function fileUrl(name, app) {
  const a = app || (await h.getApp());
  return `${h.PARSE_URL}/files/${a.applicationId}/${name}`;
}

/** Signs a new user up (JavaScript key); returns its session token. */
async function signUp(app) {
  return (await signUpRest({}, { app, key: 'js' })).token;
}

/** Logs a new anonymous user in (authData.anonymous); returns its session token. */
async function anonymous(app) {
  const res = await h.rest('POST', '/users', { key: 'js', app, body: { authData: { anonymous: { id: crypto.randomUUID() } } } });
  assert.equal(res.status, 201, `anonymous sign-up answers 201: ${res.text}`);
  return res.body.sessionToken;
}

/** A new Hearth app with these file settings. */
const appWithFiles = (files, name = 'e2e files') => h.appWith({ files }, name);

/** The media type of a Content-Type header (no parameters). */
const essence = (ct) => (ct || '').split(';')[0].trim().toLowerCase();

/** Asserts that the storage holds (or no longer holds) an entry for the stored `name`. */
async function assertStored(name, yes, what) {
  const entries = await h.storedFiles();
  const found = entries.filter((e) => e.endsWith(name) || e.includes(`/${name}`));
  if (yes) assert.ok(found.length === 1, `${what}: the ${h.FILES} storage holds ${name} once (holds ${JSON.stringify(entries.slice(0, 20))})`);
  else assert.deepEqual(found, [], `${what}: the ${h.FILES} storage no longer holds ${name}`);
}

/** Runs `fn` and asserts that the storage holds exactly what it held before. */
async function assertNothingStored(fn, what) {
  const before = new Set(await h.storedFiles());
  const result = await fn();
  const after = await h.storedFiles();
  const added = after.filter((e) => !before.has(e));
  assert.deepEqual(added, [], `${what}: nothing is left in the ${h.FILES} storage`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Uploads with the SDK, and back byte for byte

test('Parse.File from base64: saved with a unique name and a URL that serves the bytes', async () => {
  const app = await h.getApp();
  const file = new Parse.File('hello.txt', { base64: Buffer.from('hello, files').toString('base64') }, 'text/plain');
  await file.save();
  assert.match(file.name(), /^[0-9a-f]{32}_hello\.txt$/, 'the stored name is 32 hex digits, _, the given name');
  assert.ok(file.url().endsWith(`/parse/files/${app.applicationId}/${file.name()}`), `the url is /parse/files/<appId>/<name> (got ${file.url()})`);
  const again = new Parse.File('hello.txt', { base64: Buffer.from('hello, files').toString('base64') }, 'text/plain');
  await again.save();
  assert.notEqual(again.name(), file.name(), 'two uploads of one name are two files');

  const res = await send('GET', file.url());
  assert.equal(res.status, 200);
  assert.equal(res.bytes.toString(), 'hello, files');
  assert.equal(essence(res.headers['content-type']), 'text/plain');
  await assertStored(file.name(), true, 'after the upload');
});

test('Parse.File from base64 of a binary MiB: every byte comes back', async () => {
  const data = binary(MiB + 3);
  const file = new Parse.File('base64.bin', { base64: data.toString('base64') }, 'application/octet-stream');
  await file.save();
  const res = await send('GET', file.url());
  assert.equal(res.status, 200);
  assert.ok(res.bytes.equals(data), `the same ${data.length} bytes (got ${res.bytes.length})`);
});

test('Parse.File from a byte array holding every byte value', async () => {
  const bytes = [...Array(256).keys(), ...Array(256).keys()].reverse();
  const file = new Parse.File('bytes.bin', bytes, 'application/octet-stream');
  await file.save();
  assert.match(file.name(), STORED_NAME);
  const res = await send('GET', file.url());
  assert.equal(res.status, 200);
  assert.ok(res.bytes.equals(Buffer.from(bytes)), `the 512 bytes come back unchanged (got ${res.bytes.length} bytes)`);
});

test('Parse.File from a Buffer of a few MiB (raw upload): every byte comes back, as uploaded', async () => {
  const data = binary(3 * MiB + 123);
  const file = new Parse.File('blob.bin', data, 'application/octet-stream');
  await file.save();
  const res = await send('GET', file.url());
  assert.equal(res.status, 200);
  assert.equal(Number(res.headers['content-length']), data.length, 'Content-Length is the size');
  assert.equal(res.bytes.length, data.length, 'as many bytes as uploaded');
  assert.ok(res.bytes.equals(data), 'the same bytes');
});

test('a raw upload of 17 MiB (several S3 parts), sent chunked: every byte comes back, ranges across parts too', async () => {
  const data = binary(17 * MiB + 11);
  const { url } = await uploaded('large.bin', data, { chunked: true });
  const res = await send('GET', url);
  assert.equal(res.status, 200);
  assert.equal(res.bytes.length, data.length, 'as many bytes as uploaded');
  assert.ok(res.bytes.equals(data), 'the same bytes');
  if (h.isParseServer) return; // no ranges on @parse/fs-files-adapter
  const a = 8 * MiB - 5;
  const b = 16 * MiB + 5;
  const part = await send('GET', url, { headers: { Range: `bytes=${a}-${b}` } });
  assert.equal(part.status, 206);
  assert.ok(part.bytes.equals(data.subarray(a, b + 1)), `bytes ${a}-${b} across part boundaries (got ${part.bytes.length} bytes)`);
});

test('Parse.File from a stream (sent chunked, without a length): every byte comes back', async () => {
  const data = binary(2 * MiB + 7);
  const pieces = [];
  for (let i = 0; i < data.length; i += 100_000) pieces.push(data.subarray(i, i + 100_000));
  const file = new Parse.File('stream.bin', Readable.from(pieces), 'application/octet-stream');
  await file.save();
  assert.match(file.name(), STORED_NAME);
  const res = await send('GET', file.url());
  assert.equal(res.status, 200);
  assert.ok(res.bytes.equals(data), `the streamed upload comes back unchanged (${res.bytes.length} of ${data.length} bytes)`);
});

test(
  'Parse.File from a Blob',
  { skip: typeof FileReader === 'undefined' && 'the SDK reads a Blob with FileReader, which Node does not have (raw uploads over REST with a Content-Type are covered below)' },
  async () => {
    const file = new Parse.File('blob.txt', new Blob(['from a blob'], { type: 'text/plain' }));
    await file.save();
    const res = await send('GET', file.url());
    assert.equal(res.bytes.toString(), 'from a blob');
  },
);

test('raw upload over REST: 201 {name, url} with Location; served with the Content-Type sent', async () => {
  const data = binary(4096);
  const res = await upload('photo.png', data, { type: 'image/png' });
  assert.equal(res.status, 201, `answers 201: ${res.text}`);
  assert.deepEqual(Object.keys(res.body).sort(), ['name', 'url'], `the body is {name, url}: ${res.text}`);
  assert.match(res.body.name, /^[0-9a-f]{32}_photo\.png$/);
  assert.equal(res.headers.location, res.body.url, 'Location is the url');
  assert.equal(res.body.url, await fileUrl(res.body.name), 'the url is the public server URL + /files/<appId>/<name>');
  const got = await send('GET', res.body.url);
  assert.equal(got.status, 200);
  assert.equal(essence(got.headers['content-type']), 'image/png');
  assert.equal(got.headers['x-content-type-options'], 'nosniff', 'nosniff, so that a browser trusts the type');
  assert.ok(got.bytes.equals(data));
});

test('an upload without a Content-Type is served with the type of its extension', async () => {
  const { url } = await uploaded('untyped.png', binary(300), { type: null });
  const res = await send('GET', url);
  assert.equal(res.status, 200);
  assert.equal(essence(res.headers['content-type']), 'image/png');
});

test('a file name with spaces and @ . ~ - is kept; 128 characters are allowed', async () => {
  const odd = await uploaded(encodeURIComponent('my file@v1.2~final-copy.txt'), 'odd', { type: 'text/plain' });
  assert.ok(odd.name.endsWith('_my file@v1.2~final-copy.txt'), `the given name is kept: ${odd.name}`);
  const got = await send('GET', odd.url);
  assert.equal(got.status, 200, `the url serves it (${odd.url})`);
  assert.equal(got.bytes.toString(), 'odd');
  const long = `${'n'.repeat(124)}.txt`;
  const res = await uploaded(long, 'long', { type: 'text/plain' });
  assert.ok(res.name.endsWith(long));
});

// ---------------------------------------------------------------------------------------------
// Files on objects

test('a file saved on an object reads back as a Parse.File (SDK) and {__type: File, name, url} (REST)', async () => {
  const className = h.cls('Doc');
  const data = binary(10_000);
  const file = new Parse.File('attached.bin', data);
  const obj = new Parse.Object(className);
  obj.set({ title: 'with a file', doc: file });
  await obj.save();
  assert.ok(file.url(), 'saving the object saved the file first');

  const got = await new Parse.Query(className).get(obj.id);
  const f = got.get('doc');
  assert.ok(f instanceof Parse.File, 'the field is a Parse.File');
  assert.equal(f.name(), file.name());
  assert.equal(f.url(), file.url());
  const res = await send('GET', f.url());
  assert.ok(res.bytes.equals(data), 'the object\'s file url serves the bytes');

  const rest = await h.rest('GET', `/classes/${className}/${obj.id}`);
  assert.deepEqual(rest.body.doc, { __type: 'File', name: file.name(), url: file.url() });
  const schema = await h.rest('GET', `/schemas/${className}`);
  assert.deepEqual(schema.body.fields.doc, { type: 'File' }, 'the field is of type File');
});

test('an object saved with a file\'s name only reads back with its url (REST)', async () => {
  const className = h.cls('Doc');
  const { name, url } = await uploaded('named.txt', 'by name', { type: 'text/plain' });
  const created = await h.rest('POST', `/classes/${className}`, { body: { doc: { __type: 'File', name } } });
  assert.equal(created.status, 201, created.text);
  const got = await h.rest('GET', `/classes/${className}/${created.body.objectId}`);
  assert.deepEqual(got.body.doc, { __type: 'File', name, url });
  const found = await h.rest('GET', `/classes/${className}`, { key: 'js' });
  assert.deepEqual(found.body.results.map((o) => o.doc), [{ __type: 'File', name, url }], 'a query answers the url too');
});

// ---------------------------------------------------------------------------------------------
// Downloads: HEAD, headers, ranges, conditional requests

test('HEAD answers the headers of GET without a body', async () => {
  const { url } = await uploaded('head.txt', 'twelve bytes', { type: 'text/plain' });
  const res = await send('HEAD', url);
  assert.equal(res.status, 200);
  assert.equal(Number(res.headers['content-length']), 12, 'Content-Length of the file');
  assert.equal(essence(res.headers['content-type']), 'text/plain');
  assert.equal(res.bytes.length, 0, 'no body');
  const missing = await send('HEAD', await fileUrl('0123456789abcdef0123456789abcdef_missing.txt'));
  assert.equal(missing.status, 404, 'HEAD of an unknown file is 404');
});

test('download headers: length, type, ETag, Last-Modified, Cache-Control, Accept-Ranges, inline disposition (Hearth)', { skip: h.isParseServer && FS_ADAPTER }, async () => {
  const data = binary(1000);
  const { name, url } = await uploaded('picture.png', data, { type: 'image/png' });
  const res = await send('GET', url);
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-length'], '1000');
  assert.equal(res.headers['content-type'], 'image/png');
  assert.match(res.headers.etag || '', /^(W\/)?"[^"]+"$/, `an ETag (got ${res.headers.etag})`);
  const modified = Date.parse(res.headers['last-modified']);
  assert.ok(Math.abs(modified - Date.now()) < 120_000, `Last-Modified is when it was stored (got ${res.headers['last-modified']})`);
  assert.equal(res.headers['cache-control'], 'public, max-age=86400');
  assert.equal(res.headers['accept-ranges'], 'bytes');
  const disposition = res.headers['content-disposition'] || '';
  assert.match(disposition, /^inline/, `an image is shown inline (got ${disposition})`);
  assert.ok(disposition.includes('filename="picture.png"'), `the name given on upload (got ${disposition})`);
  const head = await send('HEAD', url);
  assert.equal(head.headers.etag, res.headers.etag, 'HEAD has the same ETag');
  const second = await send('GET', url);
  assert.equal(second.headers.etag, res.headers.etag, 'a file keeps its ETag');
  const other = await uploaded('picture.png', data, { type: 'image/png' });
  assert.notEqual((await send('HEAD', other.url)).headers.etag, res.headers.etag, 'another file has another ETag');
  assert.ok(name !== other.name);
});

test('the Content-Type sent is kept even when the name has no extension (Hearth)', { skip: h.isParseServer && 'Parse Server adds an extension from the type to a name without one, and serves the type of the extension' }, async () => {
  const { name, url } = await uploaded('report', '%PDF-1.4 not really', { type: 'application/x-hearth-test' });
  assert.ok(name.endsWith('_report'), `the name is kept as given (got ${name})`);
  const res = await send('GET', url);
  assert.equal(res.headers['content-type'], 'application/x-hearth-test');
});

test('an SVG is never rendered inline from the API\'s origin (Hearth)', { skip: h.isParseServer && 'Parse Server refuses svg uploads by default (fileExtensions), except with the master key' }, async () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
  const res = await upload('drawing.svg', svg, { type: 'image/svg+xml' });
  if (res.status !== 201) {
    h.assertRestError(res, 400, 130, 'an SVG refused');
    return;
  }
  const got = await send('GET', res.body.url);
  const disposition = got.headers['content-disposition'] || '';
  const csp = got.headers['content-security-policy'] || '';
  assert.ok(/^attachment/.test(disposition) || /sandbox/.test(csp), `an SVG is an attachment or sandboxed (Content-Disposition ${disposition}, CSP ${csp})`);
  assert.equal(got.headers['x-content-type-options'], 'nosniff');
});

describe('ranges (Hearth)', { skip: h.isParseServer && FS_ADAPTER }, () => {
  let data;
  let url;
  before(async () => {
    data = binary(3 * MiB + 5);
    ({ url } = await uploaded('ranges.bin', data));
  });

  const range = async (spec) => send('GET', url, { headers: { Range: `bytes=${spec}` } });

  test('bytes=a-b answers 206 with Content-Range and exactly those bytes', async () => {
    const res = await range('0-99');
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes 0-99/${data.length}`);
    assert.equal(res.headers['content-length'], '100');
    assert.ok(res.bytes.equals(data.subarray(0, 100)));
    // Across the chunks storage reads in (64 KiB, S3 parts...), deep into the file.
    const a = MiB - 10;
    const b = 2 * MiB + 70_000;
    const mid = await range(`${a}-${b}`);
    assert.equal(mid.status, 206);
    assert.equal(mid.headers['content-range'], `bytes ${a}-${b}/${data.length}`);
    assert.ok(mid.bytes.equals(data.subarray(a, b + 1)), `bytes ${a}-${b} exactly (got ${mid.bytes.length} bytes)`);
  });

  test('open-ended bytes=100- and suffix bytes=-100', async () => {
    const open = await range(`${data.length - 300}-`);
    assert.equal(open.status, 206);
    assert.equal(open.headers['content-range'], `bytes ${data.length - 300}-${data.length - 1}/${data.length}`);
    assert.ok(open.bytes.equals(data.subarray(data.length - 300)));
    const from100 = await range('100-');
    assert.equal(from100.status, 206);
    assert.equal(Number(from100.headers['content-length']), data.length - 100);
    assert.ok(from100.bytes.equals(data.subarray(100)));
    const suffix = await range('-100');
    assert.equal(suffix.status, 206);
    assert.equal(suffix.headers['content-range'], `bytes ${data.length - 100}-${data.length - 1}/${data.length}`);
    assert.ok(suffix.bytes.equals(data.subarray(data.length - 100)));
  });

  test('a range past the end is cut at the end; a suffix longer than the file is the whole file', async () => {
    const past = await range(`${data.length - 10}-${data.length + 1000}`);
    assert.equal(past.status, 206);
    assert.equal(past.headers['content-range'], `bytes ${data.length - 10}-${data.length - 1}/${data.length}`);
    assert.ok(past.bytes.equals(data.subarray(data.length - 10)));
    const all = await range(`-${data.length + 5}`);
    assert.equal(all.status, 206);
    assert.ok(all.bytes.equals(data));
  });

  test('a range a server may ignore (reversed, several, another unit) answers 200 and the whole file', async () => {
    for (const value of ['bytes=20-10', 'bytes=0-1,5-6', 'items=0-10']) {
      const res = await send('GET', url, { headers: { Range: value } });
      assert.equal(res.status, 200, `Range: ${value} answers 200 (got ${res.status})`);
      assert.equal(res.bytes.length, data.length, `Range: ${value} answers the whole file`);
    }
  });

  test('an unsatisfiable range answers 416 with Content-Range bytes */size', async () => {
    for (const spec of [`${data.length}-`, `${data.length + 10}-${data.length + 20}`]) {
      const res = await range(spec);
      assert.equal(res.status, 416, `bytes=${spec} answers 416 (got ${res.status})`);
      assert.equal(res.headers['content-range'], `bytes */${data.length}`);
    }
  });

  test('HEAD with a range answers its length', async () => {
    const res = await send('HEAD', url, { headers: { Range: 'bytes=10-19' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-length'], '10');
    assert.equal(res.bytes.length, 0);
  });
});

describe('conditional requests (Hearth)', { skip: h.isParseServer && FS_ADAPTER }, () => {
  let url;
  let etag;
  let modified;
  before(async () => {
    ({ url } = await uploaded('cached.txt', 'cache me', { type: 'text/plain' }));
    const res = await send('GET', url);
    etag = res.headers.etag;
    modified = res.headers['last-modified'];
    assert.ok(etag && modified, 'the file has an ETag and a Last-Modified');
  });

  test('If-None-Match with the ETag answers 304 without a body', async () => {
    const res = await send('GET', url, { headers: { 'If-None-Match': etag } });
    assert.equal(res.status, 304);
    assert.equal(res.bytes.length, 0);
    assert.equal(res.headers.etag, etag, 'a 304 repeats the ETag');
    const listed = await send('GET', url, { headers: { 'If-None-Match': `"other", ${etag}` } });
    assert.equal(listed.status, 304, 'one of a list of ETags matches');
    const head = await send('HEAD', url, { headers: { 'If-None-Match': etag } });
    assert.equal(head.status, 304);
  });

  test('If-None-Match compares weakly and takes * for any', async () => {
    const weak = etag.startsWith('W/') ? etag : `W/${etag}`;
    assert.equal((await send('GET', url, { headers: { 'If-None-Match': weak } })).status, 304, `W/ + the ETag matches (${weak})`);
    assert.equal((await send('GET', url, { headers: { 'If-None-Match': '*' } })).status, 304, '* matches');
  });

  test('If-None-Match with another ETag answers 200 and the file, whatever If-Modified-Since says', async () => {
    const res = await send('GET', url, { headers: { 'If-None-Match': '"0123456789"' } });
    assert.equal(res.status, 200);
    assert.equal(res.bytes.toString(), 'cache me');
    // RFC 9110 13.1.3: with If-None-Match, If-Modified-Since is ignored.
    const both = await send('GET', url, { headers: { 'If-None-Match': '"0123456789"', 'If-Modified-Since': modified } });
    assert.equal(both.status, 200, 'If-None-Match decides alone');
  });

  test('If-Modified-Since: 304 from Last-Modified on, 200 before', async () => {
    const same = await send('GET', url, { headers: { 'If-Modified-Since': modified } });
    assert.equal(same.status, 304);
    assert.equal(same.bytes.length, 0);
    const later = await send('GET', url, { headers: { 'If-Modified-Since': new Date(Date.now() + 3600_000).toUTCString() } });
    assert.equal(later.status, 304);
    const earlier = await send('GET', url, { headers: { 'If-Modified-Since': new Date(Date.parse(modified) - 3600_000).toUTCString() } });
    assert.equal(earlier.status, 200);
    assert.equal(earlier.bytes.toString(), 'cache me');
  });
});

test('an unknown file answers 404', async () => {
  const res = await send('GET', await fileUrl('0123456789abcdef0123456789abcdef_nothing.txt'));
  assert.equal(res.status, 404, `404 (got ${res.status}: ${res.text})`);
  // Parse Server answers text/plain "File not found."; Hearth a Parse error (docs/files.md).
  if (h.isHearth) h.assertRestError(res, 404, 101, 'an unknown file');
});

test('names that try to leave the files folder never serve anything', async () => {
  const app = await h.getApp();
  for (const name of ['..%2F..%2Fetc%2Fpasswd', '..%2Fx.txt', '%2E%2E%2Fserver.log', '0123456789abcdef0123456789abcdef_..%2F..%2Fx']) {
    const res = await send('GET', `${h.PARSE_URL}/files/${app.applicationId}/${name}`);
    assert.ok(res.status >= 400 && res.status < 500, `GET ${name} answers 4xx (got ${res.status}: ${res.text.slice(0, 200)})`);
  }
});

// ---------------------------------------------------------------------------------------------
// Metadata

test('the metadata route answers {} for an unknown file', async () => {
  const app = await h.getApp();
  const res = await send('GET', `${h.PARSE_URL}/files/${app.applicationId}/metadata/0123456789abcdef0123456789abcdef_nothing.txt`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, {});
});

test('metadata saved with the SDK comes back from the metadata route (Hearth)', { skip: h.isParseServer && '@parse/fs-files-adapter keeps no metadata: Parse Server answers {}' }, async () => {
  const app = await h.getApp();
  const file = new Parse.File('meta.txt', { base64: Buffer.from('meta').toString('base64') }, 'text/plain', { owner: 'alice', version: '2' }, { kind: 'note' });
  await file.save();
  const res = await send('GET', `${h.PARSE_URL}/files/${app.applicationId}/metadata/${file.name()}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { metadata: { owner: 'alice', version: '2' } });
  const plain = await uploaded('plain.txt', 'no metadata', { type: 'text/plain' });
  const none = await send('GET', `${h.PARSE_URL}/files/${app.applicationId}/metadata/${plain.name}`);
  assert.deepEqual(none.body, { metadata: {} }, 'a file without metadata has {}');
});

// ---------------------------------------------------------------------------------------------
// Deletion

test('deleting with the master key: 200, then the file is gone (GET 404, storage empty, a second delete 153)', async () => {
  const { name, url } = await uploaded('doomed.txt', 'bye', { type: 'text/plain' });
  await assertStored(name, true, 'before the delete');
  const res = await remove(name);
  assert.equal(res.status, 200, `DELETE answers 200 (got ${res.status}: ${res.text})`);
  assert.equal((await send('GET', url)).status, 404, 'GET after the delete is 404');
  await assertStored(name, false, 'after the delete');
  h.assertRestError(await remove(name), 400, 153, 'deleting it again');
  h.assertRestError(await remove('0123456789abcdef0123456789abcdef_never.txt'), 400, 153, 'deleting a file that never was');
});

test('Parse.File.destroy() with the master key deletes the file', async () => {
  const file = new Parse.File('sdk-doomed.txt', { base64: Buffer.from('x').toString('base64') });
  await file.save();
  const url = file.url();
  await file.destroy();
  assert.equal((await send('GET', url)).status, 404);
});

test('deleting without the master key is refused (403) and the file stays', async () => {
  const { name, url } = await uploaded('kept.txt', 'still here', { type: 'text/plain' });
  const token = await signUp();
  for (const [what, opts] of [
    ['the JavaScript key', { key: 'js' }],
    ['the REST key', { key: 'rest' }],
    ['a user session', { key: 'js', sessionToken: token }],
    ['no key', { key: 'none' }],
  ]) {
    const res = await remove(name, opts);
    assert.equal(res.status, 403, `DELETE with ${what} answers 403 (got ${res.status}: ${res.text})`);
    // Parse Server answers {"error":"Permission denied"} (no code); Hearth code 119.
    if (h.isHearth) h.assertRestError(res, 403, 119, `DELETE with ${what}`);
  }
  const got = await send('GET', url);
  assert.equal(got.status, 200);
  assert.equal(got.bytes.toString(), 'still here');
  // The SDK sends the application id alone: Parse Server answers 403 {"error":"unauthorized"}
  // (no code), Hearth 403 code 119.
  const file = new Parse.File(name);
  file._url = url;
  const err = await file.destroy({ useMasterKey: false }).then(
    () => assert.fail('Parse.File.destroy() without the master key should fail'),
    (e) => e,
  );
  if (h.isHearth) assert.equal(err.code, 119, `Parse.File.destroy() without the master key fails with 119 (got ${err.code}: ${err.message})`);
  assert.equal((await send('GET', url)).status, 200, 'the file is still there');
});

test('the read-only master key may neither upload nor delete (403)', async () => {
  const { name, url } = await uploaded('readonly.txt', 'read only', { type: 'text/plain' });
  const app = await h.getApp();
  const headers = { 'X-Parse-Application-Id': app.applicationId, 'X-Parse-Master-Key': app.keys.readOnlyMasterKey };
  const up = await assertNothingStored(
    () => send('POST', `${h.PARSE_URL}/files/ro.txt`, { headers: { ...headers, 'Content-Type': 'text/plain' }, body: 'x' }),
    'an upload with the read-only master key',
  );
  // Parse Server answers 403 {"error":"read-only masterKey isn't allowed to create a file."}.
  assert.equal(up.status, 403, `an upload with the read-only master key answers 403 (got ${up.status}: ${up.text})`);
  if (h.isHearth) h.assertRestError(up, 403, 119, 'an upload with the read-only master key');
  const del = await send('DELETE', `${h.PARSE_URL}/files/${name}`, { headers });
  assert.equal(del.status, 403, `a delete with the read-only master key answers 403 (got ${del.status}: ${del.text})`);
  if (h.isHearth) h.assertRestError(del, 403, 119, 'a delete with the read-only master key');
  assert.equal((await send('GET', url)).status, 200, 'the file stays');
});

// ---------------------------------------------------------------------------------------------
// Bad input

test('invalid names answer 122: .., /, \\, control characters, a leading dot or dash, 129 characters', async () => {
  // A bare `..` in the path (plain or encoded) is a dot segment: `/parse/files/..` is
  // `/parse/`, which is not the file route (both servers answer 400 there, without storing).
  for (const name of ['..', '%2E%2E']) {
    const dots = await assertNothingStored(() => upload(name, 'x', { type: 'text/plain' }), `upload as ${name}`);
    assert.equal(dots.status, 400, `upload as ${name} answers 400 (got ${dots.status}: ${dots.text})`);
  }
  for (const name of ['..%2F..%2Fetc%2Fpasswd', 'a%2Fb.txt', '%2Fabs.txt', 'a%5Cb.txt', 'a%00b.txt', 'a%01b.txt', 'line%0Abreak.txt', 'tab%09.txt', '.hidden', '-dash.txt', 'caf%C3%A9.txt', 'a%3Cb%3E.txt', `${'x'.repeat(125)}.txt`]) {
    const res = await assertNothingStored(() => upload(name, 'x', { type: 'text/plain' }), `upload as ${name}`);
    h.assertRestError(res, 400, 122, `upload as ${name}`);
  }
});

test('an empty body answers 130 Invalid file upload.', async () => {
  const res = await assertNothingStored(() => upload('empty.txt', Buffer.alloc(0), { type: 'text/plain' }), 'an empty upload');
  h.assertRestError(res, 400, 130, 'an empty upload');
});

test('an upload over maxUploadSize answers 413 and stores nothing', async () => {
  // Parse Server: its 20 MiB default; Hearth: the app's settings.files.maxUploadSize.
  let app;
  let max = 20 * MiB;
  if (h.isHearth) {
    max = 64 * 1024;
    app = await appWithFiles({ maxUploadSize: max });
  }
  const res = await assertNothingStored(() => upload('big.bin', binary(max + 1), { app }), 'an upload one byte over the limit');
  assert.equal(res.status, 413, `413 (got ${res.status}: ${res.text})`);
  // Parse Server answers {"error":"request entity too large"} (no code); Hearth code 131.
  if (h.isHearth) h.assertRestError(res, 413, 131, 'an upload over maxUploadSize');
  if (h.isHearth) {
    const exact = binary(max);
    const ok = await uploaded('exact.bin', exact, { app });
    assert.ok((await send('GET', ok.url)).bytes.equals(exact), 'exactly maxUploadSize is allowed');
  }
});

test('an upload cut off by the client leaves nothing in storage', async () => {
  const app = await h.getApp();
  const before = new Set(await h.storedFiles());
  await new Promise((resolve) => {
    const u = new URL(`${h.PARSE_URL}/files/cut.bin`);
    const req = http.request({
      method: 'POST',
      hostname: u.hostname,
      port: u.port,
      path: u.pathname,
      agent: false,
      headers: { 'X-Parse-Application-Id': app.applicationId, 'X-Parse-Master-Key': app.keys.masterKey, 'Content-Type': 'application/octet-stream', 'Content-Length': String(19 * MiB) },
    });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      resolve();
    });
    // 12 of the 19 MiB declared (more than an S3 part), then the connection is dropped.
    req.write(binary(12 * MiB), () => setImmediate(() => req.destroy()));
    req.on('close', resolve);
  });
  // The server learns of the cut when its read fails: wait (with a deadline) for the storage to
  // hold exactly what it held before.
  const added = async () => (await h.storedFiles()).filter((e) => !before.has(e));
  await h.until(`nothing of the cut upload to stay in the ${h.FILES} storage`, async () => (await added()).length === 0, { ms: 15_000, every: 100 }).catch(async (e) => {
    assert.fail(`${e.message}: it holds ${(await added()).join(', ')}`);
  });
});

describe('size limits (Hearth)', { skip: h.isParseServer && ONE_APP }, () => {
  const max = 100 * 1024;
  let app;
  before(async () => {
    app = await appWithFiles({ maxUploadSize: max });
  });

  test('a chunked upload (no Content-Length) over the limit: 413, code 131, nothing stored', async () => {
    const res = await assertNothingStored(() => upload('chunked.bin', binary(max + 64 * 1024), { app, chunked: true }), 'a chunked upload over the limit');
    h.assertRestError(res, 413, 131, 'a chunked upload over maxUploadSize');
    const fits = binary(max - 1);
    const ok = await uploaded('chunked-ok.bin', fits, { app, chunked: true });
    assert.ok((await send('GET', ok.url)).bytes.equals(fits), 'a chunked upload under the limit is stored whole');
  });

  test('a much larger upload is cut short with 413 and leaves nothing either', async () => {
    const res = await assertNothingStored(() => upload('huge.bin', binary(8 * MiB), { app, chunked: true }), 'an 8 MiB upload to a 100 KiB app');
    h.assertRestError(res, 413, 131, 'an upload far over maxUploadSize');
  });

  test('an upload going over the limit after several S3 parts: 413, nothing stored, no multipart upload left', async () => {
    const big = await appWithFiles({ maxUploadSize: 10 * MiB });
    const res = await assertNothingStored(() => upload('parts.bin', binary(12 * MiB), { app: big, chunked: true }), 'a 12 MiB upload to a 10 MiB app');
    h.assertRestError(res, 413, 131, 'an upload over maxUploadSize after a part');
  });

  test('a Content-Length over the limit answers 413 (an answer the client reads, not a reset)', async () => {
    const res = await assertNothingStored(() => upload('declared.bin', binary(8 * MiB), { app }), 'a declared 8 MiB upload to a 100 KiB app');
    h.assertRestError(res, 413, 131, 'a declared upload far over maxUploadSize');
  });

  test('the SDK saving a Buffer over the limit fails with 131', async () => {
    // The SDK is set up for this file's app: give this app the same limit for the while.
    await h.updateHearthSettings({ files: { maxUploadSize: max } });
    try {
      const file = new Parse.File('sdk-over.bin', binary(max + 1));
      await assertNothingStored(() => h.expectParseError(file.save(), 131, 'saving a Buffer over maxUploadSize'), 'the SDK upload over the limit');
    } finally {
      await h.updateHearthSettings({});
    }
  });

  test('the SDK\'s base64 JSON over the limit: 131, nothing stored', async () => {
    const res = await assertNothingStored(
      () =>
        send('POST', `${h.PARSE_URL}/files/sdk-big.bin`, {
          headers: { 'Content-Type': 'text/plain' },
          body: JSON.stringify({ base64: binary(max + 1).toString('base64'), _ApplicationId: app.applicationId, _MasterKey: app.keys.masterKey, _ContentType: 'application/octet-stream' }),
        }),
      'a base64 upload over the limit',
    );
    h.assertRestError(res, 413, 131, 'a base64 upload over maxUploadSize');
  });
});

// ---------------------------------------------------------------------------------------------
// Who may upload (Parse's fileUpload options)

test('by default: public uploads 130, anonymous users 130, logged-in users and the master key may upload', async () => {
  const pub = await upload('public.txt', 'x', { key: 'js', type: 'text/plain' });
  h.assertRestError(pub, 400, 130, 'a public upload');
  assert.equal(pub.body.error, 'File upload by public is disabled.');
  const anon = await upload('anon.txt', 'x', { key: 'js', type: 'text/plain', sessionToken: await anonymous() });
  h.assertRestError(anon, 400, 130, 'an anonymous user\'s upload');
  assert.equal(anon.body.error, 'File upload by anonymous user is disabled.');
  const user = await upload('user.txt', 'by a user', { key: 'js', type: 'text/plain', sessionToken: await signUp() });
  assert.equal(user.status, 201, `a logged-in user uploads (got ${user.status}: ${user.text})`);
  assert.equal((await send('GET', user.body.url)).bytes.toString(), 'by a user');
  await uploaded('master.txt', 'x', { type: 'text/plain' });
});

test('the SDK: a logged-in user saves a file with its session; a client without one is refused', async () => {
  const token = await signUp();
  const file = new Parse.File('by-user.txt', { base64: Buffer.from('mine').toString('base64') }, 'text/plain');
  await file.save({ useMasterKey: false, sessionToken: token });
  assert.match(file.name(), STORED_NAME);
  const anon = new Parse.File('by-nobody.txt', { base64: Buffer.from('no').toString('base64') }, 'text/plain');
  await h.expectParseError(anon.save({ useMasterKey: false }), 130, 'a public save');
});

test('blocked extensions: a client may not upload HTML (130)', async () => {
  const token = await signUp();
  for (const name of ['page.html', 'page.htm', 'PAGE.HTML', 'page.xhtml']) {
    const res = await assertNothingStored(() => upload(name, '<script>alert(1)</script>', { key: 'js', type: 'text/html', sessionToken: token }), `uploading ${name}`);
    h.assertRestError(res, 400, 130, `uploading ${name}`);
  }
});

describe('upload settings (Hearth)', { skip: h.isParseServer && ONE_APP }, () => {
  test('enableForPublic: clients without a user may upload', async () => {
    const app = await appWithFiles({ enableForPublic: true });
    const res = await upload('public.txt', 'public', { app, key: 'js', type: 'text/plain' });
    assert.equal(res.status, 201, res.text);
    assert.equal((await send('GET', res.body.url)).bytes.toString(), 'public');
    h.assertRestError(await upload('anon.txt', 'x', { app, key: 'js', type: 'text/plain', sessionToken: await anonymous(app) }), 400, 130, 'anonymous users stay refused');
  });

  test('enableForAnonymousUser: anonymous users may upload, the public still not', async () => {
    const app = await appWithFiles({ enableForAnonymousUser: true });
    const res = await upload('anon.txt', 'anon', { app, key: 'js', type: 'text/plain', sessionToken: await anonymous(app) });
    assert.equal(res.status, 201, res.text);
    const pub = await upload('public.txt', 'x', { app, key: 'js', type: 'text/plain' });
    h.assertRestError(pub, 400, 130, 'a public upload');
  });

  test('enableForAuthenticatedUser false: users are refused, the master key is not', async () => {
    const app = await appWithFiles({ enableForAuthenticatedUser: false });
    const res = await upload('user.txt', 'x', { app, key: 'js', type: 'text/plain', sessionToken: await signUp(app) });
    h.assertRestError(res, 400, 130, 'a logged-in user\'s upload');
    assert.equal(res.body.error, 'File upload by authenticated user is disabled.');
    await uploaded('master.txt', 'x', { app, type: 'text/plain' });
  });

  test('allowedContentTypes: other types answer 130 and store nothing', async () => {
    const app = await appWithFiles({ allowedContentTypes: ['image/*', 'application/pdf'] });
    for (const [name, type] of [['a.png', 'image/png'], ['b.jpg', 'image/jpeg'], ['c.pdf', 'application/pdf']]) {
      await uploaded(name, 'x', { app, type });
    }
    for (const [name, type] of [['d.txt', 'text/plain'], ['e.bin', 'application/octet-stream'], ['f.png', 'imagex/png']]) {
      const res = await assertNothingStored(() => upload(name, 'x', { app, type }), `${name} as ${type}`);
      h.assertRestError(res, 400, 130, `${name} as ${type}`);
    }
  });

  test('allowedExtensions and blockedExtensions: other extensions answer 130', async () => {
    const app = await appWithFiles({ allowedExtensions: ['png', 'txt'], blockedExtensions: ['exe'] });
    await uploaded('ok.png', 'x', { app, type: 'image/png' });
    await uploaded('OK.TXT', 'x', { app, type: 'text/plain' });
    for (const name of ['no.jpg', 'no.exe', 'noext', 'no.png.exe']) {
      const res = await assertNothingStored(() => upload(name, 'x', { app, type: 'application/octet-stream' }), `uploading ${name}`);
      h.assertRestError(res, 400, 130, `uploading ${name}`);
    }
    const blocked = await appWithFiles({ blockedExtensions: ['exe'] });
    h.assertRestError(await upload('tool.exe', 'MZ', { app: blocked, type: 'application/octet-stream' }), 400, 130, 'a blocked extension');
    await uploaded('page.html', '<p>allowed now</p>', { app: blocked, type: 'text/html' });
  });

  test('cacheControl: the Cache-Control of public files', async () => {
    const app = await appWithFiles({ cacheControl: 'no-cache' });
    const { url } = await uploaded('fresh.txt', 'x', { app, type: 'text/plain' });
    assert.equal((await send('GET', url)).headers['cache-control'], 'no-cache');
  });

  test('publicServerUrl: file URLs are built on it', async () => {
    const app = await h.createHearthApp('e2e files public url');
    await h.updateHearthSettings({ publicServerUrl: 'https://api.example.com/parse' }, app);
    const { name, url } = await uploaded('where.txt', 'x', { app, type: 'text/plain' });
    assert.equal(url, `https://api.example.com/parse/files/${app.applicationId}/${name}`, 'the upload answers a url on publicServerUrl');
    const className = h.cls('Where');
    const made = await h.rest('POST', `/classes/${className}`, { app, body: { doc: { __type: 'File', name } } });
    const got = await h.rest('GET', `/classes/${className}/${made.body.objectId}`, { app });
    assert.equal(got.body.doc.url, url, 'read answers carry the same url');
  });

  test('redirect public: 301 to publicBaseUrl + the file\'s key', async () => {
    const app = await appWithFiles({ redirect: 'public', publicBaseUrl: 'https://cdn.example.com/files/' });
    const { name, url } = await uploaded('cdn.txt', 'x', { app, type: 'text/plain' });
    const res = await send('GET', url);
    assert.equal(res.status, 301, `a 301 (got ${res.status}: ${res.text.slice(0, 200)})`);
    const location = res.headers.location || '';
    assert.ok(location.startsWith('https://cdn.example.com/files/') && location.endsWith(`/${name}`) && !location.includes('//', 'https://'.length), `Location is publicBaseUrl + key (got ${location})`);
  });

  test('settings that make no sense are refused by the management API', async () => {
    const app = await h.createHearthApp('e2e files bad settings');
    for (const files of [{ maxUploadSize: 0 }, { signedUrlTtl: 0 }, { redirect: 'public' }, { allowedContentTypes: ['png'] }, { nope: true }]) {
      const res = await h.admin('PATCH', h.appPath(app), { body: { settings: { files } } });
      assert.ok(res.status >= 400 && res.status < 500, `files ${JSON.stringify(files)} is refused (got ${res.status}: ${res.text})`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Apps apart (Hearth)

test('another app\'s file: 404 through this app\'s URL, 153 on delete with this app\'s master key (Hearth)', { skip: h.isParseServer && ONE_APP }, async () => {
  const mine = await h.getApp();
  const other = await h.createHearthApp('e2e files other');
  const { name, url } = await uploaded('secret.txt', 'other app', { app: other, type: 'text/plain' });
  assert.ok(url.includes(`/files/${other.applicationId}/`), 'the url names its app');
  const res = await send('GET', `${h.PARSE_URL}/files/${mine.applicationId}/${name}`);
  h.assertRestError(res, 404, 101, 'another app\'s file through this app');
  assert.equal((await send('HEAD', `${h.PARSE_URL}/files/${mine.applicationId}/${name}`)).status, 404);
  const meta = await send('GET', `${h.PARSE_URL}/files/${mine.applicationId}/metadata/${name}`);
  assert.deepEqual(meta.body, {}, 'no metadata through this app');
  h.assertRestError(await remove(name), 400, 153, 'deleting another app\'s file');
  const still = await send('GET', url);
  assert.equal(still.status, 200, 'the other app\'s file is untouched');
  assert.equal(still.bytes.toString(), 'other app');
  const unknownApp = await send('GET', `${h.PARSE_URL}/files/no-such-app/${name}`);
  assert.equal(unknownApp.status, 404, `an unknown app's file is 404 (got ${unknownApp.status})`);
});

// ---------------------------------------------------------------------------------------------
// Private files (Hearth)

describe('private files (Hearth)', { skip: h.isParseServer && 'Parse Server has no private files with signed URLs' }, () => {
  let app;
  let data;
  let name;
  let className;
  let objectId;
  before(async () => {
    app = await appWithFiles({ private: true });
    data = binary(50_000);
    ({ name } = await uploaded('private.bin', data, { app }));
    className = h.cls('Secret');
    const created = await h.rest('POST', `/classes/${className}`, { app, body: { doc: { __type: 'File', name }, nested: { deep: [{ __type: 'File', name }] } } });
    assert.equal(created.status, 201, created.text);
    objectId = created.body.objectId;
  });

  /** The object as a client reads it (JavaScript key). */
  async function read() {
    const res = await h.rest('GET', `/classes/${className}/${objectId}`, { app, key: 'js' });
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  test('read answers carry a signed URL that serves the file without keys', async () => {
    const obj = await read();
    assert.equal(obj.doc.__type, 'File');
    assert.equal(obj.doc.name, name);
    const url = new URL(obj.doc.url);
    assert.ok(url.pathname.endsWith(`/files/${app.applicationId}/${name}`), `the signed url is the file's (got ${obj.doc.url})`);
    const expires = Number(url.searchParams.get('expires'));
    assert.ok(expires > Date.now() / 1000 && expires <= Date.now() / 1000 + 3600 + 60, `expires is within signedUrlTtl (got ${url.searchParams.get('expires')})`);
    assert.match(url.searchParams.get('signature') || '', /^[0-9a-f]{32,}$/, 'a hex signature');
    const res = await send('GET', obj.doc.url);
    assert.equal(res.status, 200, `the signed url works (got ${res.status}: ${res.text.slice(0, 200)})`);
    assert.ok(res.bytes.equals(data));
    assert.equal(res.headers['cache-control'], 'private, max-age=3600');
    const ranged = await send('GET', obj.doc.url, { headers: { Range: 'bytes=-10' } });
    assert.equal(ranged.status, 206);
    assert.ok(ranged.bytes.equals(data.subarray(data.length - 10)));
  });

  test('files at any depth, in queries and in included objects, are signed too', async () => {
    const obj = await read();
    const deep = obj.nested.deep[0];
    assert.equal((await send('GET', deep.url)).status, 200, `a nested file's url is signed (got ${deep.url})`);
    const found = await h.rest('GET', `/classes/${className}`, { app, key: 'js', query: { where: { objectId } } });
    assert.equal((await send('GET', found.body.results[0].doc.url)).status, 200, 'a query\'s file url is signed');
    const holder = h.cls('Holder');
    const made = await h.rest('POST', `/classes/${holder}`, { app, body: { ref: { __type: 'Pointer', className, objectId } } });
    assert.equal(made.status, 201, made.text);
    const included = await h.rest('GET', `/classes/${holder}/${made.body.objectId}`, { app, key: 'js', query: { include: 'ref' } });
    assert.equal(included.status, 200, included.text);
    const inc = included.body.ref.doc;
    assert.ok(inc && inc.url, `the included object has its file: ${included.text}`);
    assert.equal((await send('GET', inc.url)).status, 200, `an included object's file url is signed (got ${inc.url})`);
  });

  test('the unsigned URL answers 403 code 119, but serves the master key', async () => {
    const plain = await fileUrl(name, app);
    h.assertRestError(await send('GET', plain), 403, 119, 'the unsigned url');
    assert.equal((await send('HEAD', plain)).status, 403, 'HEAD of the unsigned url');
    const master = await send('GET', plain, { headers: { 'X-Parse-Master-Key': app.keys.masterKey } });
    assert.equal(master.status, 200, 'the master key reads a private file');
    assert.ok(master.bytes.equals(data));
    h.assertRestError(await send('GET', plain, { headers: { 'X-Parse-Master-Key': 'wrong' } }), 403, 119, 'a wrong master key');
    h.assertRestError(await send('GET', `${h.PARSE_URL}/files/${app.applicationId}/metadata/${name}`), 403, 119, 'the metadata of a private file, unsigned');
  });

  test('a tampered signature, a changed expiry, or another file\'s signature answer 403 code 119', async () => {
    const obj = await read();
    const url = new URL(obj.doc.url);
    const sig = url.searchParams.get('signature');
    const flip = (s) => (s[0] === '0' ? '1' : '0') + s.slice(1);
    const variants = [];
    const tampered = new URL(url);
    tampered.searchParams.set('signature', flip(sig));
    variants.push(['a tampered signature', tampered]);
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    variants.push(['a later expiry', later]);
    const past = new URL(url);
    past.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 10));
    variants.push(['an expiry in the past', past]);
    const noExpiry = new URL(url);
    noExpiry.searchParams.delete('expires');
    variants.push(['no expiry', noExpiry]);
    const other = await uploaded('other.bin', 'other', { app });
    const swapped = new URL(url);
    swapped.pathname = swapped.pathname.replace(name, other.name);
    variants.push(['another file\'s signature', swapped]);
    for (const [what, u] of variants) {
      h.assertRestError(await send('GET', u.toString()), 403, 119, what);
    }
  });

  test('a signed URL stops working when it expires (signedUrlTtl)', async () => {
    const short = await appWithFiles({ private: true, signedUrlTtl: 1 }, 'e2e files short ttl');
    const f = await uploaded('brief.txt', 'brief', { app: short, type: 'text/plain' });
    const cls = h.cls('Brief');
    const made = await h.rest('POST', `/classes/${cls}`, { app: short, body: { doc: { __type: 'File', name: f.name } } });
    const got = await h.rest('GET', `/classes/${cls}/${made.body.objectId}`, { app: short, key: 'js' });
    const signed = got.body.doc.url;
    const expires = Number(new URL(signed).searchParams.get('expires'));
    assert.ok(expires <= Date.now() / 1000 + 2, `expires is at most a second or two away (got ${expires})`);
    // Poll until it stops answering 200: it must within a few seconds (the TTL is one second).
    const res = await h.until('the signed url to expire', async () => {
      const r = await send('GET', signed);
      return r.status === 200 ? null : r;
    }, { ms: 10_000, every: 200 });
    h.assertRestError(res, 403, 119, 'an expired signed url');
    assert.ok(Date.now() / 1000 >= expires, 'it was refused only after its expiry');
  });

  test('uploads and deletes work as for public files', async () => {
    const f = await uploaded('gone.bin', 'gone', { app });
    assert.equal((await remove(f.name, { app })).status, 200);
    const res = await send('GET', await fileUrl(f.name, app), { headers: { 'X-Parse-Master-Key': app.keys.masterKey } });
    assert.equal(res.status, 404);
  });
});

// ---------------------------------------------------------------------------------------------
// Redirects (Hearth)

test('redirect presigned: S3 answers 302 to a presigned URL serving the bytes; local disk streams (Hearth)', { skip: h.isParseServer && ONE_APP }, async () => {
  const app = await appWithFiles({ redirect: 'presigned' });
  const data = binary(20_000);
  const { url } = await uploaded('presigned.bin', data, { app });
  const res = await send('GET', url);
  if (h.FILES === 's3') {
    assert.equal(res.status, 302, `a 302 to the bucket (got ${res.status}: ${res.text.slice(0, 200)})`);
    const location = res.headers.location || '';
    assert.match(location, /X-Amz-Signature=/i, `a presigned URL (got ${location})`);
    const direct = await send('GET', location);
    assert.equal(direct.status, 200, `the presigned URL serves the file (got ${direct.status}: ${direct.text.slice(0, 300)})`);
    assert.ok(direct.bytes.equals(data));
  } else {
    assert.equal(res.status, 200, 'local disk has no presigned URLs: Hearth streams the file');
    assert.ok(res.bytes.equals(data));
  }
});

test('redirect presigned on private files: the signature or the master key first, then the redirect (Hearth)', { skip: h.isParseServer && ONE_APP }, async () => {
  const app = await appWithFiles({ private: true, redirect: 'presigned' });
  const data = binary(5000);
  const { name } = await uploaded('private-presigned.bin', data, { app });
  const plain = await fileUrl(name, app);
  h.assertRestError(await send('GET', plain), 403, 119, 'the unsigned url');
  const res = await send('GET', plain, { headers: { 'X-Parse-Master-Key': app.keys.masterKey } });
  if (h.FILES === 's3') {
    assert.equal(res.status, 302, `the master key is redirected to the bucket (got ${res.status})`);
    const direct = await send('GET', res.headers.location);
    assert.ok(direct.bytes.equals(data), `the presigned URL serves the file (got ${direct.status})`);
  } else {
    assert.equal(res.status, 200);
    assert.ok(res.bytes.equals(data));
  }
});
