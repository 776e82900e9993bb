// Parse Server 9 with push, for bench/push/run.sh: one Node process (its push queue is in
// process), @parse/push-adapter 8 for iOS (native APNs, token authentication) and Android (FCM
// HTTP v1 through firebase-admin), both reaching the local peers through redirect.cjs and
// NODE_EXTRA_CA_CERTS. Parse Server has no push hooks: `web` installations go to "a minimal
// custom adapter" that POSTs each batch Parse's queue hands it (queueOptions.batchSize) to the
// hook receiver, in the body and with the signature Hearth's push hooks use, so that the
// receiver checks both servers alike.
//
//   PARSE_PORT=1338 PARSE_DATABASE_URI=postgres://... PUSH_KEYS=/dir/with/keys HOOK_URL=http://127.0.0.1:40125/hook \
//     HOOK_SECRET=whsec_... node -r bench/push/redirect.cjs bench/push/parse-push.js
//
// PUSH_KEYS holds apns.p8, service-account.json and ids.json ({keyId, teamId, topic}).
// PARSE_MODULES: the node_modules with parse-server 9.10 and @parse/push-adapter 8.4 (default
// tests/node_modules).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const http = require('node:http');
const crypto = require('node:crypto');
const { pathToFileURL } = require('node:url');

if (process.env.PARSE_LOGS_FOLDER) process.env.PARSE_SERVER_LOGS_FOLDER = process.env.PARSE_LOGS_FOLDER;
const modules = process.env.PARSE_MODULES || path.join(__dirname, '..', '..', 'tests', 'node_modules');
const { ParseServer } = require(path.join(modules, 'parse-server'));
const keys = process.env.PUSH_KEYS;
const ids = JSON.parse(fs.readFileSync(path.join(keys, 'ids.json'), 'utf8'));

const hookUrl = new URL(process.env.HOOK_URL);
const hookSecret = process.env.HOOK_SECRET || '';
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function postHook(body, installations, pushId) {
  const raw = JSON.stringify({
    pushId: pushId || null,
    sentAt: new Date().toISOString(),
    expiresAt: null,
    data: body.data,
    installations: installations.map((i) => ({
      objectId: i.objectId, installationId: i.installationId, deviceType: i.deviceType, pushType: i.pushType,
      deviceToken: i.deviceToken, channels: i.channels, badge: i.badge, localeIdentifier: i.localeIdentifier,
      timeZone: i.timeZone, appIdentifier: i.appIdentifier,
    })),
  });
  const t = Math.floor(Date.now() / 1000);
  const sig = crypto.createHmac('sha256', hookSecret).update(`${t}.`).update(raw).digest('hex');
  return new Promise((resolve) => {
    const req = http.request({
      hostname: hookUrl.hostname, port: hookUrl.port, path: hookUrl.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw),
        'hearth-signature': `t=${t},v1=${sig}`, 'hearth-delivery-id': `${pushId}:${installations[0].objectId}` },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode >= 200 && res.statusCode < 300));
    });
    req.on('error', () => resolve(false));
    req.end(raw);
  }).then((ok) => installations.map((device) => ({ device, transmitted: ok })));
}

(async () => {
  const adapterPath = require.resolve('@parse/push-adapter', { paths: [modules] });
  const { default: ParsePushAdapter } = await import(pathToFileURL(adapterPath).href);
  const native = new ParsePushAdapter({
    android: { firebaseServiceAccount: JSON.parse(fs.readFileSync(path.join(keys, 'service-account.json'), 'utf8')) },
    ios: { useNativeAPNs: true, topic: ids.topic, production: true,
      token: { key: fs.readFileSync(path.join(keys, 'apns.p8'), 'utf8'), keyId: ids.keyId, teamId: ids.teamId } },
  });
  const adapter = {
    getValidPushTypes: () => ['ios', 'android', 'web'],
    async send(body, installations, pushId) {
      const web = installations.filter((i) => i.deviceType === 'web');
      const rest = installations.filter((i) => i.deviceType !== 'web');
      const out = [];
      if (rest.length) out.push(...(await native.send(body, rest)));
      if (web.length) out.push(...(await postHook(body, web, pushId)));
      return out;
    },
  };
  const port = Number(process.env.PARSE_PORT || 1338);
  await ParseServer.startApp({
    databaseURI: process.env.PARSE_DATABASE_URI,
    appId: process.env.PARSE_APP_ID || 'benchApp',
    masterKey: process.env.PARSE_MASTER_KEY || 'benchMasterKey',
    restAPIKey: process.env.PARSE_REST_API_KEY || 'benchRestKey',
    serverURL: `http://127.0.0.1:${port}/parse`,
    port,
    host: '127.0.0.1',
    mountPath: '/parse',
    logLevel: 'error',
    logsFolder: process.env.PARSE_LOGS_FOLDER || './logs',
    push: { adapter, queueOptions: { batchSize: Number(process.env.PARSE_BATCH_SIZE || 100) } },
  });
  console.log(`parse-server: push on http://127.0.0.1:${port}/parse`);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch((err) => {
  console.error('parse-server failed to start:', err);
  process.exit(1);
});
