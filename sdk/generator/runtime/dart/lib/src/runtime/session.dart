// Hearth SDK runtime: where the SDK keeps what must outlive the process (the current user and its
// session token, cache entries): a pluggable key-value store, memory by default.

/// Where the SDK keeps strings it must remember (the session, cache entries). Asynchronous, so
/// shared_preferences or flutter_secure_storage plug in directly; the default forgets
/// everything when the app ends.
abstract class KeyValueStore {
  Future<String?> get(String key);

  Future<void> set(String key, String value);

  Future<void> remove(String key);
}

class MemoryStore implements KeyValueStore {
  final Map<String, String> _values = <String, String>{};

  @override
  Future<String?> get(String key) async => _values[key];

  @override
  Future<void> set(String key, String value) async => _values[key] = value;

  @override
  Future<void> remove(String key) async => _values.remove(key);
}
