#!/usr/bin/env node
'use strict';
// Prints the tables of docs/reliability.md from a run's results (node ha/report.js
// [results.json]), so that the document's figures are the run's own; with --write DOC, replaces
// what stands between DOC's `<!-- ha-results:start -->` and `<!-- ha-results:end -->` lines.

const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const writeAt = args.indexOf('--write');
const doc = writeAt >= 0 ? args.splice(writeAt, 2)[1] : null;
const file = args[0] || path.join(__dirname, 'results.json');
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`);
const ms = (x) => (x === null || x === undefined ? 'not within the run' : `${x} ms`);
const out = [];
const p = (s = '') => out.push(s);

p(`Run: \`${r.command}\` on ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, binary \`${r.binaryVersion || r.binary}\`${r.binaryCommit ? ` built from ${r.binaryCommit}` : ''} (${r.binary}).`);
const m = r.machine;
p(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}; ${m.postgres}, ${m.redis.replace(/ sha=.*/, '')}, ${m.haproxy.replace(/ - https.*/, '')}, Node ${m.node}; load average at the start ${m.loadAverageAtStart.join(' / ')}.`);
p(`Features the binary had (used by the bed): ${Object.entries(r.features || {}).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`).join(', ')}.`);
p();

if (r.scenarios) {
  p('| fault | fault lasted | attempts during it | error rate during it | failures (kind: count) | longest time without a success | recovery after it | writes acknowledged / found / duplicates | increments acknowledged (counter errors) | files acknowledged / intact | LiveQuery coverage |');
  p('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.scenarios) {
    const kinds = Object.entries(s.failuresByKind).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
    p(
      `| ${s.name} | ${(s.faultMs / 1000).toFixed(1)} s | ${s.attemptsDuringFault} | ${pct(s.errorRateDuringFault)} | ${kinds} | ${s.longestStallMs} ms | ${ms(s.recoveryMs)} | ${s.writes.acknowledged} / ${s.writes.found} / ${s.writes.duplicates} | ${s.writes.increments.acknowledged} (${s.writes.increments.counterProblems}) | ${s.files.acknowledged} / ${s.files.downloadedIntact} | ${s.liveQuery.coverage === null ? '—' : pct(s.liveQuery.coverage)} (${s.liveQuery.reconnects} reconnects) |`,
    );
  }
  p();
  const problems = r.scenarios.flatMap((s) => s.problems.map((x) => `${s.name}: ${x}`));
  p(problems.length ? `Problems found: ${problems.join('; ')}` : 'Problems found: none (every acknowledged write present exactly once, every acknowledged file intact).');
  p();
  p('| fault | successes per second before / during | writes given up (found) | moments |');
  p('|---|---|---|---|');
  for (const s of r.scenarios) p(`| ${s.name} | ${s.okPerSecondBefore} / ${s.okPerSecondDuringFault} | ${s.writes.givenUp} (${s.writes.givenUpFound}) | ${s.marks.map((x) => `${(x.atMs / 1000).toFixed(1)} s ${x.label}`).join('; ')} |`);
  p();
}

if (r.overload) {
  const o = r.overload;
  p(`Capacity ramp (${o.target}, \`GET ${o.query.split('?')[0]}\`): ${o.ramp.map((x) => `${x.concurrency} clients ${x.okPerSecond}/s (p99 ${x.p99} ms)`).join(', ')}; capacity **${o.capacityPerSecond}/s**.`);
  p();
  p('| target | phase | offered | answered 2xx per second | 2xx share | 503 shed share (with Retry-After) | other failures | p50 / p99 of 2xx | p50 / p99 of 503 | load generator lag p50 / p99 | RSS first / max / last |');
  p('|---|---|---|---|---|---|---|---|---|---|---|');
  const lag = (x) => (x.generatorLagMs ? `${x.generatorLagMs.p50} / ${x.generatorLagMs.p99} ms` : '—');
  const row = (target, name, x) =>
    p(
      `| ${target} | ${name} | ${x.offeredPerSecond}/s for ${x.seconds} s${x.notSentClientLimit ? ` (${x.notSentClientLimit} not sent: 3000 already waiting)` : ''} | ${x.okPerSecond} | ${pct(x.okShare)} | ${pct(x.shed503Share)} (${x.shed503WithRetryAfter}${x.shed503ByHaproxy ? `, ${x.shed503ByHaproxy} by HAProxy` : ''}) | ${x.otherFailures} | ${x.okLatencyMs.p50} / ${x.okLatencyMs.p99} ms | ${x.shedLatencyMs.p50 ?? '—'} / ${x.shedLatencyMs.p99 ?? '—'} ms | ${lag(x)} | ${x.rssMiB ? `${x.rssMiB.first} / ${x.rssMiB.max} / ${x.rssMiB.last} MiB` : '—'} |`,
    );
  const runs = [['instance directly', o], ...(o.viaHaproxy ? [['behind HAProxy (maxconn 64, queue of 64)', o.viaHaproxy]] : [])];
  for (const [target, x] of runs) {
    row(target, '2 × capacity', x.overload);
    row(target, 'then ½ × capacity', x.afterwards);
  }
  p();
  for (const [target, x] of runs) {
    p(`${target[0].toUpperCase()}${target.slice(1)}: recovery once the load dropped ${ms(x.afterwards.recoveryMs)} to 20 answers in a row under a second; p50 / p99 over the last half of that phase ${x.afterwards.okLatencyLastHalfMs.p50} / ${x.afterwards.okLatencyLastHalfMs.p99} ms. Hearth's shed counters: ${JSON.stringify(x.overload.shedTotal)}.`);
    p();
  }
}

if (r.scaling) {
  const s = r.scaling;
  p(`Scaling: \`${s.request}\`, ${s.concurrency} concurrent clients for ${s.seconds} s each, ${s.cores} cores.`);
  p();
  p('| instances | logins per second | p50 / p99 | Hearth CPU s (a, b, c) | PostgreSQL CPU s (primary, replica) | load generator CPU s | machine CPU used | Hearth CPU ms per request |');
  p('|---|---|---|---|---|---|---|---|');
  for (const [name, x] of [['1', s.oneInstance], ['3', s.threeInstances]]) {
    p(`| ${name} | ${x.okPerSecond} | ${x.okLatencyMs.p50} / ${x.okLatencyMs.p99} ms | ${Object.values(x.cpuSeconds.hearth).join(', ')} | ${x.cpuSeconds.postgres.primary}, ${x.cpuSeconds.postgres.replica} | ${x.cpuSeconds.loadGenerator} | ${pct(x.cpuUsedOfMachine)} | ${x.hearthCpuMsPerRequest} |`);
  }
  p();
  p(`Speed-up with three instances: ${s.speedup}×.`);
  if (s.reads) {
    const x = s.reads;
    p();
    p(`Reads (\`GET ${x.query.split('?')[0]}\`, three instances, as ${x.as || 'master key'}, replicas ${x.replicasConfigured ? 'configured' : 'not configured'}): ${x.okPerSecond}/s, p99 ${x.okLatencyMs.p99} ms; PostgreSQL CPU primary ${x.cpuSeconds.postgres.primary} s, replica ${x.cpuSeconds.postgres.replica} s; \`hearth_db_reads_total\` by target: ${x.dbReadsByTarget ? JSON.stringify(x.dbReadsByTarget) : 'not exported by this binary'}.`);
  }
}

if (doc) {
  const text = fs.readFileSync(doc, 'utf8');
  const re = /(<!-- ha-results:start -->\n)[\s\S]*?(<!-- ha-results:end -->)/;
  if (!re.test(text)) throw new Error(`${doc} has no <!-- ha-results:start --> ... <!-- ha-results:end --> block`);
  fs.writeFileSync(doc, text.replace(re, (_, a, b) => `${a}${out.join('\n')}\n${b}`));
} else {
  process.stdout.write(`${out.join('\n')}\n`);
}
