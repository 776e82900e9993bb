// client: the SDK's configuration, made once by `initialize` (generated in the package's index,
// with the app's id and server URL as defaults). Models, users, files and functions use the
// client given to `initialize` unless a call passes another (an app talking to two servers).

import { Cache } from "./cache.js";
import { ParseError, RuntimeCode } from "./errors.js";
import { type FetchLike, type HttpConfig, type RequestOptions, request } from "./http.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import { type KeyValueStore, MemoryStore, currentUserKey } from "./session.js";
import type { WebSocketConstructor } from "./live.js";

export interface Options {
  /** Defaults to the app the package was generated for. */
  applicationId?: string;
  /** Where the app's Parse API is, e.g. `https://api.example.com/parse`. */
  serverURL?: string;
  /** The client key to send: one of these (never ship the master key in an app). */
  javascriptKey?: string;
  clientKey?: string;
  restApiKey?: string;
  /** Only for trusted back ends (Node scripts, servers). */
  masterKey?: string;
  /** The transport; defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** The WebSocket constructor for LiveQuery; defaults to the global `WebSocket` (Node 20 has
   * none: pass the `ws` package's). */
  WebSocket?: WebSocketConstructor;
  /** Where the current user and its session token are kept (memory by default). */
  sessionStore?: KeyValueStore;
  /** Where the offline cache keeps its entries (memory by default). */
  cacheStore?: KeyValueStore;
  /** The clock of the cache, in milliseconds since the epoch (tests). */
  now?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Milliseconds a request may take before it fails as a network error (and, for a write, is
   * sent again); default 30 000, 0 for no limit. */
  timeoutMs?: number;
  /** The LiveQuery address; defaults to the server URL with ws/wss. */
  liveQueryURL?: string;
  /** Called when the server refused the current user's session token (code 209: the session
   * ended or was revoked); the SDK has already forgotten the user then. */
  onInvalidSession?: () => void;
}

/** A user as the session store keeps it: its fields and its session token. */
export type StoredUser = Record<string, unknown> & { sessionToken?: string };

export class Client {
  readonly applicationId: string;
  readonly serverURL: string;
  readonly options: Options;
  readonly http: HttpConfig;
  readonly cache: Cache;
  readonly sessionStore: KeyValueStore;
  /** The current user (raw JSON as the server answered it), once loaded from the store. */
  private current: StoredUser | null | undefined;

  constructor(options: Options) {
    if (!options.applicationId || !options.serverURL) throw new ParseError(RuntimeCode.OTHER_CAUSE, "initialize needs an applicationId and a serverURL");
    this.options = options;
    this.applicationId = options.applicationId;
    this.serverURL = options.serverURL.replace(/\/+$/, "");
    const headers: Record<string, string> = { "X-Parse-Application-Id": options.applicationId };
    if (options.javascriptKey) headers["X-Parse-JavaScript-Key"] = options.javascriptKey;
    if (options.clientKey) headers["X-Parse-Client-Key"] = options.clientKey;
    if (options.restApiKey) headers["X-Parse-REST-API-Key"] = options.restApiKey;
    if (options.masterKey) headers["X-Parse-Master-Key"] = options.masterKey;
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    const transport = options.fetch ?? (globalFetch ? globalFetch.bind(globalThis) : undefined);
    if (!transport) throw new ParseError(RuntimeCode.OTHER_CAUSE, "no fetch: pass one to initialize");
    this.http = { serverURL: this.serverURL, headers, fetch: transport, retry: { ...DEFAULT_RETRY, ...options.retry }, timeoutMs: options.timeoutMs ?? 30_000 };
    this.cache = new Cache(options.cacheStore ?? new MemoryStore(), options.now);
    this.sessionStore = options.sessionStore ?? new MemoryStore();
  }

  /** A request as the current user (when there is one). When the server refuses the current
   * user's session token (209), the user is forgotten, so the next requests go out without it. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const sessionToken = options.sessionToken ?? (await this.sessionToken());
    try {
      return await request<T>(this.http, method, path, { ...options, sessionToken });
    } catch (e) {
      if (e instanceof ParseError && e.code === RuntimeCode.INVALID_SESSION_TOKEN && sessionToken && sessionToken === (await this.sessionToken())) {
        await this.setStoredUser(null);
        this.options.onInvalidSession?.();
      }
      throw e;
    }
  }

  /** The current user's session token, if someone is logged in. */
  async sessionToken(): Promise<string | undefined> {
    const user = await this.storedUser();
    return typeof user?.sessionToken === "string" ? user.sessionToken : undefined;
  }

  /** The current user as stored (read from the session store the first time). */
  async storedUser(): Promise<StoredUser | null> {
    if (this.current === undefined) {
      const text = await this.sessionStore.get(currentUserKey(this.applicationId));
      try {
        this.current = text ? (JSON.parse(text) as StoredUser) : null;
      } catch {
        this.current = null;
      }
    }
    return this.current;
  }

  /** Replaces (or with null forgets) the current user, in memory and in the store. When the user
   * changes, the offline cache is emptied: it held what the previous user could see. */
  async setStoredUser(user: StoredUser | null): Promise<void> {
    const before = await this.storedUser();
    this.current = user;
    if (before?.objectId !== user?.objectId || before?.sessionToken !== user?.sessionToken) {
      try {
        await this.cache.clear();
      } catch {
        // The cache is best effort; a store that fails must not fail a log-in.
      }
    }
    const key = currentUserKey(this.applicationId);
    if (user) await this.sessionStore.set(key, JSON.stringify(user));
    else await this.sessionStore.remove(key);
  }
}

let defaultClient: Client | undefined;

/** Makes the client every call uses unless given another; answers it. */
export function initialize(options: Options): Client {
  defaultClient = new Client(options);
  return defaultClient;
}

/** The client made by `initialize`, or the one given. */
export function clientOf(client?: Client): Client {
  const c = client ?? defaultClient;
  if (!c) throw new ParseError(RuntimeCode.OTHER_CAUSE, "call initialize({ javascriptKey }) first");
  return c;
}
