// What the benchmarks' setup scripts (bench/*/setup.mjs) share: HTTP calls that never throw, and
// the answer checks that mark a workload as not available instead of timing a broken server.

export class Unavailable extends Error {}

// A call function on `base`: call(method, path, body, headers) returns {status, body (parsed JSON
// or undefined), text}; never throws. `defaults` go with every call, under `headers`.
export function caller(base, defaults = {}) {
  return async function call(method, path, body, headers = {}) {
    try {
      const res = await fetch(base + path, {
        method,
        headers: { 'Content-Type': 'application/json', ...defaults, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60000),
      });
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch { json = undefined; }
      return { status: res.status, body: json, text };
    } catch (err) {
      return { status: 0, body: undefined, text: `request failed: ${err.cause?.code || err.message}` };
    }
  };
}

// Why answer `r` does not do for `what`, in one line.
export const reason = (r, what) =>
  `${what}: ${r.status ? 'HTTP ' + r.status : ''} ${String(r.text).replace(/\s+/g, ' ').slice(0, 160)}`.trim();

export function expect(cond, r, what) {
  if (!cond) throw new Unavailable(reason(r, what));
}
