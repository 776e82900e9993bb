// cache: an offline cache with a time-to-live per entry, kept in a KeyValueStore (memory by
// default; pass localStorage/AsyncStorage to keep it across restarts). `get` answers fresh values
// only; `getCacheEntry` answers a value even when it has expired, marked `expired`, so an app
// without network can still show what it saw last. Queries use it through their cache modes.
// The clock is injectable so tests need not wait.

import { type KeyValueStore, MemoryStore } from "./session.js";

export interface CacheEntry<T> {
  value: T;
  expired: boolean;
}

/** How a query uses the cache. */
export type CachePolicy =
  /** Always ask the server; the cache is neither read nor written (the default). */
  | "networkOnly"
  /** A fresh cached answer if there is one, else the server (whose answer is cached). */
  | "cacheElseNetwork"
  /** The server (answer cached); when the network fails, the cached answer even if expired. */
  | "networkElseCache"
  /** The cached answer first (even if expired) through the callback, then the server's. */
  | "cacheThenNetwork";

interface Stored {
  v: unknown;
  /** Milliseconds since the epoch after which the entry is stale; null: never. */
  e: number | null;
}

export class Cache {
  constructor(
    private readonly store: KeyValueStore = new MemoryStore(),
    private readonly now: () => number = () => Date.now(),
    private readonly prefix = "hearth-cache:",
  ) {}

  /** Keeps `value` (JSON-serialisable) under `key`, fresh for `ttlMs` milliseconds (for ever when left out). */
  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const entry: Stored = { v: value, e: ttlMs === undefined ? null : this.now() + ttlMs };
    await this.store.set(this.prefix + key, JSON.stringify(entry));
  }

  /** The value under `key` if it is there and fresh, else undefined. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const entry = await this.getCacheEntry<T>(key);
    return entry && !entry.expired ? entry.value : undefined;
  }

  /** The value under `key` and whether it has expired; undefined when there is none. */
  async getCacheEntry<T = unknown>(key: string): Promise<CacheEntry<T> | undefined> {
    const text = await this.store.get(this.prefix + key);
    if (text == null) return undefined;
    let entry: Stored;
    try {
      entry = JSON.parse(text) as Stored;
    } catch {
      return undefined;
    }
    return { value: entry.v as T, expired: entry.e !== null && this.now() >= entry.e };
  }

  async remove(key: string): Promise<void> {
    await this.store.remove(this.prefix + key);
  }
}
