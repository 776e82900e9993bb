// Hearth SDK runtime: the offline cache, values with a time to live, kept in a pluggable store.
import Foundation

/// A cached value and whether its time to live has passed.
public struct CacheEntry {
    public let value: JSONValue
    public let expired: Bool
}

/// How a query uses the cache.
public enum CachePolicy {
    /// Always ask the server; never read or write the cache.
    case networkOnly
    /// A fresh cached answer if there is one, else the server (whose answer is cached).
    case cacheElseNetwork
    /// The server (answer cached); when it cannot be reached, the cached answer even if stale.
    case networkElseCache
    /// The cached answer first (to the `cached` callback, even if stale, with whether it is), then the server's.
    case cacheThenNetwork
}

public final class ParseCache {
    private struct Stored: Codable {
        var value: JSONValue
        var expiresAt: Double?
    }

    private let store: KeyValueStore
    private let prefix = "hearth-cache:"
    /// Milliseconds since 1970; replace it in tests to move time.
    public var clock: () -> Double

    public init(store: KeyValueStore = MemoryStore(), clock: @escaping () -> Double = { Date().timeIntervalSince1970 * 1000 }) {
        self.store = store
        self.clock = clock
    }

    /// Keeps `value` under `key`; with `ttlMs` it is fresh for that many milliseconds, else for ever.
    public func set(_ key: String, _ value: JSONValue, ttlMs: Double? = nil) {
        let entry = Stored(value: value, expiresAt: ttlMs.map { clock() + $0 })
        guard let data = try? ParseCoding.encode(entry), let text = String(data: data, encoding: .utf8) else { return }
        store.set(prefix + key, text)
    }

    /// The value under `key` if it is still fresh.
    public func get(_ key: String) -> JSONValue? {
        guard let entry = getCacheEntry(key), !entry.expired else { return nil }
        return entry.value
    }

    /// The value under `key` even when stale, with `expired` telling which.
    public func getCacheEntry(_ key: String) -> CacheEntry? {
        guard let text = store.get(prefix + key), let data = text.data(using: .utf8),
              let entry = try? ParseCoding.decode(Stored.self, from: data) else { return nil }
        return CacheEntry(value: entry.value, expired: entry.expiresAt.map { clock() >= $0 } ?? false)
    }

    public func remove(_ key: String) {
        store.remove(prefix + key)
    }
}
