'use strict';
// Scaling: the same CPU-bound load (logins: the password hash is checked with argon2id on the
// instance, and the database only inserts a session row; closed loops) against instance a
// alone and against the three instances, both through HAProxy (its `one` and `all` frontends),
// one after the other in the same run. CPU time is read from /proc for each instance, the
// PostgreSQL primary and replica (postmaster and backends) and this process (the load
// generator): on a machine with fewer cores than processes, the figures say where the CPU went.
// Replica reads are shown by `hearth_db_reads_total{target}` from every instance's /metrics
// when the binary has it.

const os = require('node:os');
const { request, round } = require('./load');
const { seed, queryPath, closedLoop, summarize, cpuSeconds, clusterCpuSeconds, scrape, diff } = require('./measure');
const { NAMES } = require('./bed');

async function phase(bed, app, base, path, concurrency, ms, options = {}) {
  const reads0 = await scrape(bed, NAMES, 'hearth_db_reads_total', 'target');
  const cpu0 = Object.fromEntries(NAMES.map((n) => [n, cpuSeconds(bed.pid(n))]));
  const pg0 = { primary: clusterCpuSeconds(bed.pg.primary), replica: clusterCpuSeconds(bed.pg.replica) };
  const gen0 = process.cpuUsage();
  const attempts = await closedLoop(base, app, path, concurrency, ms, options);
  const gen = process.cpuUsage(gen0);
  const cpu = Object.fromEntries(NAMES.map((n) => [n, round(cpuSeconds(bed.pid(n)) - cpu0[n], 2)]));
  const pgCpu = { primary: round(clusterCpuSeconds(bed.pg.primary) - pg0.primary, 2), replica: round(clusterCpuSeconds(bed.pg.replica) - pg0.replica, 2) };
  const reads = diff(await scrape(bed, NAMES, 'hearth_db_reads_total', 'target'), reads0);
  const s = summarize(attempts, ms);
  const hearthCpu = Object.values(cpu).reduce((a, b) => a + b, 0);
  const oks = Math.round(s.okPerSecond * (ms / 1000));
  return {
    ...s,
    cpuSeconds: { hearth: cpu, postgres: pgCpu, loadGenerator: round((gen.user + gen.system) / 1e6, 2) },
    cpuUsedOfMachine: round((hearthCpu + pgCpu.primary + pgCpu.replica + (gen.user + gen.system) / 1e6) / ((ms / 1000) * os.cpus().length), 2),
    hearthCpuMsPerRequest: oks ? round((hearthCpu * 1000) / oks, 2) : null,
    postgresCpuMsPerRequest: oks ? round(((pgCpu.primary + pgCpu.replica) * 1000) / oks, 2) : null,
    dbReadsByTarget: reads,
  };
}

async function runScaling(bed, app, { concurrency = 16, ms = 15000 } = {}) {
  const username = 'scaling';
  const password = 'scaling-password-1';
  const signup = await request(undefined, bed.lbUrl, 'POST', '/parse/users', { headers: { 'X-Parse-Application-Id': app.applicationId, 'X-Parse-Master-Key': app.keys.masterKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (signup.status !== 201) throw new Error(`signing the scaling user up answered ${signup.status}: ${signup.bytes}`);
  const path = `/parse/login?username=${username}&password=${password}`;
  // Warm every instance's caches (the app, the schema) before measuring.
  await closedLoop(bed.lbUrl, app, path, 6, 2000);
  bed.log(`scaling: one instance, ${concurrency} concurrent clients, ${ms / 1000} s`);
  const one = await phase(bed, app, bed.lbOneUrl, path, concurrency, ms);
  bed.log(`  ${one.okPerSecond} ok/s, p99 ${one.okLatencyMs.p99} ms`);
  bed.log(`scaling: three instances, ${concurrency} concurrent clients, ${ms / 1000} s`);
  const three = await phase(bed, app, bed.lbUrl, path, concurrency, ms);
  bed.log(`  ${three.okPerSecond} ok/s, p99 ${three.okLatencyMs.p99} ms`);
  // Reads: the query of lib/measure.js through the three instances, as a client; with replicas
  // configured, finds may go to the replica, which the PostgreSQL CPU split and the read counters show.
  const className = 'Load_reads';
  await seed(bed.lbUrl, app, className, 1000);
  bed.log(`reads: the query workload through three instances, ${concurrency} concurrent clients, ${ms / 1000} s`);
  // As clients (the REST API key): the master key's reads always go to the primary.
  const reads = await phase(bed, app, bed.lbUrl, queryPath(className), concurrency, ms, { asClient: true });
  bed.log(`  ${reads.okPerSecond} ok/s, PostgreSQL CPU ${JSON.stringify(reads.cpuSeconds.postgres)}, reads ${JSON.stringify(reads.dbReadsByTarget)}`);
  return {
    reads: { query: queryPath(className), as: 'client (REST API key)', replicasConfigured: !!bed.features.replicas, ...reads },
    request: 'GET /parse/login (argon2id check on the instance, one session row inserted)',
    concurrency,
    seconds: ms / 1000,
    cores: os.cpus().length,
    oneInstance: one,
    threeInstances: three,
    speedup: one.okPerSecond ? round(three.okPerSecond / one.okPerSecond, 2) : null,
  };
}

module.exports = { runScaling };
