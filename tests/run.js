#!/usr/bin/env node
'use strict';
// Runs the end-to-end suite: starts the target server once (env TARGET: `hearth`, the default, or
// `parse-server`), runs `node --test` on e2e/*.test.js with the server's address in the
// environment, then stops the server. The last lines printed are the node test runner's own
// summary; the exit code is non-zero when a test fails or the server cannot be started.
//
//   node run.js                      every file, against Hearth
//   TARGET=parse-server node run.js  every file, against Parse Server 9 on PostgreSQL
//   node run.js queries geo          only e2e/*queries*.test.js and e2e/*geo*.test.js
//   node run.js --test-name-pattern=increment    extra options go to `node --test`
//   FILES=s3 node run.js files       the file suite against Hearth keeping files on a SeaweedFS
//                                    S3 server that the run starts (lib/seaweedfs.js) and stops

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startTarget } = require('./lib/targets');

async function main() {
  const target = process.env.TARGET || 'hearth';
  const storage = process.env.FILES || 'local';
  const e2eDir = path.join(__dirname, 'e2e');
  const args = process.argv.slice(2);
  const nodeOpts = args.filter((a) => a.startsWith('--'));
  const filters = args.filter((a) => !a.startsWith('--'));
  const files = fs
    .readdirSync(e2eDir)
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
    .sort()
    .map((f) => path.join('e2e', f));
  if (!files.length) {
    console.error(`no test file matches ${filters.join(', ')}`);
    return 2;
  }

  const runDir = fs.mkdtempSync('/tmp/hearth-e2e-');
  fs.chmodSync(runDir, 0o755); // the `postgres` user must reach the clusters below it
  let server;
  const started = Date.now();
  try {
    server = await startTarget(target, runDir, storage);
  } catch (e) {
    console.error(`Could not start the ${target} target: ${e.message}`);
    console.error(`(logs are kept in ${runDir})`);
    return 1;
  }
  console.log(`e2e: ${server.description}, started in ${((Date.now() - started) / 1000).toFixed(1)}s; logs in ${runDir} (kept when a test fails)`);

  let stopping = null;
  const stop = () => (stopping ||= server.stop().catch(() => {}));
  const onSignal = (sig) => {
    stop().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Readable output on stdout (spec), and a TAP copy whose summary block is printed again at the
  // very end when failures were listed after the spec summary.
  const tapFile = path.join(runDir, 'results.tap');
  const code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tapFile}`,
        // Node 20 applies this to each test file as a whole too: the SDK files compile Kotlin
        // (tens of seconds on a loaded machine), so the bound is three minutes.
        '--test-timeout=180000',
        '--test-concurrency=2',
        ...nodeOpts,
        ...files,
      ],
      { cwd: __dirname, env: { ...process.env, ...server.env }, stdio: 'inherit' },
    );
    child.on('exit', (c, sig) => resolve(c === null ? 1 : c || (sig ? 1 : 0)));
    child.on('error', () => resolve(1));
  });

  await stop();
  if (code !== 0) {
    // The spec reporter lists the failing tests after its summary: repeat the runner's summary
    // (from the TAP copy) so that it stays the last thing printed.
    let summary = [];
    try {
      const lines = fs.readFileSync(tapFile, 'utf8').trimEnd().split('\n');
      const start = lines.findLastIndex((l) => /^# tests \d+/.test(l));
      if (start >= 0) summary = lines.slice(start);
    } catch {}
    if (summary.length) process.stdout.write(`\n${summary.join('\n')}\n`);
  }
  if (code === 0) fs.rmSync(runDir, { recursive: true, force: true });
  else {
    // Keep the logs; drop the database and storage folders, which are large (and the cluster's
    // owned by `postgres`).
    for (const d of ['pg', 'hearth-data', 'pgsock', 'seaweedfs', 'files']) fs.rmSync(path.join(runDir, d), { recursive: true, force: true });
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
