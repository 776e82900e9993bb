'use strict';
// The chaos scenarios: each runs the mixed load (lib/load.js) on a class of its own, lets it
// settle, injects its fault, undoes it, keeps the load on for a while, stops the load (every
// write in progress retried to its end), checks the writes and files (lib/verify.js), and waits
// until the bed is whole again before the next one. Durations are the design of each fault, not
// synchronisation: what depends on the bed's state (an instance ready, HAProxy seeing it up) is
// polled with a bound.

const { ADMIN_EMAIL, ADMIN_PASSWORD, NAMES, sleep, until } = require('./bed');
const { Load, request, faultStats } = require('./load');
const { verify } = require('./verify');

/** Signs in to the management API and creates the bed's app (LiveQuery on for HA_* classes). */
async function createApp(bed) {
  const json = (r) => JSON.parse(r.bytes.toString('utf8'));
  const login = await request(undefined, bed.lbUrl, 'POST', '/admin/v1/auth/login', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }) });
  if (login.status !== 200) throw new Error(`admin login answered ${login.status}: ${login.bytes}`);
  const auth = { Authorization: `Bearer ${json(login).token}`, 'Content-Type': 'application/json' };
  const created = await request(undefined, bed.lbUrl, 'POST', '/admin/v1/apps', { headers: auth, body: JSON.stringify({ name: 'ha bed' }) });
  if (created.status !== 201) throw new Error(`creating the app answered ${created.status}: ${created.bytes}`);
  const app = json(created);
  const patched = await request(undefined, bed.lbUrl, 'PATCH', `/admin/v1/apps/${encodeURIComponent(app.applicationId)}`, { headers: auth, body: JSON.stringify({ settings: { liveQuery: { classNames: ['HA_.*'] } } }) });
  if (patched.status !== 200) throw new Error(`turning LiveQuery on answered ${patched.status}: ${patched.bytes}`);
  return { applicationId: app.applicationId, keys: app.keys };
}

/** The faults. Each resolves when the fault is undone (the bed serving as before, as far as the
 * fault's own part goes); `mark(label)` records a moment inside it. */
function faults(bed, mode) {
  const short = mode === 'short';
  return {
    'kill -9 one instance and restart it': async (mark) => {
      await bed.stopInstance('a', 'SIGKILL');
      mark('killed');
      await bed.startInstance('a');
      mark('ready again');
    },
    'rolling restart of all three': async (mark) => {
      for (const n of NAMES) {
        const ms = await bed.stopInstance(n, 'SIGTERM');
        mark(`${n} exited after SIGTERM (${ms} ms)`);
        await bed.startInstance(n);
        await bed.waitLb(n, 'UP');
        mark(`${n} ready and up behind HAProxy`);
      }
    },
    'Redis stopped for 10 s': async (mark) => {
      await bed.stopRedis();
      mark('Redis stopped');
      await sleep(10000);
      await bed.startRedis();
      mark('Redis answering again');
    },
    'replica stopped, then started': async (mark) => {
      bed.pg.replica.stop('immediate');
      mark('replica stopped');
      await sleep(short ? 5000 : 10000);
      bed.pg.replica.start();
      mark('replica started');
    },
    'primary unreachable for 5 s': async (mark) => {
      await bed.blackhole(5000);
      mark('primary reachable again');
    },
  };
}

/** Runs one scenario; answers its record for results.json. */
async function runScenario(bed, app, name, fault, { before, after, workers, live }) {
  const className = `HA_${name.replace(/[^A-Za-z0-9]+/g, '_').replace(/_+$/, '')}`.slice(0, 60);
  const load = new Load({ base: bed.lbUrl, app, className, workers, live }).start();
  await sleep(before);
  const marks = [];
  const start = Date.now();
  let faultError = null;
  try {
    await fault((label) => marks.push({ atMs: Date.now() - start, label }));
  } catch (e) {
    faultError = e.message;
  }
  const end = Date.now();
  await sleep(after);
  await load.stop();
  const stats = faultStats(load.attempts, start, end);
  const checks = await verify(bed, app, load);
  if (faultError) checks.problems.unshift(`the fault could not be run or undone: ${faultError}`);
  const acked = [...load.creates.values()].filter((c) => c.acked).length;
  const record = {
    name,
    className,
    marks,
    loadSeconds: Math.round((load.stoppedAt - load.startedAt) / 100) / 10,
    requestsPerSecond: Math.round(load.attempts.length / ((load.stoppedAt - load.startedAt) / 1000)),
    ...stats,
    ...checks,
    // Events of creates each subscriber saw, over what it could have seen (subscribers x
    // acknowledged creates): a subscriber on a killed instance misses what happens before it
    // reconnects (LiveQuery has no replay).
    liveQuery: {
      subscribers: load.live.subscribers,
      createEvents: load.live.events,
      distinctCreatesSeen: load.live.seen.size,
      coverage: load.live.subscribers && acked ? Math.round((load.live.seen.size / (load.live.subscribers * acked)) * 1000) / 1000 : null,
      reconnects: load.live.reconnects,
      errors: load.live.errors,
    },
  };
  // The next scenario starts on a whole bed.
  try {
    await until('Redis', () => bed.redisPing(), { ms: 30000 });
    await bed.settle(90000);
  } catch (e) {
    record.problems.push(`the bed did not come back whole: ${e.message}`);
  }
  return record;
}

async function runChaos(bed, app, { mode = 'full', only } = {}) {
  const short = mode === 'short';
  const opts = short ? { before: 2000, after: 4000, workers: 6, live: 2 } : { before: 5000, after: 10000, workers: 8, live: 3 };
  const out = [];
  for (const [name, fault] of Object.entries(faults(bed, mode))) {
    if (only && !only.some((o) => name.includes(o))) continue;
    bed.log(`scenario: ${name}`);
    const rec = await runScenario(bed, app, name, fault, opts);
    bed.log(`  error rate during the fault ${(rec.errorRateDuringFault * 100).toFixed(1)}% of ${rec.attemptsDuringFault}, recovery ${rec.recoveryMs} ms, writes ${rec.writes.acknowledged}/${rec.writes.found} dup ${rec.writes.duplicates}, files ${rec.files.acknowledged}/${rec.files.downloadedIntact}${rec.problems.length ? `, PROBLEMS: ${rec.problems.join('; ')}` : ''}`);
    out.push(rec);
  }
  return out;
}

/** Proof that the checks can fail: a short load, then the table and the records tampered with
 * the four ways the checks look for (a create stored twice, an acknowledged create lost, an
 * increment applied twice, a file whose content differs); answers which ones verify() caught. */
async function selfCheck(bed, app) {
  const className = 'HA_self_check';
  const load = new Load({ base: bed.lbUrl, app, className, workers: 4, weights: { create: 50, update: 30, upload: 20 } }).start();
  await until('a few acknowledged creates, increments and files', () => {
    const creates = [...load.creates.values()].filter((c) => c.acked).length;
    const incs = load.objects.flat().filter((o) => o.acked > 0).length;
    return creates >= 3 && incs >= 1 && load.files.length >= 1;
  }, { ms: 60000 });
  await load.stop();
  const clean = await verify(bed, app, load);
  const acked = [...load.creates.values()].filter((c) => c.acked);
  const incremented = load.objects.flat().find((o) => o.acked > 0);
  const dup = acked.find((c) => c.id !== incremented.id);
  const lost = acked.find((c) => c.id !== incremented.id && c.id !== dup.id);
  const schema = bed.psql(`SELECT schema_name FROM apps WHERE application_id = '${app.applicationId}'`)[0][0];
  const table = `"${schema}"."${className}"`;
  bed.psql(
    `CREATE TEMP TABLE copy AS SELECT * FROM ${table} WHERE object_id = '${dup.id}'; UPDATE copy SET object_id = 'selfcheck1'; INSERT INTO ${table} SELECT * FROM copy; ` +
      `DELETE FROM ${table} WHERE object_id = '${lost.id}'; ` +
      `UPDATE ${table} SET data = jsonb_set(data, '{v}', to_jsonb((data->>'v')::int + ${incremented.acked + incremented.unacked + 1})) WHERE object_id = '${incremented.id}'`,
  );
  load.files[0].sha = '0'.repeat(64);
  const tampered = await verify(bed, app, load);
  const caught = (re) => tampered.problems.some((x) => re.test(x));
  return {
    cleanProblems: clean.problems,
    caught: {
      duplicate: caught(new RegExp(`n=${dup.n} is stored 2 times`)),
      lost: caught(new RegExp(`n=${lost.n} .*missing`)),
      doubleIncrement: caught(new RegExp(`object ${incremented.id}: v=`)),
      fileContent: caught(/content differs/),
    },
    problems: tampered.problems,
  };
}

module.exports = { createApp, runChaos, runScenario, faults, selfCheck };
