'use strict';
// Waiting for something the server does after it answered (a job's end, a mail, a log line, a
// link's expiry): the condition is checked again and again until it holds or a deadline passes.
// Tests never wait for a time alone.

/** Calls `check` until it answers a truthy value, and answers that value; throws after `ms`
 * milliseconds, naming `what`. `every` is the pause between checks, in milliseconds. */
async function until(what, check, { ms = 30000, every = 20 } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

module.exports = { until };
