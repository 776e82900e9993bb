// session: where the SDK keeps what must outlive the process (the current user and its session
// token, cache entries). A store is three functions that may be synchronous or return promises,
// so `localStorage`, React Native's `AsyncStorage` or a file fit as they are:
//   { get: (k) => localStorage.getItem(k), set: (k, v) => localStorage.setItem(k, v), remove: (k) => localStorage.removeItem(k) }
//   AsyncStorage itself already has this shape under the names getItem/setItem/removeItem:
//   { get: AsyncStorage.getItem, set: AsyncStorage.setItem, remove: AsyncStorage.removeItem }

export type MaybePromise<T> = T | Promise<T>;

/** A string key-value store. */
export interface KeyValueStore {
  get(key: string): MaybePromise<string | null | undefined>;
  set(key: string, value: string): MaybePromise<void>;
  remove(key: string): MaybePromise<void>;
}

/** The default store: a Map in memory (nothing survives a restart). */
export class MemoryStore implements KeyValueStore {
  private readonly map = new Map<string, string>();
  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  set(key: string, value: string): void {
    this.map.set(key, value);
  }
  remove(key: string): void {
    this.map.delete(key);
  }
}

/** The key under which the current user (with its session token) is kept. */
export function currentUserKey(applicationId: string): string {
  return `hearth:${applicationId}:currentUser`;
}
