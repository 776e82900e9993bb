#!/usr/bin/env node
'use strict';
// The high-availability bed (see lib/bed.js): starts it, runs the chaos scenarios under mixed
// load, the overload and the scaling measurements, writes every figure to results.json, stops
// the bed. Exit code 1 when a check failed (a lost or duplicated write, a lost file) or the bed
// could not run.
//
//   node ha/run.js                 everything, with figures (make test-ha)
//   node ha/run.js --short         each fault once under a short load, the checks only (make test
//                                  runs this through ha/ha.test.js)
//   node ha/run.js --only=redis,replica   the chaos scenarios whose name contains a word
//   node ha/run.js --skip-overload --skip-scaling
//   node ha/run.js --self-check    also prove the checks can fail (always on with --short)
//   HEARTH_BIN=...                 the binary (default: $CARGO_TARGET_DIR/release/hearth)
//   HA_RESULTS=path                where the results go (default: ha/results.json; with --short,
//                                  hearth-ha-short.json in the temporary folder)
//   HA_KEEP=1                      keep the bed's logs (always kept when a check fails)

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Bed } = require('./lib/bed');
const { createApp, runChaos, selfCheck } = require('./lib/chaos');

function machine() {
  const cpus = os.cpus();
  const version = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return ((r.stdout || '') + (r.stderr || '')).split('\n')[0].trim();
  };
  return {
    cpus: cpus.length,
    cpuModel: cpus[0] && cpus[0].model,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    node: process.version,
    postgres: version('psql', ['--version']),
    redis: version('redis-server', ['--version']),
    haproxy: version('haproxy', ['-v']),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function main(argv = process.argv.slice(2)) {
  const short = argv.includes('--short');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? onlyArg.slice(7).split(',') : null;
  const results = { command: `node tests/ha/run.js ${argv.join(' ')}`.trim(), mode: short ? 'short' : 'full', startedAt: new Date().toISOString(), machine: machine() };
  const bed = new Bed();
  let failed = false;
  try {
    await bed.start();
    results.binary = bed.bin;
    // The commit the binary was built from, when the caller knows it (make test-ha does).
    results.binaryCommit = process.env.HA_BINARY_COMMIT || null;
    results.binaryVersion = spawnSync(bed.bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    results.features = bed.features;
    const app = await createApp(bed);
    results.scenarios = await runChaos(bed, app, { mode: short ? 'short' : 'full', only });
    failed = results.scenarios.some((s) => s.problems.length);
    if (short || argv.includes('--self-check')) {
      results.selfCheck = await selfCheck(bed, app);
      failed ||= results.selfCheck.cleanProblems.length > 0 || !Object.values(results.selfCheck.caught).every(Boolean);
    }
    if (!short && !argv.includes('--skip-overload')) {
      const { runOverload } = require('./lib/overload');
      results.overload = await runOverload(bed, app);
    }
    if (!short && !argv.includes('--skip-scaling')) {
      const { runScaling } = require('./lib/scaling');
      results.scaling = await runScaling(bed, app);
    }
  } catch (e) {
    failed = true;
    results.error = e.stack || String(e);
    console.error(results.error);
  } finally {
    results.finishedAt = new Date().toISOString();
    const out = process.env.HA_RESULTS || (short ? path.join(os.tmpdir(), 'hearth-ha-short.json') : path.join(__dirname, 'results.json'));
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    bed.log(`results in ${out}`);
    await bed.stop({ keep: failed || process.env.HA_KEEP === '1' });
  }
  return { results, failed };
}

if (require.main === module) {
  main().then(
    ({ failed }) => process.exit(failed ? 1 : 0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

module.exports = { main };
