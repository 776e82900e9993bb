'use strict';
// The high-availability bed's short correctness mode, for `make test` (scripts/test.sh): every
// fault once under a short mixed load, and for each the checks that matter whatever the machine's
// speed: every acknowledged write stored exactly once, no duplicate from a retried request, every
// acknowledged file intact. The figures (error rates, recovery times, overload, scaling) come
// from the full run, `make test-ha` (node ha/run.js).

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { main } = require('./run');
const { faults } = require('./lib/chaos');

let run;
before(async () => {
  run = await main(['--short']);
  assert.ok(!run.results.error, `the bed ran: ${run.results.error}`);
});

for (const name of Object.keys(faults(null, 'short'))) {
  test(name, () => {
    const s = (run.results.scenarios || []).find((x) => x.name === name);
    assert.ok(s, `the scenario ran (${run.results.error || 'no record'})`);
    assert.deepEqual(s.problems, [], `no lost or duplicated write, no lost file`);
    assert.equal(s.writes.found, s.writes.acknowledged, 'every acknowledged create is stored');
    assert.equal(s.writes.duplicates, 0, 'no create stored twice');
    assert.equal(s.files.downloadedIntact, s.files.acknowledged, 'every acknowledged file downloads intact');
    assert.ok(s.writes.acknowledged > 0, 'the load wrote something');
  });
}

test('the checks find a duplicated create, a lost one, a doubled increment and a changed file', () => {
  const c = run.results.selfCheck;
  assert.ok(c, `the self-check ran (${run.results.error || 'no record'})`);
  assert.deepEqual(c.cleanProblems, [], 'nothing to find before the tampering');
  assert.deepEqual(c.caught, { duplicate: true, lost: true, doubleIncrement: true, fileContent: true }, `every tampering found: ${c.problems.join('; ')}`);
});
