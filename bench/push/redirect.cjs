// Preload for Parse Server in bench/push/run.sh (`node -r ./redirect.cjs`): the push providers'
// host names, hard-coded in @parse/push-adapter (APNs), firebase-admin (FCM) and
// google-auth-library (the OAuth2 token URL), resolve to the local peers instead of DNS:
// PUSH_PEER_APNS (default 127.0.0.2) for Apple's hosts, PUSH_PEER_FCM (default 127.0.0.3) for
// Google's. The peers listen on port 443 there; TLS still checks their certificate, trusted
// through NODE_EXTRA_CA_CERTS. Node's net/tls and undici all resolve through dns.lookup.
'use strict';
const dns = require('node:dns');
const apns = process.env.PUSH_PEER_APNS || '127.0.0.2';
const fcm = process.env.PUSH_PEER_FCM || '127.0.0.3';
const map = {
  'api.push.apple.com': apns,
  'api.sandbox.push.apple.com': apns,
  'api.development.push.apple.com': apns,
  'fcm.googleapis.com': fcm,
  'oauth2.googleapis.com': fcm,
};
const answer = (address, options) => (options && options.all ? [{ address, family: 4 }] : { address, family: 4 });
const lookup = dns.lookup;
dns.lookup = function (host, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}];
  if (typeof options === 'number') options = { family: options };
  const address = map[String(host).toLowerCase()];
  if (!address) return lookup.call(dns, host, options, callback);
  const a = answer(address, options);
  process.nextTick(() => (options && options.all ? callback(null, a) : callback(null, a.address, 4)));
  return {};
};
const plookup = dns.promises.lookup;
dns.promises.lookup = async function (host, options) {
  const address = map[String(host).toLowerCase()];
  return address ? answer(address, typeof options === 'object' ? options : {}) : plookup.call(dns.promises, host, options);
};

// firebase-admin 13 sends the pseudo-header `:scheme: https:` (its URL's `protocol`, colon
// included) over HTTP/2. Google's front ends accept it; the peer's HTTP/2 stack (the h2 crate)
// refuses the request as malformed (PROTOCOL_ERROR). Strip the colon so the peer sees what a
// well-formed client sends; nothing else of the request changes.
const http2 = require('node:http2');
const connect = http2.connect;
http2.connect = function (...args) {
  const session = connect.apply(this, args);
  const request = session.request;
  session.request = function (headers, ...rest) {
    if (headers && typeof headers[':scheme'] === 'string') headers = { ...headers, ':scheme': headers[':scheme'].replace(/:$/, '') };
    return request.call(this, headers, ...rest);
  };
  return session;
};
