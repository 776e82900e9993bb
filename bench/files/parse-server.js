// Parse Server 9 for bench/files/run.sh: Node cluster mode, one worker per core (as in
// bench/data-api), each worker running ParseServer mounted at /parse in express on the same port,
// with files on local disk through @parse/fs-files-adapter (Parse Server's own adapter for a
// folder) and maxUploadSize raised so that a 1 GiB file is within the limit. Nothing else beyond
// the defaults, plus databaseOptions.enableSchemaHooks, which Parse Server documents as required
// when several instances share a database (see bench/data-api/cluster.js).
//
//   PARSE_PORT=1338 PARSE_DATABASE_URI=postgres://... PARSE_FILES_ROOT=/tmp/x node parse-server.js
//
// Environment: PARSE_PORT, PARSE_DATABASE_URI, PARSE_FILES_ROOT (required: the adapter keeps files
// in <root>/files/); PARSE_APP_ID, PARSE_MASTER_KEY, PARSE_REST_API_KEY (the benchmark's keys by
// default); PARSE_MAX_UPLOAD_SIZE (default 2gb); PARSE_WORKERS (default: number of CPU cores);
// PARSE_LOGS_FOLDER (default ./logs).
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
    // A worker that dies (out of memory, say) is reported and replaced, so that the run can go
    // on and record what happened.
    console.error(`parse-server worker ${w.process.pid} died (code ${code}, signal ${signal}); starting another`);
    cluster.fork();
  });
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
  if (process.env.PARSE_LOGS_FOLDER) process.env.PARSE_SERVER_LOGS_FOLDER = process.env.PARSE_LOGS_FOLDER;
  // FSFilesAdapter keeps files in ./files relative to the working directory.
  if (!process.env.PARSE_FILES_ROOT) throw new Error('PARSE_FILES_ROOT is required');
  process.chdir(process.env.PARSE_FILES_ROOT);
  const express = require('express');
  const { ParseServer } = require('parse-server');
  const FSFilesAdapter = require('@parse/fs-files-adapter');
  process.on('disconnect', () => process.exit(0));
  (async () => {
    const server = new ParseServer({
      databaseURI: process.env.PARSE_DATABASE_URI,
      appId: process.env.PARSE_APP_ID || 'benchApp',
      masterKey: process.env.PARSE_MASTER_KEY || 'benchMasterKey',
      restAPIKey: process.env.PARSE_REST_API_KEY || 'benchRestKey',
      serverURL: `http://127.0.0.1:${port}/parse`,
      filesAdapter: new FSFilesAdapter(),
      maxUploadSize: process.env.PARSE_MAX_UPLOAD_SIZE || '2gb',
      databaseOptions: { enableSchemaHooks: true },
      logLevel: 'error',
      logsFolder: process.env.PARSE_LOGS_FOLDER || './logs',
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
