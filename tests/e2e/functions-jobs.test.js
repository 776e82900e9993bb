'use strict';
// Cloud-code jobs and schedules with the official Parse JS SDK: Parse.Cloud.startJob answers the
// run's `_JobStatus` id, the job reports its progress there and ends succeeded or failed; a
// schedule fires once per tick while two Hearth instances run on the same database. The jobs are
// those of the guest SDK's example (sdk/functions/assemblyscript/examples/demo.ts). Hearth only.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../lib/harness');
const { HEARTH_ONLY, compileExample, deploy } = require('../lib/functions');
const { Parse } = h;

const skip = h.isHearth ? false : HEARTH_ONLY;

// Built before the first request (see compileExample).
const demo = h.isHearth ? compileExample('demo') : null;

let app;
before(async () => {
  if (!h.isHearth) return;
  app = await h.setup();
  await deploy(app, demo);
});

describe('jobs', { skip }, () => {
  test('startJob answers the run\'s status id; the job reports progress, then succeeds', async () => {
    const key = h.rand();
    const id = await Parse.Cloud.startJob('steps', { key });
    assert.match(id, /^[A-Za-z0-9]{10}$/);
    const halfway = await h.until('the progress report', async () => {
      const status = await Parse.Cloud.getJobStatus(id);
      return status.get('message') === 'halfway' ? status : null;
    });
    assert.equal(halfway.get('status'), 'running');
    assert.equal(halfway.get('progress'), 0.5);
    assert.equal(halfway.get('jobName'), 'steps');
    assert.deepEqual(halfway.get('params'), { key });
    // The job waits for this object.
    await new Parse.Object('Release').save({ key });
    const done = await h.until('the end of the run', async () => {
      const status = await Parse.Cloud.getJobStatus(id);
      return status.get('status') !== 'running' ? status : null;
    });
    assert.equal(done.get('status'), 'succeeded');
    assert.equal(done.get('message'), 'all steps done');
    assert.ok(done.get('finishedAt') instanceof Date);
    const run = await new Parse.Query('JobRun').equalTo('key', key).first();
    assert.equal(run.get('jobId'), id);
  });

  test('a failing job ends failed with its message', async () => {
    const id = await Parse.Cloud.startJob('broken', {});
    const done = await h.until('the end of the run', async () => {
      const status = await Parse.Cloud.getJobStatus(id);
      return status.get('status') !== 'running' ? status : null;
    });
    assert.equal(done.get('status'), 'failed');
    assert.equal(done.get('message'), 'the job broke');
  });

  test('jobs need the master key, and so does their status', async () => {
    const res = await h.rest('POST', '/jobs/steps', { key: 'js', body: {} });
    h.assertRestError(res, 403, 119, 'starting a job with the JavaScript key');
    const unknown = await h.rest('POST', '/jobs/nope', { body: {} });
    h.assertRestError(unknown, 400, 141, 'an unknown job');
    await h.expectParseError(new Parse.Query('_JobStatus').find({ useMasterKey: false }), 119, 'a client reading _JobStatus');
  });

  test('getJobsData lists the deployment\'s jobs', async () => {
    const data = await Parse.Cloud.getJobsData();
    assert.deepEqual(data.jobs.slice().sort(), ['broken', 'steps', 'tick', 'tidy']);
    assert.deepEqual(data.in_use, []);
  });
});

describe('schedules', { skip }, () => {
  let second;
  before(async () => {
    if (!h.isHearth) return;
    second = await import('../lib/instance.js').then((m) => m.startSecondInstance());
  });
  after(async () => {
    if (second) await second.stop();
  });

  test('a schedule fires once per tick with two instances running', async () => {
    const tag = h.rand();
    const base = `${h.appPath(app)}/functions/schedules`;
    // Created through the second instance: the first learns of it from the database alone.
    const created = await h.admin('POST', base, { body: { job: 'tick', cron: '* * * * * *', params: { tag }, description: 'every second' }, base: second.base });
    assert.equal(created.status, 201, created.text);
    const ticks = async () => new Parse.Query('Tick').equalTo('tag', tag).limit(1000).find();
    await h.until('four ticks', async () => (await ticks()).length >= 4);
    const off = await h.admin('PATCH', `${base}/${created.body.id}`, { body: { enabled: false } });
    assert.equal(off.status, 200, off.text);
    // Every run queued before the schedule went off has ended: as many runs as ticks recorded.
    const runs = await h.until('the last runs', async () => {
      const all = await new Parse.Query('_JobStatus').equalTo('jobName', 'tick').equalTo('params.tag', tag).limit(1000).find();
      const recorded = (await ticks()).length;
      return all.length > 0 && all.every((r) => r.get('status') === 'succeeded') && recorded === all.length ? all : null;
    });
    const seen = (await ticks()).map((t) => t.get('tick').toISOString());
    assert.equal(new Set(seen).size, seen.length, `each tick ran once: ${seen.sort().join(', ')}`);
    assert.ok(seen.length >= 4 && runs.length === seen.length);
    for (const t of seen) assert.match(t, /\.000Z$/, 'ticks fall on whole seconds');
    assert.ok(runs.every((r) => r.get('source') === 'schedule'));
    const list = await h.admin('GET', base);
    assert.equal(list.body.find((s) => s.id === created.body.id).enabled, false);
    const data = await Parse.Cloud.getJobsData();
    assert.deepEqual(data.in_use, ['tick']);
  });
});
