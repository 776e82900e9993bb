// Hearth SDK runtime: the offline cache, values with a time to live, kept in a pluggable store.
import 'dart:convert';

import 'session.dart';

/// A cached value and whether its time to live has passed.
class CacheEntry {
  final Object? value;
  final bool expired;

  const CacheEntry(this.value, this.expired);
}

/// How a query uses the cache.
enum CachePolicy {
  /// Always ask the server; never read or write the cache.
  networkOnly,

  /// A fresh cached answer if there is one, else the server (whose answer is cached).
  cacheElseNetwork,

  /// The server (answer cached); when it cannot be reached, the cached answer even if stale.
  networkElseCache,

  /// The cached answer first (to the `cached` callback, even if stale, with whether it is), then the server's.
  cacheThenNetwork,
}

class ParseCache {
  final KeyValueStore store;
  static const String _prefix = 'hearth-cache:';

  /// Milliseconds since 1970; replace it in tests to move time.
  int Function() clock;

  ParseCache({KeyValueStore? store, int Function()? clock})
      : store = store ?? MemoryStore(),
        clock = clock ?? (() => DateTime.now().millisecondsSinceEpoch);

  /// Keeps [value] (JSON) under [key]; with [ttlMs] it is fresh for that many milliseconds, else for ever.
  Future<void> set(String key, Object? value, [int? ttlMs]) async {
    final entry = <String, Object?>{'value': value, 'expiresAt': ttlMs == null ? null : clock() + ttlMs};
    await store.set(_prefix + key, jsonEncode(entry));
  }

  /// The value under [key] if it is still fresh.
  Future<Object?> get(String key) async {
    final entry = await getCacheEntry(key);
    return entry == null || entry.expired ? null : entry.value;
  }

  /// The value under [key] even when stale, with `expired` telling which.
  Future<CacheEntry?> getCacheEntry(String key) async {
    final text = await store.get(_prefix + key);
    if (text == null) return null;
    final entry = jsonDecode(text) as Map;
    final expiresAt = entry['expiresAt'] as num?;
    return CacheEntry(entry['value'], expiresAt != null && clock() >= expiresAt);
  }

  Future<void> remove(String key) => store.remove(_prefix + key);
}
