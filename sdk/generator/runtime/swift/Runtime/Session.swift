// Hearth SDK runtime: where the SDK keeps what must outlive the process (the current user and its
// session token, cache entries): a pluggable key-value store, memory by default.
import Foundation

/// Where the SDK keeps strings it must remember (the session, cache entries). Plug in the
/// Keychain or `UserDefaults`; the default forgets everything when the process ends.
public protocol KeyValueStore: AnyObject {
    func get(_ key: String) -> String?
    func set(_ key: String, _ value: String)
    func remove(_ key: String)
}

public final class MemoryStore: KeyValueStore {
    private var values: [String: String] = [:]
    private let lock = NSLock()

    public init() {}

    public func get(_ key: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return values[key]
    }

    public func set(_ key: String, _ value: String) {
        lock.lock()
        defer { lock.unlock() }
        values[key] = value
    }

    public func remove(_ key: String) {
        lock.lock()
        defer { lock.unlock() }
        values.removeValue(forKey: key)
    }
}

/// A store on `UserDefaults` (not for secrets: keep the session in the Keychain in production).
public final class UserDefaultsStore: KeyValueStore {
    private let defaults: UserDefaults
    private let prefix: String

    public init(defaults: UserDefaults = .standard, prefix: String = "hearth.") {
        self.defaults = defaults
        self.prefix = prefix
    }

    public func get(_ key: String) -> String? {
        return defaults.string(forKey: prefix + key)
    }

    public func set(_ key: String, _ value: String) {
        defaults.set(value, forKey: prefix + key)
    }

    public func remove(_ key: String) {
        defaults.removeObject(forKey: prefix + key)
    }
}
