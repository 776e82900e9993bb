// errors: what every failed call throws. Hearth answers errors as `{"code": N, "error": "..."}`
// with Parse's codes; the generated `error-codes.ts` names them all (from the server's OpenAPI
// document). A request that never got an answer (no network, connection dropped, timeout) is a
// `ParseError` with code CONNECTION_FAILED (100), as the official Parse SDKs report it, and
// `network: true`, so callers (and the query cache) can tell it apart from a server refusal.

/** Codes the runtime itself produces or reacts to. */
export const RuntimeCode = {
  /** Something went wrong that has no better code (an answer that is not JSON, ...). */
  OTHER_CAUSE: -1,
  /** The request never got an answer. */
  CONNECTION_FAILED: 100,
  /** The server refused a retry because its body, method, path or session differed. */
  DUPLICATE_REQUEST: 159,
  /** The session token is no longer valid. */
  INVALID_SESSION_TOKEN: 209,
} as const;

/** An error answered by the server (`code` is Parse's), or a network failure (`network`). */
export class ParseError extends Error {
  readonly code: number;
  /** True when no answer came back (the code is then CONNECTION_FAILED). */
  readonly network: boolean;
  /** The HTTP status of the answer, 0 for a network failure. */
  readonly status: number;

  constructor(code: number, message: string, options: { network?: boolean; status?: number; cause?: unknown } = {}) {
    super(message);
    this.name = "ParseError";
    this.code = code;
    this.network = options.network ?? false;
    this.status = options.status ?? 0;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }

  /** A network failure wrapping what the transport threw. */
  static network(cause: unknown): ParseError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new ParseError(RuntimeCode.CONNECTION_FAILED, `the request got no answer: ${why}`, { network: true, cause });
  }
}
