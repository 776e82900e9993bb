'use strict';
// Another Hearth instance beside the run's server, for tests of what instances share: it runs the
// same binary on the same data folder, so it joins the same (embedded) PostgreSQL cluster.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { waitForLine } = require('./targets');
const { terminate } = require('./process');

/** Starts a second instance (on `port`, by default any free one); answers {base, port, stop}. */
async function startSecondInstance({ port = 0 } = {}) {
  const bin = process.env.E2E_HEARTH_BIN;
  const dataDir = process.env.E2E_HEARTH_DATA_DIR;
  if (!bin || !dataDir) throw new Error('E2E_HEARTH_BIN and E2E_HEARTH_DATA_DIR are set by run.js for Hearth');
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-second-')), 'server.log');
  // The former name of HEARTH_OUTBOUND_PRIVATE_NETWORK, on purpose: it must keep working.
  const child = spawn(bin, ['serve', '--port', String(port), '--data-dir', dataDir, '--log', 'warn'], {
    env: { ...process.env, HEARTH_ADMIN_EMAIL: process.env.E2E_ADMIN_EMAIL, HEARTH_ADMIN_PASSWORD: process.env.E2E_ADMIN_PASSWORD, HEARTH_FUNCTION_PRIVATE_NETWORK: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = await waitForLine(child, /is listening on (http:\/\/[^\s]+)/, 120000, logFile, `a second Hearth (${bin})`);
  const base = m[1].replace(/\/+$/, '');
  return { base, port: Number(new URL(base).port), logFile, stop: () => terminate(child, 30000) };
}

module.exports = { startSecondInstance };
