// Parse Server 9 at its best on this machine, for bench/data-api/run.sh: Node cluster mode, one
// worker per core, each worker running ParseServer mounted at /parse in express, all on one port.
// Nothing beyond the defaults: no LiveQuery, no dashboard, no cloud code (unless PARSE_CLOUD names
// a file), logs at 'error'. The one setting that is not a default is
// databaseOptions.enableSchemaHooks, which Parse Server documents as required when several
// instances share a database: without it, a class created through one worker stays unknown to the
// others (their schema cache never reloads) and they answer 119 "Permission denied" for it. It
// costs nothing per request (a LISTEN on one connection).
//
//   PARSE_PORT=1338 PARSE_DATABASE_URI=postgres://postgres@127.0.0.1:5432/parse node cluster.js
//
// Environment: PARSE_PORT, PARSE_DATABASE_URI (required); PARSE_APP_ID, PARSE_MASTER_KEY,
// PARSE_REST_API_KEY (the benchmark's fixed keys by default); PARSE_WORKERS (default: number of
// CPU cores); PARSE_LOGS_FOLDER (default: ./logs, Parse Server's own default); PARSE_CLOUD (a Cloud
// Code file for Parse Server's `cloud` option, e.g. bench/functions/parse-cloud.js; default: none).
'use strict';
const cluster = require('node:cluster');
const os = require('node:os');

const port = Number(process.env.PARSE_PORT || 1338);
const workers = Number(process.env.PARSE_WORKERS || os.cpus().length);

if (cluster.isPrimary) {
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', (w, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
      return;
    }
    console.error(`parse-server worker ${w.process.pid} died (code ${code}, signal ${signal}); stopping`);
    stop();
    process.exitCode = 1;
  });
  // The first worker initialises Parse Server's system tables on a fresh database; the others
  // start after it is ready, so that they do not race to create the same tables.
  let ready = 0;
  const fork = () =>
    cluster.fork().on('message', (msg) => {
      if (msg !== 'ready') return;
      ready += 1;
      if (ready === 1) for (let i = 1; i < workers; i++) fork();
      if (ready === workers) console.log(`parse-server: ${workers} workers listening on 127.0.0.1:${port}`);
    });
  fork();
} else {
  // Parse Server's default logger (deprecation warnings at start) reads its folder from the
  // environment before the options apply.
  if (process.env.PARSE_LOGS_FOLDER) process.env.PARSE_SERVER_LOGS_FOLDER = process.env.PARSE_LOGS_FOLDER;
  const express = require('express');
  const { ParseServer } = require('parse-server');
  process.on('disconnect', () => process.exit(0)); // the primary is gone
  (async () => {
    const server = new ParseServer({
      databaseURI: process.env.PARSE_DATABASE_URI,
      appId: process.env.PARSE_APP_ID || 'benchApp',
      masterKey: process.env.PARSE_MASTER_KEY || 'benchMasterKey',
      restAPIKey: process.env.PARSE_REST_API_KEY || 'benchRestKey',
      serverURL: `http://127.0.0.1:${port}/parse`,
      databaseOptions: { enableSchemaHooks: true },
      logLevel: 'error',
      logsFolder: process.env.PARSE_LOGS_FOLDER || './logs',
      ...(process.env.PARSE_CLOUD ? { cloud: process.env.PARSE_CLOUD } : {}),
    });
    await server.start();
    const app = express();
    app.use('/parse', server.app);
    app.listen(port, '127.0.0.1', () => process.send('ready'));
  })().catch((err) => {
    console.error('parse-server worker failed to start:', err);
    process.exit(1);
  });
}
