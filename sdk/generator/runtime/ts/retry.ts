// retry: writes that may be sent again. Every write carries an `X-Parse-Request-Id`; Hearth keeps
// the first answer for five minutes and replays it for a retry with the same id, method, path,
// body and session (anything else differing is refused with code 159). So the body is serialised
// ONCE by the caller and the very same bytes, id and headers are resent. Retried: network errors,
// 5xx answers and 429 (waiting as long as Retry-After says), at most `attempts` sends in all, with
// exponential backoff between them.

export interface RetryPolicy {
  /** Sends in all, the first included (default 4; 1 = no retry). */
  attempts: number;
  /** First wait in milliseconds, doubled each time (default 250). */
  baseDelayMs: number;
  /** Longest wait in milliseconds, Retry-After included (default 10 000). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 10_000 };

/** A request id: `crypto.randomUUID()` where there is one, else 32 random hex digits
 * (`crypto.getRandomValues`, or Math.random on engines without Web Crypto). */
export function newRequestId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Whether an answer with this HTTP status is worth sending again. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Milliseconds to wait before attempt `attempt` (1 = the first retry); a Retry-After header
 * (seconds or an HTTP date) wins when present. */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfter?: string | null, now: number = Date.now()): number {
  if (retryAfter) {
    const secs = Number(retryAfter);
    const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, policy.maxDelayMs);
  }
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
}

export function sleep(ms: number): Promise<void> {
  const timer = (globalThis as unknown as { setTimeout: (f: () => void, ms: number) => unknown }).setTimeout;
  return new Promise((resolve) => timer(resolve, ms));
}
