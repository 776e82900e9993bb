'use strict';
// A preload for Node programs whose push providers' hosts are fixed in code (Parse Server with
// @parse/push-adapter: firebase-admin, google-auth-library, the APNs connection): TLS
// connections to the hosts named in PUSH_PEERS_REDIRECT go to the peers instead.
//
//   PUSH_PEERS_REDIRECT="$(the peers' resolve)" NODE_EXTRA_CA_CERTS="$(the peers' caFile)" \
//     node -r ./tests/lib/push-peers/redirect.cjs lib/parse-server-main.js ...
//
// PUSH_PEERS_REDIRECT has HEARTH_PUSH_RESOLVE's form: host=ip:port,... . The connection keeps the
// host's name for SNI and the certificate check (the peers' certificate is valid for it), and
// goes to ip:port. Node's https, http2 and fetch (undici) all connect through tls.connect.

const tls = require('node:tls');

const targets = new Map();
for (const pair of (process.env.PUSH_PEERS_REDIRECT || '').split(',').map((p) => p.trim()).filter(Boolean)) {
  const m = /^([^=]+)=(.+):(\d+)$/.exec(pair);
  if (!m) throw new Error(`PUSH_PEERS_REDIRECT: ${JSON.stringify(pair)} is not host=ip:port`);
  targets.set(m[1].toLowerCase(), { host: m[2], port: Number(m[3]) });
}

const connect = tls.connect;
tls.connect = function redirected(...args) {
  // tls.connect(options[, cb]) or tls.connect(port[, host][, options][, cb]).
  let options;
  let rest;
  if (args[0] !== null && typeof args[0] === 'object') {
    options = { ...args[0] };
    rest = args.slice(1);
  } else {
    options = { port: args[0] };
    let i = 1;
    if (typeof args[i] === 'string') options.host = args[i++];
    if (args[i] !== null && typeof args[i] === 'object') Object.assign(options, args[i++]);
    rest = args.slice(i);
  }
  const name = String(options.servername || options.host || '').toLowerCase();
  const target = targets.get(name);
  if (target && !options.socket) {
    options.servername = name;
    options.host = target.host;
    options.port = target.port;
    return connect.call(this, options, ...rest);
  }
  return connect.apply(this, args);
};

// firebase-admin 13.7 sends `:scheme: https:` (the URL's protocol, colon included). Google's
// servers take it; nghttp2 (under Node's http2 server, the peers) refuses the stream as a
// protocol error. The scheme is sent as `https` here, in the client only.
const http2 = require('node:http2');
const http2Connect = http2.connect;
http2.connect = function connectFixingScheme(...args) {
  const session = http2Connect.apply(this, args);
  const request = session.request;
  session.request = function requestFixingScheme(headers, ...rest) {
    if (headers && typeof headers[':scheme'] === 'string' && headers[':scheme'].endsWith(':')) {
      headers = { ...headers, ':scheme': headers[':scheme'].slice(0, -1) };
    }
    return request.call(this, headers, ...rest);
  };
  return session;
};
