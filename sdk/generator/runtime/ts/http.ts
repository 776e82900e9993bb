// http: the one place requests are made. The transport is any `fetch`-shaped function (the
// global `fetch` by default; pass your own to add logging, certificate pinning or a test double).
// Every request carries the application id and the client key given at initialisation; the
// current user's session token when there is one; writes carry a request id and are retried
// (retry.ts). Answers are JSON; a non-2xx answer becomes a ParseError with the server's code.

import { ParseError, RuntimeCode } from "./errors.js";
import { type RetryPolicy, backoffMs, newRequestId, retryableStatus, sleep } from "./retry.js";

/** What the SDK needs of a fetch Response. */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body as bytes: only `downloadFile` needs it (fetch's Response has it). */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/** What the SDK passes to the transport. `body` (a string or a Uint8Array) and `signal` (an
 * AbortSignal) are typed `any` so that the DOM's, Node's and React Native's `fetch` accept it as
 * their RequestInit, whichever of their declarations the app compiles with. */
export interface HttpInit {
  method: string;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body?: any;
  /** An AbortSignal ending the request when it takes longer than the client's timeout. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signal?: any;
}

/** A `fetch`-shaped transport: the global fetch fits. */
export type FetchLike = (url: string, init: HttpInit) => Promise<HttpResponse>;

export interface RequestOptions {
  /** JSON body (serialised once), or raw bytes with `contentType`. */
  body?: unknown;
  raw?: Uint8Array;
  contentType?: string;
  /** Query-string parameters; objects and arrays are sent as JSON. */
  params?: Record<string, unknown>;
  /** The session token to send; undefined = none. */
  sessionToken?: string | undefined;
  /** Whether to add X-Parse-Request-Id and retry (default: true for POST, PUT and DELETE). */
  retry?: boolean;
}

export interface HttpConfig {
  serverURL: string;
  headers: Record<string, string>;
  fetch: FetchLike;
  retry: RetryPolicy;
  /** Milliseconds a send may take (answer read included) before it counts as a network failure; 0: no limit. */
  timeoutMs: number;
}

interface Abort {
  signal: unknown;
  abort(): void;
}
type Timers = { setTimeout: (f: () => void, ms: number) => unknown; clearTimeout: (t: unknown) => void };

/** Runs `send` with an AbortSignal that fires after `ms` (where the platform has AbortController),
 * and turns a send still unfinished then into a rejection. */
async function withTimeout<T>(ms: number, send: (signal?: unknown) => Promise<T>): Promise<T> {
  if (!ms) return send();
  const Ctor = (globalThis as { AbortController?: new () => Abort }).AbortController;
  const ctrl = Ctor ? new Ctor() : undefined;
  const timers = globalThis as unknown as Timers;
  let timer: unknown;
  const expired = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => {
      ctrl?.abort();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([send(ctrl?.signal), expired]);
  } finally {
    timers.clearTimeout(timer);
  }
}

/** Encodes query parameters the way the Parse REST API reads them. */
export function queryString(params?: Record<string, unknown>): string {
  if (!params) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const s = typeof v === "object" ? JSON.stringify(v) : String(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/** Sends one request (with its retries) and answers the parsed JSON. */
export async function request<T = unknown>(config: HttpConfig, method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const url = config.serverURL.replace(/\/+$/, "") + path + queryString(options.params);
  const headers: Record<string, string> = { ...config.headers };
  if (options.sessionToken) headers["X-Parse-Session-Token"] = options.sessionToken;
  let body: string | Uint8Array | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers["Content-Type"] = options.contentType ?? "application/octet-stream";
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  const retry = options.retry ?? (method === "POST" || method === "PUT" || method === "DELETE");
  if (retry) headers["X-Parse-Request-Id"] = newRequestId();
  const attempts = retry ? Math.max(1, config.retry.attempts) : 1;
  for (let attempt = 1; ; attempt++) {
    let status: number;
    let retryAfter: string | null;
    let text: string;
    try {
      // One send: the same bytes, id and headers every time.
      [status, retryAfter, text] = await withTimeout(config.timeoutMs, async (signal) => {
        const res = await config.fetch(url, signal === undefined ? { method, headers, body } : { method, headers, body, signal });
        return [res.status, res.headers.get("Retry-After"), await res.text()] as const;
      });
    } catch (e) {
      if (attempt >= attempts) throw ParseError.network(e);
      await sleep(backoffMs(config.retry, attempt));
      continue;
    }
    if (retryableStatus(status) && attempt < attempts) {
      await sleep(backoffMs(config.retry, attempt, retryAfter));
      continue;
    }
    return answer<T>(status, text);
  }
}

function answer<T>(status: number, text: string): T {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ParseError(RuntimeCode.OTHER_CAUSE, `the server answered ${status} with a body that is not JSON`, { status });
  }
  if (status >= 200 && status < 300) return json as T;
  const err = json as { code?: number; error?: string };
  throw new ParseError(typeof err.code === "number" ? err.code : RuntimeCode.OTHER_CAUSE, err.error ?? `the server answered ${status}`, { status });
}
