'use strict';
// Runs Parse Server 9 (the reference implementation) for TARGET=parse-server: one app, on the
// PostgreSQL database that lib/targets.js started. Prints "parse-server is listening on URL" when
// ready; stops on SIGTERM. The working directory is the run's temporary folder (log files and the
// file adapter's folder land there).

const { ParseServer } = require('parse-server');
const FSFilesAdapter = require('@parse/fs-files-adapter');

const port = Number(process.env.E2E_PS_PORT);
const app = JSON.parse(process.env.E2E_PS_APP);
const serverURL = `http://127.0.0.1:${port}/parse`;

async function main() {
  const server = await ParseServer.startApp({
    appId: app.appId,
    masterKey: app.masterKey,
    readOnlyMasterKey: app.readOnlyMasterKey,
    restAPIKey: app.restApiKey,
    javascriptKey: app.javascriptKey,
    clientKey: app.clientKey,
    databaseURI: process.env.E2E_PS_DATABASE_URI,
    filesAdapter: new FSFilesAdapter(),
    serverURL,
    publicServerURL: serverURL,
    port,
    host: '127.0.0.1',
    mountPath: '/parse',
    // The suite checks retried writes with X-Parse-Request-Id: Parse Server only deduplicates
    // them with idempotency switched on.
    idempotencyOptions: { paths: ['.*'], ttl: 300 },
    masterKeyIps: ['0.0.0.0/0', '::0'],
    logsFolder: process.env.E2E_PS_LOGS || null,
    logLevel: 'warn',
    verifyServerUrl: false,
    // LiveQuery for tests/e2e/live*.test.js: the classes those tests subscribe to.
    liveQuery: { classNames: ['Live_.*', 'Other_.*'] },
    startLiveQueryServer: true,
  });
  process.stdout.write(`parse-server is listening on http://127.0.0.1:${port}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 10000);
    force.unref();
    try {
      await server.handleShutdown();
      if (server.server) await new Promise((r) => server.server.close(() => r()));
    } catch {}
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`Parse Server failed to start: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
