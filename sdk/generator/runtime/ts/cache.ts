// cache: an offline cache with a time-to-live per entry, kept in a KeyValueStore (memory by
// default; pass localStorage/AsyncStorage to keep it across restarts). `get` answers fresh values
// only; `getCacheEntry` answers a value even when it has expired, marked `expired`, so an app
// without network can still show what it saw last. Queries use it through their cache modes.
// The clock is injectable so tests need not wait. `clear` empties it, `prune` drops expired
// entries; the SDK clears it whenever the current user changes.

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
  /** Updates of the index, one after the other (a store may be asynchronous). */
  private indexLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: KeyValueStore = new MemoryStore(),
    private readonly now: () => number = () => Date.now(),
    private readonly prefix = "hearth-cache:",
  ) {}

  /** The store's key of the index: every key the cache holds, with its expiry, so `clear` and
   * `prune` can find entries in a store that cannot list its keys. */
  private get indexKey(): string {
    return `${this.prefix}#index`;
  }

  private async readIndex(): Promise<Record<string, number | null>> {
    try {
      const text = await this.store.get(this.indexKey);
      const index = text ? (JSON.parse(text) as unknown) : {};
      return index !== null && typeof index === "object" && !Array.isArray(index) ? (index as Record<string, number | null>) : {};
    } catch {
      return {};
    }
  }

  /** Runs `change` on the index and stores it, after the changes before it. */
  private updateIndex<T>(change: (index: Record<string, number | null>) => Promise<T>): Promise<T> {
    const run = this.indexLock.then(async () => {
      const index = await this.readIndex();
      const out = await change(index);
      await this.store.set(this.indexKey, JSON.stringify(index));
      return out;
    });
    this.indexLock = run.catch(() => undefined);
    return run;
  }

  /** Keeps `value` (JSON-serialisable) under `key`, fresh for `ttlMs` milliseconds (for ever when left out). */
  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const entry: Stored = { v: value, e: ttlMs === undefined ? null : this.now() + ttlMs };
    await this.updateIndex(async (index) => {
      index[key] = entry.e;
      await this.store.set(this.prefix + key, JSON.stringify(entry));
    });
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
    await this.updateIndex(async (index) => {
      delete index[key];
      await this.store.remove(this.prefix + key);
    });
  }

  /** Removes every entry (the SDK does so when the current user changes: cached answers were
   * what that user could see). */
  async clear(): Promise<void> {
    await this.updateIndex(async (index) => {
      for (const key of Object.keys(index)) {
        await this.store.remove(this.prefix + key);
        delete index[key];
      }
    });
  }

  /** Removes the entries that have expired; answers how many. */
  async prune(): Promise<number> {
    const now = this.now();
    return this.updateIndex(async (index) => {
      let n = 0;
      for (const [key, expiry] of Object.entries(index)) {
        if (expiry === null || now < expiry) continue;
        await this.store.remove(this.prefix + key);
        delete index[key];
        n++;
      }
      return n;
    });
  }
}
