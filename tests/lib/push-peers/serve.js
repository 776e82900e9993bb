'use strict';
// The push peers (index.js) in a process of their own, for tests in other languages.
//
//   node tests/lib/push-peers/serve.js ['{"fcmTokenTtl": 5, ...}']   (startPushPeers' options)
//
// prints one JSON line, then serves until its stdin closes (its parent is gone) or SIGTERM:
//   {"control": "http://127.0.0.1:C", "resolve", "caFile", "keys": {...},
//    "apns": {"port"}, "fcm": {"port"}, "hook": {"url", "secret"}}
// The control server (HTTP/1.1, JSON):
//   GET  /state                    {"apns": state, "fcm": state, "hook": state} (see index.js)
//   POST /script {"peer", "rule"}  peers[peer].script(rule)
//   POST /apns/expire-tokens       peers.apns.expireTokens()
//   POST /fcm/revoke-tokens        peers.fcm.revokeTokens()
//   POST /hook/secret {"secret"}   peers.hook.addSecret(secret)
//   POST /reset                    every peer's reset()

const http = require('node:http');
const { startPushPeers } = require('./index.js');

async function main() {
  const peers = await startPushPeers(process.argv[2] ? JSON.parse(process.argv[2]) : {});
  const byName = { apns: peers.apns, fcm: peers.fcm, hook: peers.hook };
  const control = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const reply = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let input = {};
      try {
        input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
      } catch {
        return reply(400, { error: 'not JSON' });
      }
      const route = `${req.method} ${req.url}`;
      if (route === 'GET /state') return reply(200, { apns: peers.apns.state(), fcm: peers.fcm.state(), hook: peers.hook.state() });
      if (route === 'POST /script') {
        const peer = byName[input.peer];
        if (!peer || typeof input.rule !== 'object') return reply(400, { error: 'expected {"peer": "apns"|"fcm"|"hook", "rule": {...}}' });
        peer.script(input.rule);
        return reply(200, {});
      }
      if (route === 'POST /apns/expire-tokens') return reply(200, (peers.apns.expireTokens(), {}));
      if (route === 'POST /hook/secret') return reply(200, (peers.hook.addSecret(String(input.secret)), {}));
      if (route === 'POST /fcm/revoke-tokens') return reply(200, (peers.fcm.revokeTokens(), {}));
      if (route === 'POST /reset') return reply(200, (Object.values(byName).forEach((p) => p.reset()), {}));
      return reply(404, { error: `no route ${route}` });
    });
  });
  await new Promise((r) => control.listen(0, '127.0.0.1', r));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    control.close();
    await peers.stop();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.stdout.write(JSON.stringify({
    control: `http://127.0.0.1:${control.address().port}`,
    resolve: peers.resolve,
    caFile: peers.caFile,
    keys: peers.keys,
    apns: { port: peers.apns.port },
    fcm: { port: peers.fcm.port },
    hook: { url: peers.hook.url, secret: peers.hook.secret },
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
