// Parse Server 9 with its LiveQuery server, for bench/realtime/run.sh: one Node process (Parse
// Server's LiveQuery server keeps subscriptions in the process that holds the sockets and, without
// Redis, hears only the writes made in that same process, so cluster mode would lose events),
// ParseServer mounted at /parse in express, `liveQuery: {classNames}` on the REST side and
// `startLiveQueryServer: true`, which attaches the WebSocket server to the same HTTP server (it
// upgrades on any path). Otherwise the settings of bench/data-api/cluster.js.
//
//   PARSE_PORT=1338 PARSE_DATABASE_URI=postgres://postgres@127.0.0.1:5432/parse \
//     PARSE_LIVE_CLASSES=LiveBench node bench/realtime/parse-live.js
//
// Run from bench/data-api (its node_modules has parse-server 9.10.0 and express).
'use strict';
if (process.env.PARSE_LOGS_FOLDER) process.env.PARSE_SERVER_LOGS_FOLDER = process.env.PARSE_LOGS_FOLDER;
const path = require('node:path');
const modules = path.join(__dirname, '..', 'data-api', 'node_modules');
const { ParseServer } = require(path.join(modules, 'parse-server'));

const port = Number(process.env.PARSE_PORT || 1338);
(async () => {
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
    liveQuery: { classNames: (process.env.PARSE_LIVE_CLASSES || 'LiveBench').split(',') },
    startLiveQueryServer: true,
    liveQueryServerOptions: { logLevel: 'ERROR' },
  });
  console.log(`parse-server: LiveQuery on ws://127.0.0.1:${port}/parse`);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch((err) => {
  console.error('parse-server failed to start:', err);
  process.exit(1);
});
