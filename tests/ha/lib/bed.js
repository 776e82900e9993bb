'use strict';
// The high-availability bed: everything a production Hearth deployment has, on loopback, started
// and stopped by the caller:
//
//   PostgreSQL primary      base+0   (TLS only when the binary can speak it)
//   PostgreSQL replica      base+1   streaming from the primary (pg_basebackup -R)
//   Redis                   base+2
//   blackhole proxy         base+3   -> base+0; the instances reach the primary through it
//   HAProxy (3 instances)   base+10  health check GET /ready
//   HAProxy (instance a)    base+14  the same, with instance a alone (the scaling comparison)
//   Hearth a, b, c          base+11, base+12, base+13
//   SeaweedFS (S3)          free ports (tests/lib/seaweedfs.js)
//
// Settings that only newer binaries have (TLS to PostgreSQL, replica URLs, the drain delay, the
// secret key) are used when `hearth serve --help` lists them; HA_TLS, HA_REPLICAS, HA_DRAIN,
// HA_SECRET_KEY (0 or 1) force the choice either way. Every process is a child of this one (or a
// cluster pg_ctl started) and `stop()` ends them all and removes the folder; an exit without
// `stop()` (a crash, a signal) still kills the children and the clusters.

const { spawn, spawnSync, fork } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const seaweedfs = require('../../lib/seaweedfs');
const { canListen, terminate } = require('../../lib/process');
const pg = require('./pg');

const ADMIN_EMAIL = 'ha@hearth.test';
const ADMIN_PASSWORD = 'ha-bed-password-1';
const NAMES = ['a', 'b', 'c'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls `check` until it answers a truthy value (answered), throwing after `ms` naming `what`. */
async function until(what, check, { ms = 30000, every = 50 } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(every);
  }
}

/** GET `url` on a connection of its own; answers { status, text } (never throws on HTTP errors). */
function get(url, { timeout = 5000, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { ...headers, Connection: 'close' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** The first base (from HA_BASE, else 27000 and up by 100) whose bed ports are all free. Below
 * Linux's ephemeral range (32768 and up), so that no outgoing connection takes an instance's port
 * while it restarts. */
async function pickBase() {
  const offsets = [0, 1, 2, 3, 10, 11, 12, 13, 14, 15];
  const fixed = process.env.HA_BASE ? Number(process.env.HA_BASE) : null;
  for (let base = fixed || 27000; base < (fixed || 27000) + 5000; base += 100) {
    if ((await Promise.all(offsets.map((o) => canListen(base + o)))).every(Boolean)) return base;
    if (fixed) throw new Error(`HA_BASE=${fixed}: one of the bed's ports (base + ${offsets.join(', ')}) is taken`);
  }
  throw new Error('no free range of ports found for the bed (27000-32000)');
}

/** What the binary supports, from `serve --help`, overridden by HA_<NAME>=0|1. */
function features(bin) {
  const help = spawnSync(bin, ['serve', '--help'], { encoding: 'utf8' }).stdout || '';
  const has = (flag) => help.includes(flag);
  const pick = (env, detected) => (process.env[env] === undefined || process.env[env] === '' ? detected : process.env[env] === '1');
  return {
    tls: pick('HA_TLS', has('--database-ca-file')),
    replicas: pick('HA_REPLICAS', has('--database-replica-urls')),
    drain: pick('HA_DRAIN', has('--drain-delay')),
    secretKey: pick('HA_SECRET_KEY', has('--secret-key')),
    shedding: has('--max-in-flight') || has('--database-acquire-timeout'),
  };
}

/** A CA and a certificate for 127.0.0.1 and localhost, made with openssl in `dir`. */
function makeCerts(dir) {
  const run = (args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Hearth HA bed CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  pg.own(path.join(dir, 'server.key'));
  pg.own(path.join(dir, 'server.pem'));
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') };
}

/** Sends one command to the HAProxy stats socket; answers its output. */
function haproxyCommand(sock, command) {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.setTimeout(5000, () => c.destroy(new Error('HAProxy stats socket timed out')));
    c.write(`${command}\n`);
  });
}

/** Requests HAProxy's shedding frontend lets reach the instance at once (and queues at most). */
const SHED_MAXCONN = 64;
/** Its 503, Hearth's own. */
const SHED_BODY = '{"code":1,"error":"The server is busy; try again in a moment."}';

class Bed {
  constructor() {
    this.children = new Set();
    this.instances = {};
    this.stopped = false;
  }

  log(msg) {
    if (!process.env.HA_QUIET) process.stderr.write(`[ha ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
  }

  track(child) {
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  async start({ bin } = {}) {
    this.bin = bin || process.env.HEARTH_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'hearth', 'target'), 'release', 'hearth');
    if (!fs.existsSync(this.bin)) throw new Error(`Hearth binary not found at ${this.bin}: build it or set HEARTH_BIN`);
    this.features = features(this.bin);
    this.base = await pickBase();
    const b = this.base;
    this.ports = { primary: b, replica: b + 1, redis: b + 2, proxy: b + 3, lb: b + 10, lbOne: b + 14, lbShed: b + 15, a: b + 11, b: b + 12, c: b + 13 };
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-ha-'));
    fs.chmodSync(this.dir, 0o755); // the postgres user must reach the clusters below it
    this.installExitHandler();
    this.log(`bed in ${this.dir}, ports from ${b}, binary ${this.bin}, features ${JSON.stringify(this.features)}`);

    const password = crypto.randomBytes(12).toString('hex');
    this.tls = this.features.tls ? makeCerts(this.dir) : null;
    this.pg = pg.startPair({ dir: this.dir, port: this.ports.primary, replicaPort: this.ports.replica, password, tls: this.tls });
    this.log('PostgreSQL primary and replica started');
    await this.startProxy();
    await this.startRedis();
    this.s3 = await seaweedfs.start(path.join(this.dir, 'seaweedfs'), path.join(this.dir, 'seaweedfs.log'));
    this.log(`SeaweedFS at ${this.s3.endpoint}`);
    this.secretKey = crypto.randomBytes(32).toString('hex');
    await this.startHaproxy();
    // The first instance migrates the database alone; the others then start together.
    await this.startInstance('a');
    await Promise.all(['b', 'c'].map((n) => this.startInstance(n)));
    await Promise.all(NAMES.map((n) => this.waitLb(n, 'UP')));
    this.lbUrl = `http://127.0.0.1:${this.ports.lb}`;
    this.lbOneUrl = `http://127.0.0.1:${this.ports.lbOne}`;
    this.lbShedUrl = `http://127.0.0.1:${this.ports.lbShed}`;
    this.log(`HAProxy at ${this.lbUrl} with a, b, c up`);
    return this;
  }

  /** Kills every child and cluster if the process ends without stop(). */
  installExitHandler() {
    this.onExit = () => {
      for (const c of this.children) {
        try {
          c.kill('SIGKILL');
        } catch {}
      }
      if (this.pg && !this.stopped) this.pg.stop();
    };
    process.on('exit', this.onExit);
    this.onSignal = (sig) => {
      this.stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  dbUrl(port) {
    const { user, password, database } = this.pg;
    return `postgres://${user}:${password}@127.0.0.1:${port}/${database}${this.tls ? '?sslmode=verify-full' : ''}`;
  }

  // -------------------------------------------------------------------------------------------
  // The blackhole proxy in front of the primary

  async startProxy() {
    const child = this.track(fork(path.join(__dirname, 'blackhole.js'), [String(this.ports.proxy), String(this.ports.primary)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }));
    await new Promise((resolve, reject) => {
      child.stdout.once('data', resolve);
      child.once('exit', () => reject(new Error('the blackhole proxy exited at start')));
    });
    this.proxy = child;
  }

  /** Makes the primary unreachable for `ms` (no byte moves, nothing refused); resolves when it is
   * reachable again. */
  blackhole(ms) {
    return new Promise((resolve) => {
      const onMsg = (m) => {
        if (m && m.blackholed === false) {
          this.proxy.off('message', onMsg);
          resolve();
        }
      };
      this.proxy.on('message', onMsg);
      this.proxy.send({ blackhole: ms });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Redis

  async startRedis() {
    const dir = path.join(this.dir, 'redis');
    fs.mkdirSync(dir, { recursive: true });
    const log = fs.openSync(path.join(this.dir, 'redis.log'), 'a');
    const child = this.track(spawn('redis-server', ['--port', String(this.ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', log, log] }));
    fs.closeSync(log);
    this.redis = child;
    await until('Redis to answer PING', () => this.redisPing(), { ms: 15000 });
  }

  redisPing() {
    return new Promise((resolve) => {
      const c = net.connect(this.ports.redis, '127.0.0.1');
      c.setTimeout(1000, () => c.destroy());
      c.on('error', () => resolve(false));
      c.on('data', (d) => {
        resolve(d.toString().startsWith('+PONG'));
        c.destroy();
      });
      c.write('PING\r\n');
    });
  }

  /** Stops Redis (SIGTERM: a shutdown without saving, as configured); resolves at its exit. */
  async stopRedis() {
    await terminate(this.redis, 10000, 'SIGTERM');
  }

  // -------------------------------------------------------------------------------------------
  // Hearth instances

  instanceEnv(name) {
    const dataDir = path.join(this.dir, `hearth-${name}`);
    fs.mkdirSync(dataDir, { recursive: true });
    const env = {
      ...process.env,
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PORT: String(this.ports[name]),
      HEARTH_DATA_DIR: dataDir,
      HEARTH_DATABASE_URL: this.dbUrl(this.ports.proxy),
      HEARTH_REDIS_URL: `redis://127.0.0.1:${this.ports.redis}`,
      HEARTH_FILES_STORAGE: 's3',
      HEARTH_S3_BUCKET: this.s3.bucket,
      HEARTH_S3_ENDPOINT: this.s3.endpoint,
      HEARTH_S3_FORCE_PATH_STYLE: 'true',
      HEARTH_S3_REGION: this.s3.region,
      HEARTH_S3_ACCESS_KEY_ID: this.s3.accessKeyId,
      HEARTH_S3_SECRET_ACCESS_KEY: this.s3.secretAccessKey,
      HEARTH_PUBLIC_URL: `http://127.0.0.1:${this.ports.lb}`,
      HEARTH_TRUST_PROXY: 'true',
      HEARTH_ADMIN_EMAIL: ADMIN_EMAIL,
      HEARTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
      HEARTH_ADMIN_LOGIN_FAILURES: '1000',
      HEARTH_SHUTDOWN_TIMEOUT: '20',
      HEARTH_LOG: process.env.HA_HEARTH_LOG || 'warn',
    };
    delete env.HEARTH_CONFIG;
    if (this.tls) env.HEARTH_DATABASE_CA_FILE = this.tls.ca;
    if (this.features.replicas) env.HEARTH_DATABASE_REPLICA_URLS = this.dbUrl(this.ports.replica);
    if (this.features.drain) env.HEARTH_DRAIN_DELAY = process.env.HA_DRAIN_DELAY || '2s';
    if (this.features.secretKey) env.HEARTH_SECRET_KEY = this.secretKey;
    return env;
  }

  /** Starts instance `name` and resolves once its /ready answers 200 (within 120 s). */
  async startInstance(name) {
    const logFile = path.join(this.dir, `hearth-${name}.log`);
    const log = fs.openSync(logFile, 'a');
    fs.writeSync(log, `\n==== start ${new Date().toISOString()}\n`);
    const child = this.track(spawn(this.bin, ['serve'], { env: this.instanceEnv(name), stdio: ['ignore', log, log] }));
    fs.closeSync(log);
    let exited = null;
    child.on('exit', (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));
    this.instances[name] = child;
    const url = `http://127.0.0.1:${this.ports[name]}/ready`;
    const deadline = Date.now() + 120000;
    for (;;) {
      if (exited) throw new Error(`Hearth ${name} ${exited} before it was ready; see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')}`);
      try {
        if ((await get(url, { timeout: 2000 })).status === 200) break;
      } catch {}
      if (Date.now() > deadline) throw new Error(`Hearth ${name} was not ready within 120 s; see ${logFile}`);
      await sleep(50);
    }
    return child;
  }

  pid(name) {
    const c = this.instances[name];
    return c && c.exitCode === null && c.signalCode === null ? c.pid : null;
  }

  /** Stops instance `name` with `signal` and resolves at its exit; answers how long it took. */
  async stopInstance(name, signal = 'SIGTERM') {
    const t = Date.now();
    await terminate(this.instances[name], 40000, signal);
    return Date.now() - t;
  }

  // -------------------------------------------------------------------------------------------
  // HAProxy

  async startHaproxy() {
    const server = (n) => `  server ${n} 127.0.0.1:${this.ports[n]} check`;
    // HA_CHECK_PATH: another health check path (/health), to compare what a fault does with it.
    const check = ['  balance roundrobin', `  option httpchk GET ${process.env.HA_CHECK_PATH || '/ready'}`, '  http-check expect status 200', '  default-server inter 500 fall 2 rise 2'];
    this.haproxySock = path.join(this.dir, 'haproxy.sock');
    const cfg = [
      'global',
      '  maxconn 4000',
      `  stats socket ${this.haproxySock} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  timeout queue 30s',
      '  timeout tunnel 1h',
      // A refused connection (an instance just killed) is tried again on another instance; a
      // request already sent is never resent by HAProxy (the client decides, with its request id).
      '  retries 3',
      '  option redispatch 1',
      '  option forwardfor',
      'frontend all',
      `  bind 127.0.0.1:${this.ports.lb}`,
      '  default_backend hearth',
      'frontend one',
      `  bind 127.0.0.1:${this.ports.lbOne}`,
      '  default_backend hearth_one',
      'backend hearth',
      ...check,
      ...NAMES.map(server),
      'backend hearth_one',
      ...check,
      server('a'),
      // Instance a behind the load balancer's own shedding, to compare with Hearth's: at most
      // SHED_MAXCONN requests at the instance, a queue of as many in HAProxy, and past that an
      // answer at once, the same 503 with Retry-After as Hearth's.
      'frontend shed',
      `  bind 127.0.0.1:${this.ports.lbShed}`,
      `  http-request return status 503 content-type application/json string '${SHED_BODY}' hdr Retry-After 1 hdr X-Shed-By haproxy if { queue(hearth_shed) ge ${SHED_MAXCONN} }`,
      '  default_backend hearth_shed',
      'backend hearth_shed',
      ...check,
      '  timeout queue 1s',
      `  server a 127.0.0.1:${this.ports.a} check maxconn ${SHED_MAXCONN}`,
      '',
    ].join('\n');
    const cfgFile = path.join(this.dir, 'haproxy.cfg');
    fs.writeFileSync(cfgFile, cfg);
    const log = fs.openSync(path.join(this.dir, 'haproxy.log'), 'a');
    this.haproxy = this.track(spawn('haproxy', ['-f', cfgFile, '-db'], { stdio: ['ignore', log, log] }));
    fs.closeSync(log);
    await until('HAProxy to answer on its stats socket', () => haproxyCommand(this.haproxySock, 'show info').then((out) => out.includes('Name: HAProxy')), { ms: 10000 });
  }

  /** The HAProxy state of instance `name` in the three-instance backend: UP, DOWN, ... */
  async lbState(name) {
    const out = await haproxyCommand(this.haproxySock, 'show stat');
    const lines = out.split('\n');
    const header = lines[0].replace(/^# /, '').split(',');
    const status = header.indexOf('status');
    for (const l of lines.slice(1)) {
      const f = l.split(',');
      if (f[0] === 'hearth' && f[1] === name) return f[status];
    }
    return null;
  }

  /** Waits until HAProxy's health checks see instance `name` as `state` (UP or DOWN). */
  waitLb(name, state, ms = 30000) {
    return until(`HAProxy to see ${name} ${state}`, async () => (await this.lbState(name)) === state, { ms });
  }

  // -------------------------------------------------------------------------------------------

  /** Waits until every instance is ready and up behind HAProxy. */
  async settle(ms = 60000) {
    await Promise.all(NAMES.map((n) => this.waitLb(n, 'UP', ms)));
  }

  async stop({ keep = false } = {}) {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(NAMES.map((n) => terminate(this.instances[n], 20000, 'SIGTERM')));
    await Promise.all([terminate(this.haproxy, 5000, 'SIGTERM'), terminate(this.redis, 5000, 'SIGTERM'), terminate(this.proxy, 5000, 'SIGTERM')]);
    if (this.s3) await this.s3.stop();
    if (this.pg) this.pg.stop();
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    if (keep) {
      for (const d of ['pg-primary', 'pg-replica', 'seaweedfs', 'redis', 'hearth-a', 'hearth-b', 'hearth-c']) fs.rmSync(path.join(this.dir, d), { recursive: true, force: true });
      this.log(`logs kept in ${this.dir}`);
    } else {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** psql on the primary (directly, not through the blackhole proxy). */
  psql(sql) {
    return pg.psql({ port: this.ports.primary, user: this.pg.user, password: this.pg.password, database: this.pg.database, tls: !!this.tls }, sql);
  }
}

module.exports = { Bed, makeCerts, ADMIN_EMAIL, ADMIN_PASSWORD, NAMES, get, until, sleep };
