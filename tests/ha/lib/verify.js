'use strict';
// The checks after a fault, against the truth: the class's table read on the PostgreSQL primary
// itself (psql, not through Hearth, whose reads may go to a replica), and every acknowledged file
// downloaded again through the load balancer.
//
//   - every acknowledged create is there exactly once, with its objectId;
//   - no `n` appears twice (a retried create applied twice), acknowledged or not;
//   - no row the client never sent;
//   - each object's counter `v` counts every acknowledged increment once: acked <= v <= acked +
//     unacknowledged (an increment given up may or may not have been applied, never twice);
//   - every acknowledged file answers 200 with the same SHA-256;
//   - no write was refused (a 4xx: a retry answered 159 "Duplicate request", say).

const crypto = require('node:crypto');
const http = require('node:http');

function download(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      const h = crypto.createHash('sha256');
      res.on('data', (c) => h.update(c));
      res.on('end', () => resolve({ status: res.statusCode, sha: h.digest('hex') }));
      res.on('error', (e) => resolve({ status: 0, err: e.message }));
    });
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, err: e.message }));
  });
}

/** Runs every check for `load` (a stopped Load); answers the figures and `problems` (strings,
 * empty when all hold). */
async function verify(bed, app, load) {
  const problems = [];
  const schema = bed.psql(`SELECT schema_name FROM apps WHERE application_id = '${app.applicationId.replace(/'/g, "''")}'`)[0][0];
  const table = `"${schema}"."${load.opts.className}"`;
  const rows = bed.psql(`SELECT object_id, data->>'n', data->>'v' FROM ${table}`);
  const byN = new Map();
  const byId = new Map();
  for (const [id, n, v] of rows) {
    const key = Number(n);
    byN.set(key, (byN.get(key) || 0) + 1);
    byId.set(id, { n: key, v: Number(v) });
  }
  let acked = 0;
  let found = 0;
  let givenUp = 0;
  let givenUpFound = 0;
  for (const rec of load.creates.values()) {
    if (rec.acked) {
      acked++;
      const row = byId.get(rec.id);
      if (!row) problems.push(`acknowledged create n=${rec.n} (${rec.id}) is missing`);
      else if (row.n !== rec.n) problems.push(`object ${rec.id} holds n=${row.n}, acknowledged for n=${rec.n}`);
      else found++;
    } else {
      givenUp++;
      if (byN.has(rec.n)) givenUpFound++;
    }
  }
  const duplicates = [...byN.entries()].filter(([, c]) => c > 1);
  for (const [n, c] of duplicates.slice(0, 10)) problems.push(`n=${n} is stored ${c} times`);
  const unknown = [...byN.keys()].filter((n) => !load.creates.has(n));
  if (unknown.length) problems.push(`${unknown.length} rows with an n the client never sent (first: ${unknown.slice(0, 5).join(', ')})`);

  let incAcked = 0;
  let incUnacked = 0;
  let counterProblems = 0;
  for (const list of load.objects) {
    for (const o of list) {
      incAcked += o.acked;
      incUnacked += o.unacked;
      const row = byId.get(o.id);
      if (!row) continue;
      if (row.v < o.acked || row.v > o.acked + o.unacked) {
        counterProblems++;
        if (counterProblems <= 10) problems.push(`object ${o.id}: v=${row.v} after ${o.acked} acknowledged and ${o.unacked} unacknowledged increments`);
      }
    }
  }

  let filesOk = 0;
  const fileProblems = [];
  for (let i = 0; i < load.files.length; i += 16) {
    const batch = load.files.slice(i, i + 16);
    const res = await Promise.all(batch.map((f) => download(`${bed.lbUrl}${new URL(f.url).pathname}`)));
    res.forEach((r, k) => {
      if (r.status === 200 && r.sha === batch[k].sha) filesOk++;
      else fileProblems.push(`${batch[k].name}: ${r.status === 200 ? 'content differs' : `answered ${r.status || r.err}`}`);
    });
  }
  problems.push(...fileProblems.slice(0, 10));
  if (fileProblems.length > 10) problems.push(`... and ${fileProblems.length - 10} more files`);
  for (const f of load.fileFailures.slice(0, 5)) problems.push(`during the load, ${f.url}: ${f.why}`);
  for (const r of load.refusals.slice(0, 5)) problems.push(`a write was refused: ${r}`);

  return {
    writes: {
      acknowledged: acked,
      found,
      duplicates: duplicates.length,
      givenUp,
      givenUpFound,
      rowsInTable: rows.length,
      increments: { acknowledged: incAcked, unacknowledged: incUnacked, counterProblems },
    },
    files: { acknowledged: load.files.length, downloadedIntact: filesOk, problems: fileProblems.length },
    problems,
  };
}

module.exports = { verify };
