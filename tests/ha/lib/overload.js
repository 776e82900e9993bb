'use strict';
// Overload: instance a alone. First its capacity for the query of lib/measure.js (closed loops of
// rising concurrency; the best rate of successful answers), then twice that rate as an open loop
// (arrivals at a fixed pace, whatever the answers' pace) with the instance's resident memory
// sampled from /proc every 500 ms, then half the capacity: how fast it serves normally again.
// Twice: straight to the instance (its own shedding: the in-flight cap and the pool's acquire
// timeout), then through HAProxy's shedding frontend (a connection cap and a bounded queue in
// front of it, lib/bed.js). Figures: the share of 503s with Retry-After and how quickly they come,
// the latency of the accepted requests, memory, recovery.

const { seed, queryPath, closedLoop, openLoop, summarize, sampleRss, scrape, diff } = require('./measure');
const { percentile, round } = require('./load');

async function runOverload(bed, app, { rampSteps = [2, 4, 8, 16, 32, 64], stepMs = 3000, overloadMs = 15000, afterMs = 10000 } = {}) {
  const className = 'Load_overload';
  await seed(bed.lbUrl, app, className, 1000);
  const base = `http://127.0.0.1:${bed.ports.a}`;
  const path = queryPath(className);
  bed.log('overload: finding the capacity of instance a');
  const ramp = [];
  for (const c of rampSteps) {
    const s = summarize(await closedLoop(base, app, path, c, stepMs), stepMs);
    ramp.push({ concurrency: c, okPerSecond: s.okPerSecond, p50: s.okLatencyMs.p50, p99: s.okLatencyMs.p99, failures: s.requests - Math.round(s.okShare * s.requests) });
    bed.log(`  concurrency ${c}: ${s.okPerSecond} ok/s, p99 ${s.okLatencyMs.p99} ms`);
  }
  const capacity = Math.max(...ramp.map((r) => r.okPerSecond));
  const rate = Math.round(capacity * 2);
  const direct = await overloadAt(bed, app, base, path, capacity, rate, overloadMs, afterMs, 'instance a directly');
  // The same, through HAProxy's shedding frontend (a connection cap and a short queue in front
  // of instance a): what clients see when the load balancer sheds first.
  const viaHaproxy = await overloadAt(bed, app, bed.lbShedUrl, path, capacity, rate, overloadMs, afterMs, 'instance a behind HAProxy (maxconn 64, queue of 64)');
  return { target: 'instance a directly', query: path, ramp, capacityPerSecond: capacity, ...direct, viaHaproxy };
}

/** Twice the capacity to `target` for `overloadMs`, then half of it for `afterMs`: the figures. */
async function overloadAt(bed, app, target, path, capacity, rate, overloadMs, afterMs, label) {
  bed.log(`overload (${label}): capacity ${capacity}/s, now ${rate}/s for ${overloadMs / 1000} s`);
  const shedBefore = await scrape(bed, ['a'], 'hearth_shed_total', 'reason');
  const stopRss = sampleRss(bed, ['a']);
  const cpu0 = process.cpuUsage();
  const over = await openLoop(target, app, path, rate, overloadMs);
  const generatorCpu = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;
  const rssDuring = stopRss();
  const shedAfter = await scrape(bed, ['a'], 'hearth_shed_total', 'reason');
  bed.log(`overload (${label}): now ${Math.round(capacity / 2)}/s for ${afterMs / 1000} s`);
  const dropAt = Date.now();
  const stopRss2 = sampleRss(bed, ['a']);
  const low = await openLoop(target, app, path, Math.max(1, Math.round(capacity / 2)), afterMs);
  const rssAfter = stopRss2();
  const sorted = low.attempts.slice().sort((x, y) => x.t0 - y.t0);
  let run = 0;
  let recoveredAt = null;
  for (let i = 0; i < sorted.length; i++) {
    run = sorted[i].status >= 200 && sorted[i].status < 300 && sorted[i].t1 - sorted[i].t0 < 1000 ? run + 1 : 0;
    if (run === 20) {
      recoveredAt = sorted[i - 19].t0;
      break;
    }
  }
  const lateHalf = low.attempts.filter((a) => a.t0 >= dropAt + afterMs / 2 && a.status >= 200 && a.status < 300).map((a) => a.t1 - a.t0);
  return {
    target: label,
    overload: { offeredPerSecond: rate, seconds: overloadMs / 1000, notSentClientLimit: over.notSent, generatorLagMs: over.generatorLagMs, generatorCpuSeconds: round(generatorCpu), ...summarize(over.attempts, overloadMs), rssMiB: rssDuring.a, shedTotal: diff(shedAfter, shedBefore) },
    afterwards: {
      offeredPerSecond: Math.max(1, Math.round(capacity / 2)),
      seconds: afterMs / 1000,
      generatorLagMs: low.generatorLagMs,
      ...summarize(low.attempts, afterMs),
      recoveryMs: recoveredAt === null ? null : Math.max(0, recoveredAt - dropAt),
      okLatencyLastHalfMs: { p50: percentile(lateHalf, 50), p99: percentile(lateHalf, 99) },
      rssMiB: rssAfter.a,
    },
  };
}

module.exports = { runOverload };
