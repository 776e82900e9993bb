'use strict';
// Local stand-ins for the push providers, speaking their real protocols closely enough that a
// client which passes here passes with Apple and Google: an APNs provider API (HTTP/2, TLS,
// ES256 provider tokens), FCM HTTP v1 with Google's OAuth2 token endpoint (RS256 JWT-bearer
// grant), and a push-hook receiver verifying Hearth's signature. Node built-ins and the openssl
// CLI only.
//
//   const { startPushPeers } = require('./lib/push-peers');
//   const peers = await startPushPeers(opts);
//
// opts (all optional): host ('127.0.0.1'), apnsPort / fcmPort / hookPort (0: any free port),
// teamId ('DEF123GHIJ'), keyId ('ABC123DEFG'), topic ('com.example.app'), projectId
// ('peer-project'), hookSecret ('whsec_' + 32 random characters), fcmTokenTtl (seconds an access
// token lives, 3599), light (deliveries keep token, at and key only: for load runs).
//
// peers.resolve   'api.push.apple.com=127.0.0.1:P,api.sandbox.push.apple.com=127.0.0.1:P,
//                  fcm.googleapis.com=127.0.0.1:Q,oauth2.googleapis.com=127.0.0.1:Q'
//                  (HEARTH_PUSH_RESOLVE)
// peers.caFile    the PEM of the CA that signed the peers' certificate (valid for those four names,
//                  localhost and 127.0.0.1): HEARTH_PUSH_EXTRA_CA_FILE, NODE_EXTRA_CA_CERTS
// peers.keys      { apnsP8Pem, teamId, keyId, topic, serviceAccount } what an app is configured
//                  with (serviceAccount is the JSON object Google's console downloads)
// peers.apns, peers.fcm, peers.hook: one peer each, with
//   .port, (.url and .secret for the hook)
//   .deliveries    accepted requests, in order: { token, headers, body, at (ms), connection,
//                  stream, key } (hook: token is null, installations lists the objectIds)
//   .requests      every request: { token, status, reason, at, scripted }
//   .errors        requests refused for a protocol fault (bad JWT, missing header, bad
//                  signature...): a correct client leaves this empty
//   .duplicates()  deliveries whose key was delivered before (APNs: token + apns-id; FCM: token
//                  + push_id; hook: Hearth-Delivery-Id)
//   .script(rule)  answers the next matching requests otherwise: { token? (any when absent),
//                  status, reason? (APNs), errorCode? / message? (FCM), retryAfter? (seconds),
//                  times? (how many requests; every one when absent), invalid? (hook: objectIds
//                  listed in a 200 answer) }; rules are tried in the order given
//   .reset()       forgets deliveries, requests, errors and rules
//   .state()       all of the above as plain JSON (for a peer in another process)
//   .until(n, ms)  resolves when n deliveries have been accepted (rejects after ms, 30000)
// peers.apns.jwts       the distinct provider tokens seen; .expireTokens(): those seen so far are
//                       answered 403 ExpiredProviderToken from now on
// peers.hook.addSecret(s)  also accepts batches signed with s (the secret Hearth made for an app)
// peers.fcm.tokenRequests  how many POST /token arrived; .accessTokens: issued tokens;
//                       .revokeTokens(): issued tokens are answered 401 UNAUTHENTICATED
// peers.stop()    closes everything and removes the temporary files
//
// serve.js runs these in a process of their own for tests written in other languages; redirect.cjs
// points a Node program whose provider hosts are fixed in code (Parse Server with
// @parse/push-adapter) at them.

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const http2 = require('node:http2');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const APNS_HOSTS = ['api.push.apple.com', 'api.sandbox.push.apple.com'];
const FCM_HOSTS = ['fcm.googleapis.com', 'oauth2.googleapis.com'];
const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const PUSH_TYPES = ['alert', 'background', 'voip', 'location', 'complication', 'fileprovider', 'mdm', 'liveactivity', 'pushtotalk'];
const TOPIC_SUFFIX = { voip: '.voip', complication: '.complication', fileprovider: '.pushkit.fileprovider', liveactivity: '.push-type.liveactivity', pushtotalk: '.voip-ptt' };

/** A CA and a server certificate it signed, valid for the providers' names (openssl CLI). */
function makeCertificate(dir) {
  const file = (name) => path.join(dir, name);
  const run = (args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=Push peers test CA', '-keyout', file('ca.key'), '-out', file('ca.pem')]);
  run(['req', ...ec, '-subj', '/CN=push-peer', '-keyout', file('key.pem'), '-out', file('peer.csr')]);
  const names = ['localhost', ...APNS_HOSTS, ...FCM_HOSTS].map((n) => `DNS:${n}`).concat('IP:127.0.0.1');
  fs.writeFileSync(file('ext.cnf'), `subjectAltName=${names.join(',')}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', file('peer.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-out', file('cert.pem'), '-extfile', file('ext.cnf')]);
  return { key: fs.readFileSync(file('key.pem')), cert: fs.readFileSync(file('cert.pem')), caFile: file('ca.pem') };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const json = (text) => { try { return JSON.parse(text); } catch { return undefined; } };

/** Decodes a compact JWT and checks its signature: { header, claims } or a reason string. */
function verifyJwt(jwt, { alg, publicKey }) {
  const parts = String(jwt || '').split('.');
  if (parts.length !== 3) return 'not a JWT';
  const header = json(Buffer.from(parts[0], 'base64url').toString());
  const claims = json(Buffer.from(parts[1], 'base64url').toString());
  if (!header || !claims) return 'undecodable JWT';
  if (header.alg !== alg) return `alg ${header.alg}, expected ${alg}`;
  const input = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = Buffer.from(parts[2], 'base64url');
  const key = alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey;
  if (!crypto.verify('sha256', input, key, sig)) return 'bad signature';
  return { header, claims };
}

/** What every peer keeps: records, scripted rules, waiting. */
function recorder() {
  const peer = {
    deliveries: [],
    requests: [],
    errors: [],
    rules: [],
    script(rule) { peer.rules.push({ times: Infinity, ...rule }); },
    /** The first rule for this token with answers left (spending one), or undefined. */
    take(token) {
      const rule = peer.rules.find((r) => r.times > 0 && (r.token === undefined || r.token === token));
      if (rule) rule.times -= 1;
      return rule;
    },
    duplicates() {
      const seen = new Set();
      let count = 0;
      for (const d of peer.deliveries) {
        if (seen.has(d.key)) count += 1;
        seen.add(d.key);
      }
      return count;
    },
    reset() { peer.deliveries.length = 0; peer.requests.length = 0; peer.errors.length = 0; peer.rules.length = 0; },
    async until(n, ms = 30000) {
      const deadline = Date.now() + ms;
      while (peer.deliveries.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${n} deliveries (${peer.deliveries.length} so far)`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return peer.deliveries;
    },
    state() {
      return { deliveries: peer.deliveries, requests: peer.requests, errors: peer.errors, duplicates: peer.duplicates() };
    },
  };
  return peer;
}

function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => { size += c.length; if (size <= limit) chunks.push(c); });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts `server`, keeping its connections so that stop() can end them at once. */
function listen(server, host, port) {
  server.sockets = new Set();
  server.on('connection', (socket) => {
    server.sockets.add(socket);
    socket.on('close', () => server.sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}

/** Connection ids, for telling HTTP/2 sessions apart in the records. */
function sessionIds() {
  const ids = new WeakMap();
  let next = 0;
  return (session) => {
    if (!ids.has(session)) ids.set(session, { id: ++next, jwt: undefined, changes: [] });
    return ids.get(session);
  };
}

async function startApns({ key, cert, host, port, publicKey, teamId, keyId, topic, light }) {
  const peer = recorder();
  const jwts = [];
  const expired = new Set();
  const verified = new Map();
  const session = sessionIds();
  const server = http2.createSecureServer({ key, cert, maxSessionMemory: 100 });
  server.on('request', async (req, res) => {
    const at = Date.now();
    const body = await readBody(req);
    const conn = session(req.stream.session);
    const match = /^\/3\/device\/(.*)$/.exec(req.headers[':path'] || '');
    const token = match ? match[1] : null;
    const answer = (status, reason, { scripted = false, retryAfter, headers = {} } = {}) => {
      peer.requests.push({ token, status, reason, at, scripted });
      if (!scripted && status !== 200) peer.errors.push({ token, status, reason, headers: req.headers });
      const out = { 'apns-id': req.headers['apns-id'] || crypto.randomUUID(), ...headers };
      if (retryAfter !== undefined) out['retry-after'] = String(retryAfter);
      if (status === 200) { res.writeHead(200, out); res.end(); return; }
      out['content-type'] = 'application/json';
      res.writeHead(status, out);
      res.end(JSON.stringify(status === 410 ? { reason, timestamp: at } : { reason }));
    };
    if (req.headers[':method'] !== 'POST') return answer(405, 'MethodNotAllowed');
    if (!match) return answer(404, 'BadPath');
    if (!/^[0-9a-fA-F]{64,200}$/.test(token)) return answer(400, 'BadDeviceToken');
    // The provider token.
    const auth = /^bearer (.+)$/i.exec(req.headers.authorization || '');
    if (!auth) return answer(403, 'MissingProviderToken');
    const jwt = auth[1];
    // A token's signature is checked once (a client reuses it for thousands of requests).
    let decoded = verified.get(jwt);
    if (!decoded) {
      decoded = verifyJwt(jwt, { alg: 'ES256', publicKey });
      if (typeof decoded !== 'string') verified.set(jwt, decoded);
    }
    if (typeof decoded === 'string' || decoded.header.kid !== keyId || decoded.claims.iss !== teamId || typeof decoded.claims.iat !== 'number') {
      return answer(403, 'InvalidProviderToken');
    }
    const now = Math.floor(at / 1000);
    if (decoded.claims.iat > now + 60) return answer(403, 'InvalidProviderToken');
    if (expired.has(jwt) || decoded.claims.iat < now - 3600) return answer(403, 'ExpiredProviderToken');
    if (!jwts.includes(jwt)) jwts.push(jwt);
    if (conn.jwt !== undefined && conn.jwt !== jwt) {
      conn.changes = conn.changes.filter((t) => t > at - 20 * 60 * 1000).concat(at);
      if (conn.changes.length >= 2) return answer(429, 'TooManyProviderTokenUpdates');
    }
    conn.jwt = jwt;
    // Headers.
    const pushType = req.headers['apns-push-type'] || 'alert';
    if (!PUSH_TYPES.includes(pushType)) return answer(400, 'InvalidPushType');
    const wantTopic = topic + (TOPIC_SUFFIX[pushType] || '');
    if (!req.headers['apns-topic']) return answer(400, 'MissingTopic');
    if (req.headers['apns-topic'] !== wantTopic) return answer(400, 'BadTopic');
    const priority = req.headers['apns-priority'];
    if (priority !== undefined && !['1', '5', '10'].includes(priority)) return answer(400, 'BadPriority');
    if (pushType === 'background' && priority !== '5') return answer(400, 'BadPriority');
    const expiration = req.headers['apns-expiration'];
    if (expiration !== undefined && !/^\d+$/.test(expiration)) return answer(400, 'BadExpirationDate');
    const collapse = req.headers['apns-collapse-id'];
    if (collapse !== undefined && Buffer.byteLength(collapse) > 64) return answer(400, 'BadCollapseId');
    const id = req.headers['apns-id'];
    if (id !== undefined && !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(id)) return answer(400, 'BadMessageId');
    // The payload.
    if (body.length === 0) return answer(400, 'PayloadEmpty');
    if (body.length > (pushType === 'voip' ? 5120 : 4096)) return answer(413, 'PayloadTooLarge');
    const payload = json(body.toString());
    if (!payload || typeof payload.aps !== 'object' || payload.aps === null || Array.isArray(payload.aps)) return answer(400, 'BadPayload');
    const rule = peer.take(token);
    if (rule && rule.status !== 200) return answer(rule.status, rule.reason || 'ServiceUnavailable', { scripted: true, retryAfter: rule.retryAfter });
    peer.deliveries.push(light ? { token, at, key: `${token}/${id || ''}` } : { token, headers: req.headers, body: payload, at, connection: conn.id, stream: req.stream.id, key: `${token}/${id || ''}` });
    answer(200, null);
  });
  const actual = await listen(server, host, port);
  const peerState = peer.state;
  return Object.assign(peer, {
    port: actual,
    server,
    jwts,
    expireTokens() { for (const j of jwts) expired.add(j); },
    state() { return { ...peerState(), jwts }; },
  });
}

const CANONICAL = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };
const FCM_CODE = { 400: 'INVALID_ARGUMENT', 403: 'SENDER_ID_MISMATCH', 404: 'UNREGISTERED', 429: 'QUOTA_EXCEEDED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };
const FCM_MESSAGE = {
  400: 'The registration token is not a valid FCM registration token',
  404: 'Requested entity was not found.',
  429: 'Quota exceeded.',
  503: 'The service is currently unavailable.',
};

async function startFcm({ key, cert, host, port, publicKey, clientEmail, projectId, tokenTtl, light }) {
  const peer = recorder();
  const accessTokens = new Map(); // token -> expiry (ms)
  const session = sessionIds();
  let tokenRequests = 0;
  let sent = 0;
  const server = http2.createSecureServer({ key, cert, allowHTTP1: true, maxSessionMemory: 100 });
  server.on('request', async (req, res) => {
    const at = Date.now();
    const raw = await readBody(req);
    const method = req.method;
    const url = req.url;
    const reply = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (method === 'POST' && url === '/token') {
      tokenRequests += 1;
      const form = new URLSearchParams(raw.toString());
      const refuse = (description) => {
        peer.requests.push({ token: null, status: 400, reason: description, at, scripted: false });
        peer.errors.push({ token: null, status: 400, reason: description, headers: req.headers });
        reply(400, { error: 'invalid_grant', error_description: description });
      };
      if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] || '')) return refuse('Bad content type.');
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('Invalid grant_type.');
      const decoded = verifyJwt(form.get('assertion'), { alg: 'RS256', publicKey });
      if (typeof decoded === 'string') return refuse('Invalid JWT Signature.');
      const { iss, aud, scope, iat, exp } = decoded.claims;
      const now = Math.floor(at / 1000);
      if (iss !== clientEmail) return refuse('Invalid issuer.');
      if (aud !== TOKEN_URL) return refuse('Invalid JWT audience.');
      if (typeof scope !== 'string' || !scope.split(' ').includes(FCM_SCOPE)) return refuse('Invalid scope.');
      if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600 || iat > now + 60 || exp < now) return refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
      const token = `peer-${crypto.randomBytes(12).toString('hex')}`;
      accessTokens.set(token, at + tokenTtl * 1000);
      peer.requests.push({ token: null, status: 200, reason: 'token', at, scripted: false });
      return reply(200, { access_token: token, expires_in: tokenTtl, token_type: 'Bearer' });
    }
    const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url);
    const body = json(raw.toString());
    const token = body && body.message && typeof body.message.token === 'string' ? body.message.token : null;
    const fail = (status, { message, errorCode, scripted = false, retryAfter } = {}) => {
      const reason = errorCode || CANONICAL[status];
      peer.requests.push({ token, status, reason, at, scripted });
      if (!scripted) peer.errors.push({ token, status, reason, message, headers: req.headers });
      const error = { code: status, message: message || FCM_MESSAGE[status] || reason, status: CANONICAL[status] || 'UNKNOWN' };
      if (errorCode) error.details = [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }];
      reply(status, { error }, retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {});
    };
    if (method !== 'POST' || !send) return fail(404, { message: 'Not found' });
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    const expiry = bearer && accessTokens.get(bearer[1]);
    if (!expiry || expiry < at) return fail(401, { message: 'Request had invalid authentication credentials. Expected OAuth 2 access token.' });
    if (send[1] !== projectId) return fail(403, { message: `Permission denied on project ${send[1]}` });
    if (!body || !body.message || !token) return fail(400, { message: 'Invalid JSON payload: message.token is required' });
    const android = body.message.android || {};
    const data = android.data || {};
    if (Object.values(data).some((v) => typeof v !== 'string')) return fail(400, { message: 'Invalid value at \'message.android.data\': values must be strings' });
    if (Object.keys(data).some((k) => k === 'from' || k === 'gcm' || k.startsWith('google'))) return fail(400, { message: 'Invalid data key (reserved)' });
    const size = Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (size > 4096) return fail(400, { message: `Android message is too big (${size} bytes of data)` });
    if (android.ttl !== undefined && !(/^\d+(\.\d+)?s$/.test(android.ttl) && parseFloat(android.ttl) <= 2419200)) return fail(400, { message: 'Invalid value at \'message.android.ttl\'' });
    if (android.priority !== undefined && !['high', 'normal', 'HIGH', 'NORMAL'].includes(android.priority)) return fail(400, { message: 'Invalid value at \'message.android.priority\'' });
    const rule = peer.take(token);
    if (rule && rule.status !== 200) {
      return fail(rule.status, { message: rule.message, errorCode: rule.errorCode || FCM_CODE[rule.status], scripted: true, retryAfter: rule.retryAfter });
    }
    sent += 1;
    peer.requests.push({ token, status: 200, reason: null, at, scripted: false });
    const conn = req.stream ? session(req.stream.session).id : 0;
    const key = `${token}/${data.push_id || ''}`;
    peer.deliveries.push(light ? { token, at, key } : { token, headers: req.headers, body, at, connection: conn, stream: req.stream ? req.stream.id : 0, key });
    reply(200, { name: `projects/${projectId}/messages/${sent}` });
  });
  const actual = await listen(server, host, port);
  const peerState = peer.state;
  // A getter (Object.assign would copy the count once).
  Object.defineProperty(peer, 'tokenRequests', { get: () => tokenRequests, enumerable: true });
  return Object.assign(peer, {
    port: actual,
    server,
    accessTokens,
    revokeTokens() { for (const t of accessTokens.keys()) accessTokens.set(t, 0); },
    state() { return { ...peerState(), tokenRequests, accessTokens: [...accessTokens.keys()] }; },
  });
}

// docs/push.md's Node snippet, verbatim (so that the documented check is the one tested): keep
// the two the same.
function verify(secret, header, rawBody, tolerance = 300) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=')));
  const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest('hex');
  const fresh = Math.abs(Date.now() / 1000 - Number(parts.t)) <= tolerance;
  return fresh && parts.v1?.length === expected.length
    && crypto.timingSafeEqual(Buffer.from(parts.v1), Buffer.from(expected));
}

/** Whether a Hearth-Signature header signs `rawBody` with `secret`, within five minutes. */
function verifyHearthSignature(secret, header, rawBody) {
  return typeof header === 'string' && verify(secret, header, rawBody);
}

async function startHook({ host, port, secret, light }) {
  const peer = recorder();
  const secrets = [secret];
  const server = http.createServer(async (req, res) => {
    const at = Date.now();
    const raw = await readBody(req, 64 << 20);
    const deliveryId = req.headers['hearth-delivery-id'] || null;
    const reply = (status, body, { scripted = false, retryAfter, reason } = {}) => {
      peer.requests.push({ token: deliveryId, status, reason: reason || null, at, scripted });
      const headers = { 'content-type': 'application/json' };
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
      res.writeHead(status, headers);
      res.end(JSON.stringify(body));
    };
    const refuse = (reason) => {
      peer.errors.push({ token: deliveryId, status: 400, reason, headers: req.headers });
      reply(400, { error: reason }, { reason });
    };
    if (req.method !== 'POST') return refuse('not a POST');
    if (!/^application\/json/.test(req.headers['content-type'] || '')) return refuse('not JSON');
    if (!secrets.some((s) => verifyHearthSignature(s, req.headers['hearth-signature'], raw))) return refuse('bad Hearth-Signature');
    if (!deliveryId) return refuse('no Hearth-Delivery-Id');
    const body = json(raw.toString());
    if (!body || typeof body.pushId !== 'string' || !Array.isArray(body.installations) || typeof body.data !== 'object') return refuse('not a push batch');
    const rule = peer.take(undefined);
    if (rule && rule.status && rule.status !== 200) return reply(rule.status, { error: 'scripted' }, { scripted: true, retryAfter: rule.retryAfter, reason: `HTTP ${rule.status}` });
    const installations = body.installations.map((i) => i.objectId);
    peer.deliveries.push(light ? { token: null, deliveryId, pushId: body.pushId, installations, at, key: deliveryId } : { token: null, deliveryId, pushId: body.pushId, installations, headers: req.headers, body, at, key: deliveryId });
    reply(200, rule && rule.invalid ? { invalid: rule.invalid } : {});
  });
  const actual = await listen(server, host, port);
  return Object.assign(peer, {
    port: actual,
    server,
    secret,
    secrets,
    addSecret(s) { if (!secrets.includes(s)) secrets.push(s); },
    url: `http://${host}:${actual}/push`,
  });
}

async function startPushPeers(opts = {}) {
  const host = opts.host || '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'push-peers-'));
  try {
    const { key, cert, caFile } = makeCertificate(dir);
    const teamId = opts.teamId || 'DEF123GHIJ';
    const keyId = opts.keyId || 'ABC123DEFG';
    const topic = opts.topic || 'com.example.app';
    const projectId = opts.projectId || 'peer-project';
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const serviceAccount = {
      type: 'service_account',
      project_id: projectId,
      private_key_id: crypto.randomBytes(20).toString('hex'),
      private_key: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: `push@${projectId}.iam.gserviceaccount.com`,
      client_id: '100000000000000000001',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: TOKEN_URL,
    };
    const hookSecret = opts.hookSecret || `whsec_${b64url(crypto.randomBytes(24))}`;
    const light = Boolean(opts.light);
    const apns = await startApns({ key, cert, host, port: opts.apnsPort || 0, publicKey: ec.publicKey, teamId, keyId, topic, light });
    const fcm = await startFcm({ key, cert, host, port: opts.fcmPort || 0, publicKey: rsa.publicKey, clientEmail: serviceAccount.client_email, projectId, tokenTtl: opts.fcmTokenTtl || 3599, light });
    const hook = await startHook({ host, port: opts.hookPort || 0, secret: hookSecret, light });
    const resolve = [...APNS_HOSTS.map((h) => `${h}=${host}:${apns.port}`), ...FCM_HOSTS.map((h) => `${h}=${host}:${fcm.port}`)].join(',');
    return {
      resolve,
      caFile,
      keys: { apnsP8Pem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }), teamId, keyId, topic, serviceAccount },
      apns,
      fcm,
      hook,
      async stop() {
        await Promise.all([apns, fcm, hook].map((p) => new Promise((r) => {
          p.server.close(() => r());
          for (const socket of p.server.sockets) socket.destroy();
        })));
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

module.exports = { startPushPeers, verifyHearthSignature };
