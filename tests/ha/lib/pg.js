'use strict';
// PostgreSQL for the high-availability bed: a primary on a TCP port of loopback and a streaming
// replica made from it with pg_basebackup (`-R`: standby.signal and primary_conninfo), each a
// cluster of its own in the bed's folder, started and stopped with pg_ctl. As root every
// PostgreSQL program runs as the `postgres` user (runuser), which owns the clusters; the bed's
// folder must then be reachable by it (mode 0755). With `tls`, the primary (and so the replica,
// whose configuration is a copy) accepts only TLS on TCP (`hostssl`), with the certificate in
// `tls.cert`/`tls.key`.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const IS_ROOT = process.getuid && process.getuid() === 0;

/** The folder of PostgreSQL's programs (pg_ctl, initdb, pg_basebackup). */
function pgBinDir() {
  if (process.env.HEARTH_POSTGRES_BIN_DIR) return process.env.HEARTH_POSTGRES_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
    for (const v of versions.reverse()) if (fs.existsSync(path.join(root, v, 'bin', 'pg_ctl'))) return path.join(root, v, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  if (which.status === 0) return path.dirname(fs.realpathSync(which.stdout.trim()));
  throw new Error('PostgreSQL not found: install it or set HEARTH_POSTGRES_BIN_DIR');
}

/** Runs a PostgreSQL program (as `postgres` when root) from `/`; throws with its output on failure. */
function pgRun(prog, args, { env = {}, timeout = 120000, allowFail = false } = {}) {
  const bin = path.join(pgBinDir(), prog);
  const [cmd, argv] = IS_ROOT ? ['runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), bin, ...args]] : [bin, args];
  const res = spawnSync(cmd, argv, { cwd: '/', env: { ...process.env, ...env }, encoding: 'utf8', timeout });
  if (!allowFail && res.status !== 0) {
    throw new Error(`${prog} ${args.join(' ')} failed (status ${res.status}${res.error ? `, ${res.error.message}` : ''}):\n${res.stdout}\n${res.stderr}`);
  }
  return res;
}

/** Gives `file` to the `postgres` user when running as root. */
function own(file) {
  if (IS_ROOT) spawnSync('chown', ['-R', 'postgres:postgres', file]);
}

class Cluster {
  constructor(dir, port, name) {
    this.dir = dir;
    this.port = port;
    this.name = name;
    // In a folder the postgres user may write to.
    const logDir = path.join(path.dirname(dir), 'pg-logs');
    fs.mkdirSync(logDir, { recursive: true });
    own(logDir);
    this.log = path.join(logDir, `${name}.log`);
  }

  start() {
    pgRun('pg_ctl', ['-D', this.dir, '-l', this.log, '-w', '-t', '60', '-s', 'start']);
  }

  /** `mode`: fast (a clean stop) or immediate (as if the machine died). */
  stop(mode = 'fast') {
    pgRun('pg_ctl', ['-D', this.dir, '-m', mode, '-w', '-t', '60', '-s', 'stop'], { allowFail: true });
  }

  running() {
    return fs.existsSync(path.join(this.dir, 'postmaster.pid'));
  }

  /** The postmaster's process id (from postmaster.pid), or null. */
  pid() {
    try {
      return Number(fs.readFileSync(path.join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  }
}

/**
 * Creates and starts the primary (on `port`) and its replica (on `replicaPort`) under `dir`.
 * Answers { primary, replica, user, password, database, stop() }.
 */
function startPair({ dir, port, replicaPort, password, tls }) {
  const user = 'hearth';
  const database = 'hearth';
  const pwfile = path.join(dir, 'pg-password');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  // host:port:database:user:password, for pg_basebackup and the replica's primary_conninfo.
  const passfile = path.join(dir, 'pgpass');
  fs.writeFileSync(passfile, `*:*:*:${user}:${password}\n`, { mode: 0o600 });
  own(pwfile);
  own(passfile);

  const primaryDir = path.join(dir, 'pg-primary');
  fs.mkdirSync(primaryDir, { mode: 0o700 });
  own(primaryDir);
  pgRun('initdb', ['-D', primaryDir, '-U', user, '-A', 'scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-locale']);
  const sockDir = (name) => {
    const d = path.join(dir, `pgsock-${name}`);
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    own(d);
    return d;
  };
  const conf = [
    '',
    '# The high-availability bed',
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    `unix_socket_directories = '${sockDir('primary')}'`,
    // Three instances with their pools, their background connections and the bed's own checks.
    'max_connections = 300',
    'wal_level = replica',
    'max_wal_senders = 5',
    'hot_standby = on',
    'wal_keep_size = 256MB',
  ];
  const hostType = tls ? 'hostssl' : 'host';
  if (tls) {
    conf.push('ssl = on', `ssl_cert_file = '${tls.cert}'`, `ssl_key_file = '${tls.key}'`);
  }
  fs.appendFileSync(path.join(primaryDir, 'postgresql.conf'), `${conf.join('\n')}\n`);
  fs.writeFileSync(
    path.join(primaryDir, 'pg_hba.conf'),
    ['local all all scram-sha-256', `${hostType} all all 127.0.0.1/32 scram-sha-256`, `${hostType} replication all 127.0.0.1/32 scram-sha-256`, ''].join('\n'),
  );
  own(primaryDir);
  const primary = new Cluster(primaryDir, port, 'pg-primary');
  primary.start();
  psql({ port, user, password, database: 'postgres', tls: !!tls }, `CREATE DATABASE ${database}`);

  // The replica: a base backup of the primary, which copies its postgresql.conf (port and socket
  // folder included): both are overridden before it starts.
  const replicaDir = path.join(dir, 'pg-replica');
  fs.mkdirSync(replicaDir, { mode: 0o700 });
  own(replicaDir);
  pgRun('pg_basebackup', ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-D', replicaDir, '-R', '-X', 'stream', '-c', 'fast'], { env: { PGPASSFILE: passfile } });
  fs.appendFileSync(path.join(replicaDir, 'postgresql.conf'), `\n# The replica\nport = ${replicaPort}\nunix_socket_directories = '${sockDir('replica')}'\n`);
  own(replicaDir);
  fs.chmodSync(replicaDir, 0o700);
  const replica = new Cluster(replicaDir, replicaPort, 'pg-replica');
  replica.start();
  return {
    primary,
    replica,
    user,
    password,
    database,
    stop() {
      replica.stop('immediate');
      primary.stop('immediate');
    },
  };
}

/** Runs `sql` with psql on 127.0.0.1:`port`; answers its rows as arrays of strings. */
function psql({ port, user, password, database, tls }, sql) {
  const res = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database, '-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    env: { ...process.env, PGPASSWORD: password, PGSSLMODE: tls ? 'require' : 'prefer', PGCONNECT_TIMEOUT: '10' },
    encoding: 'utf8',
    timeout: 60000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`psql on port ${port} failed: ${res.stderr || res.error}`);
  return res.stdout
    .split('\n')
    .filter((l) => l.length)
    .map((l) => l.split('\t'));
}

module.exports = { startPair, psql, pgBinDir, IS_ROOT, own };
