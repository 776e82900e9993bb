'use strict';
// Starts and stops the server the suite runs against (env TARGET):
//   hearth        the Hearth binary (HEARTH_BIN), with its own embedded PostgreSQL, keeping files
//                 on local disk, or (env FILES=s3) on a SeaweedFS S3 server of the run's own;
//   parse-server  Parse Server 9 from node_modules on a PostgreSQL cluster of this run's own.
// Each start returns { env, stop }: `env` is what the test files read (see lib/harness.js),
// `stop()` ends every process the start created. Nothing here prints after the start line, so
// that the test runner's summary stays the last thing run.js prints.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const seaweedfs = require('./seaweedfs');
const { freePort, terminate } = require('./process');

const ADMIN_EMAIL = 'e2e@hearth.test';
const ADMIN_PASSWORD = 'e2e-password-1';

/** Resolves when `child` prints a line matching `re` on stdout (with the match), rejects when it
 * exits first or when `ms` pass. Everything it prints also goes to `logFile`. */
function waitForLine(child, re, ms, logFile, what) {
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  return new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(val);
    };
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${ms / 1000}s; see ${logFile}`)), ms);
    child.stdout.on('data', (d) => {
      log.write(d);
      if (done) return;
      buf += d.toString();
      const m = buf.match(re);
      if (m) finish(null, m);
    });
    child.stderr.on('data', (d) => log.write(d));
    child.on('exit', (code, signal) => {
      finish(new Error(`${what} exited (code ${code}, signal ${signal}) before it was ready; see ${logFile}:\n${tail(logFile)}`));
    });
    child.on('error', (e) => finish(new Error(`${what} could not be started: ${e.message}`)));
  });
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Hearth

function hearthBin() {
  if (process.env.HEARTH_BIN) return process.env.HEARTH_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'hearth', 'target');
  return path.join(target, 'debug', 'hearth');
}

/** The push providers' stand-ins (lib/push-peers) in a process of their own for the whole run:
 * Hearth reaches them through its operator settings, the test files through E2E_PUSH_PEERS
 * (serve.js's line: the control address, the keys, the hook receiver). */
async function startPushPeers(runDir) {
  const child = spawn(process.execPath, [path.join(__dirname, 'push-peers', 'serve.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const m = await waitForLine(child, /^(\{.*\})\n/m, 60000, path.join(runDir, 'push-peers.log'), 'the push peers');
  return { info: JSON.parse(m[1]), line: m[1], stop: () => terminate(child, 5000) };
}

/** Starts Hearth; `files` is `local` (files under its data folder) or `s3` (a SeaweedFS server
 * of the run's own, started first and stopped last). */
async function startHearth(runDir, files = 'local') {
  const bin = hearthBin();
  if (!fs.existsSync(bin)) {
    throw new Error(`Hearth binary not found at ${bin}: build it (cargo build -p hearth) or set HEARTH_BIN`);
  }
  const dataDir = path.join(runDir, 'hearth-data');
  fs.mkdirSync(dataDir, { mode: 0o755 });
  fs.chmodSync(dataDir, 0o755);
  const logFile = path.join(runDir, 'server.log');
  // Cloud code in the tests calls receivers on this machine (loopback), which Hearth refuses by
  // default.
  const env = { ...process.env, HEARTH_ADMIN_EMAIL: ADMIN_EMAIL, HEARTH_ADMIN_PASSWORD: ADMIN_PASSWORD, HEARTH_OUTBOUND_PRIVATE_NETWORK: 'true',
    // Every browser test signs in from 127.0.0.1 against this one server: the tests that try a
    // wrong password must not use up the address's failed-login budget for the others (the
    // limit itself is tested in server/tests/api/admin_accounts.rs).
    HEARTH_ADMIN_LOGIN_FAILURES: '1000' };
  // What the test files learn of the file storage, to check what it holds (lib/harness.js).
  const filesEnv = { E2E_FILES: files };
  let s3 = null;
  if (files === 's3') {
    s3 = await seaweedfs.start(path.join(runDir, 'seaweedfs'), path.join(runDir, 'seaweedfs.log'));
    Object.assign(env, {
      HEARTH_FILES_STORAGE: 's3',
      HEARTH_S3_BUCKET: s3.bucket,
      HEARTH_S3_ENDPOINT: s3.endpoint,
      HEARTH_S3_FORCE_PATH_STYLE: 'true',
      HEARTH_S3_REGION: s3.region,
      HEARTH_S3_ACCESS_KEY_ID: s3.accessKeyId,
      HEARTH_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
    filesEnv.E2E_S3 = JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  } else if (files === 'local') {
    delete env.HEARTH_FILES_STORAGE;
    filesEnv.E2E_FILES_DIR = path.join(dataDir, 'files');
  } else {
    throw new Error(`unknown FILES ${JSON.stringify(files)}: use local or s3`);
  }
  let peers;
  try {
    peers = await startPushPeers(runDir);
  } catch (e) {
    if (s3) await s3.stop();
    throw e;
  }
  // Pushes go to the peers: every instance of the run (lib/instance.js too) reaches the providers'
  // names at the peers' ports and trusts their CA.
  const pushEnv = { HEARTH_PUSH_RESOLVE: peers.info.resolve, HEARTH_PUSH_EXTRA_CA_FILE: peers.info.caFile };
  Object.assign(env, pushEnv);
  const child = spawn(bin, ['serve', '--port', '0', '--data-dir', dataDir, '--log', 'warn'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let m;
  try {
    m = await waitForLine(child, /is listening on (http:\/\/[^\s]+)/, 120000, logFile, `Hearth (${bin})`);
  } catch (e) {
    await terminate(child);
    await peers.stop();
    if (s3) await s3.stop();
    throw e;
  }
  const base = m[1].replace(/\/+$/, '');
  return {
    description: `Hearth ${bin} at ${base}, files ${s3 ? `on ${s3.description}` : 'on local disk'}`,
    env: {
      E2E_TARGET: 'hearth',
      E2E_BASE_URL: base,
      E2E_ADMIN_EMAIL: ADMIN_EMAIL,
      E2E_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // For tests that start another instance on the same database (lib/instance.js).
      E2E_HEARTH_BIN: bin,
      E2E_HEARTH_DATA_DIR: dataDir,
      E2E_PUSH_PEERS: peers.line,
      ...pushEnv,
      ...filesEnv,
    },
    stop: async () => {
      await terminate(child, 30000);
      await peers.stop();
      if (s3) await s3.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (for Parse Server)

function pgBinDir() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql), or set PG_BIN');
  return path.join(root, versions[0], 'bin');
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL tool, as the `postgres` OS user when we are root (initdb refuses root). */
function pgRun(bin, args, logFile) {
  const cmd = isRoot ? 'runuser' : bin;
  const full = isRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, full, { encoding: 'utf8' });
  if (logFile) fs.appendFileSync(logFile, `$ ${path.basename(bin)} ${args.join(' ')}\n${r.stdout || ''}${r.stderr || ''}`);
  if (r.status !== 0) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout || r.error}`);
  }
  return r.stdout;
}

/** PostGIS is needed by Parse Server's PostgreSQL adapter for $nearSphere and $centerSphere. */
function ensurePostgis(binDir) {
  const version = path.basename(path.dirname(binDir));
  const shareDir = `/usr/share/postgresql/${version}/extension`;
  if (fs.existsSync(path.join(shareDir, 'postgis.control'))) return;
  if (isRoot && fs.existsSync('/usr/bin/apt-get')) {
    process.stdout.write(`Installing PostGIS for PostgreSQL ${version} (apt-get install postgresql-${version}-postgis-3)...\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', `postgresql-${version}-postgis-3`], { env, encoding: 'utf8' });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
      r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', `postgresql-${version}-postgis-3`], { env, encoding: 'utf8' });
    }
    if (r.status === 0 && fs.existsSync(path.join(shareDir, 'postgis.control'))) return;
  }
  throw new Error(`PostGIS for PostgreSQL ${version} is missing (Parse Server needs it for geo queries): apt-get install postgresql-${version}-postgis-3`);
}

async function startPostgres(runDir) {
  const bin = pgBinDir();
  ensurePostgis(bin);
  const dir = path.join(runDir, 'pg');
  const sock = path.join(runDir, 'pgsock');
  const logFile = path.join(runDir, 'postgres.log');
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.mkdirSync(sock, { mode: 0o755 });
  fs.writeFileSync(logFile, '');
  if (isRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gw = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (pw.status !== 0) throw new Error('running as root needs an OS user `postgres` to run PostgreSQL');
    const uid = Number(pw.stdout.trim());
    const gid = Number(gw.stdout.trim());
    for (const p of [dir, sock, logFile]) fs.chownSync(p, uid, gid);
  }
  const port = await freePort();
  pgRun(path.join(bin, 'initdb'), ['-D', dir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8'], logFile);
  const opts = [
    `-p ${port}`,
    `-k ${sock}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  pgRun(path.join(bin, 'pg_ctl'), ['-D', dir, '-o', opts, '-l', logFile, '-w', '-t', '60', 'start']);
  const stop = async () => {
    try {
      pgRun(path.join(bin, 'pg_ctl'), ['-D', dir, '-m', 'fast', '-w', '-t', '30', 'stop']);
    } catch {
      try {
        pgRun(path.join(bin, 'pg_ctl'), ['-D', dir, '-m', 'immediate', '-w', 'stop']);
      } catch {}
    }
  };
  try {
    const psql = (db, sql) => pgRun(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
    psql('postgres', 'CREATE DATABASE parse_e2e');
    psql('parse_e2e', 'CREATE EXTENSION IF NOT EXISTS postgis');
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/parse_e2e`, stop };
}

// ---------------------------------------------------------------------------------------------
// Parse Server

async function startParseServer(runDir) {
  const pg = await startPostgres(runDir);
  const port = await freePort();
  const rnd = () => require('node:crypto').randomBytes(15).toString('hex');
  const app = {
    appId: `e2e-${rnd().slice(0, 8)}`,
    masterKey: rnd(),
    readOnlyMasterKey: rnd(),
    restApiKey: rnd(),
    javascriptKey: rnd(),
    clientKey: rnd(),
  };
  const logFile = path.join(runDir, 'server.log');
  const child = spawn(process.execPath, [path.join(__dirname, 'parse-server-main.js')], {
    env: {
      ...process.env,
      E2E_PS_PORT: String(port),
      E2E_PS_DATABASE_URI: pg.url,
      E2E_PS_LOGS: path.join(runDir, 'parse-logs'),
      E2E_PS_APP: JSON.stringify(app),
    },
    cwd: runDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let m;
  try {
    m = await waitForLine(child, /parse-server is listening on (http:\/\/[^\s]+)/, 120000, logFile, 'Parse Server');
  } catch (e) {
    await terminate(child);
    await pg.stop();
    throw e;
  }
  const base = m[1].replace(/\/+$/, '');
  return {
    description: `Parse Server ${require('parse-server/package.json').version} at ${base} on PostgreSQL`,
    env: {
      E2E_TARGET: 'parse-server',
      E2E_BASE_URL: base,
      // @parse/fs-files-adapter keeps files in `files/` below the working directory.
      E2E_FILES: 'local',
      E2E_FILES_DIR: path.join(runDir, 'files'),
      E2E_APP: JSON.stringify({
        applicationId: app.appId,
        keys: {
          masterKey: app.masterKey,
          readOnlyMasterKey: app.readOnlyMasterKey,
          restApiKey: app.restApiKey,
          javascriptKey: app.javascriptKey,
          clientKey: app.clientKey,
        },
      }),
    },
    stop: async () => {
      await terminate(child, 20000);
      await pg.stop();
    },
  };
}

/** `files`: where Hearth keeps files, `local` (the default) or `s3` (env FILES). */
async function startTarget(name, runDir, files = 'local') {
  if (name === 'hearth') return startHearth(runDir, files);
  if (name === 'parse-server') {
    if (files !== 'local') throw new Error(`FILES=${files} is for TARGET=hearth (Parse Server runs with @parse/fs-files-adapter)`);
    return startParseServer(runDir);
  }
  throw new Error(`unknown TARGET ${JSON.stringify(name)}: use hearth or parse-server`);
}

module.exports = { startTarget, waitForLine, ADMIN_EMAIL, ADMIN_PASSWORD };
