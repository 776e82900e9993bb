// http: the one place requests are made. The transport is any `fetch`-shaped function (the
// global `fetch` by default; pass your own to add logging, certificate pinning or a test double).
// Every request carries the application id and the client key given at initialisation; the
// current user's session token when there is one; writes carry a request id and are retried
// (retry.ts). Answers are JSON; a non-2xx answer becomes a ParseError with the server's code.

import { ParseError, RuntimeCode } from "./errors.js";
import { RetryPolicy, backoffMs, newRequestId, retryableStatus, sleep } from "./retry.js";

/** What the SDK needs of a fetch Response. */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface HttpInit {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
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
  sessionToken?: string;
  /** Whether to add X-Parse-Request-Id and retry (default: true for POST, PUT and DELETE). */
  retry?: boolean;
}

export interface HttpConfig {
  serverURL: string;
  headers: Record<string, string>;
  fetch: FetchLike;
  retry: RetryPolicy;
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
    let res: HttpResponse;
    try {
      res = await config.fetch(url, { method, headers, body });
    } catch (e) {
      if (attempt >= attempts) throw ParseError.network(e);
      await sleep(backoffMs(config.retry, attempt));
      continue;
    }
    if (retryableStatus(res.status) && attempt < attempts) {
      await sleep(backoffMs(config.retry, attempt, res.headers.get("Retry-After")));
      continue;
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      if (attempt >= attempts) throw ParseError.network(e);
      await sleep(backoffMs(config.retry, attempt));
      continue;
    }
    return answer<T>(res.status, text);
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
