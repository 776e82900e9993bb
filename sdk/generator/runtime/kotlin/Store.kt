package hearth.sdk

import java.util.concurrent.ConcurrentHashMap

/**
 * Where the SDK keeps strings between calls: the current user's session and the offline cache.
 * The default keeps them in memory; an Android app plugs `SharedPreferences`, DataStore or a
 * database in.
 */
interface KeyValueStore {
    fun get(key: String): String?
    fun set(key: String, value: String)
    fun remove(key: String)
}

/** The default store: a map in memory (lost when the process ends). */
class MemoryStore : KeyValueStore {
    private val map = ConcurrentHashMap<String, String>()
    override fun get(key: String): String? = map[key]
    override fun set(key: String, value: String) {
        map[key] = value
    }
    override fun remove(key: String) {
        map.remove(key)
    }
}

/** What [ParseCache.getCacheEntry] answers: the value, and whether its time to live has passed. */
class CacheEntry(val value: Any?, val expired: Boolean)

/**
 * An offline cache with a time to live, over any [KeyValueStore]. Values are JSON values (what
 * [Json] reads and writes). [clock] answers the time in milliseconds (injectable for tests).
 */
class ParseCache(private val store: KeyValueStore = MemoryStore(), private val clock: () -> Long = { System.currentTimeMillis() }) {
    /** Keeps [value] under [key]; without [ttlMs] it never expires. */
    fun set(key: String, value: Any?, ttlMs: Long? = null) {
        val expiresAt: Long? = if (ttlMs == null) null else clock() + ttlMs
        store.set(key, Json.stringify(mapOf("value" to value, "expiresAt" to expiresAt)))
    }

    /** The value under [key] while it is fresh, else null. */
    fun get(key: String): Any? {
        val e = getCacheEntry(key) ?: return null
        return if (e.expired) null else e.value
    }

    /** The entry under [key], stale or not; null when there is none. */
    fun getCacheEntry(key: String): CacheEntry? {
        val text = store.get(key) ?: return null
        val doc = try {
            Json.parse(text) as? Map<*, *>
        } catch (e: ParseException) {
            null
        } ?: return null
        val expiresAt = Codec.asLong(doc["expiresAt"])
        return CacheEntry(doc["value"], expiresAt != null && clock() >= expiresAt)
    }

    fun remove(key: String) = store.remove(key)
}
