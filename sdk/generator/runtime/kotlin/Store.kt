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
 * [Json] reads and writes). [clock] answers the time in milliseconds (injectable for tests). Its
 * keys are stored under [prefix], with an index of them all so [clear] and [prune] work on a store
 * that cannot list its keys; the client clears it whenever the current user or session changes.
 */
class ParseCache(private val store: KeyValueStore = MemoryStore(), private val clock: () -> Long = { System.currentTimeMillis() }, private val prefix: String = "hearth-cache:") {
    private val indexKey get() = "$prefix#index"

    private fun readIndex(): LinkedHashMap<String, Long?> {
        val out = LinkedHashMap<String, Long?>()
        val doc = try {
            store.get(indexKey)?.let { Json.parse(it) as? Map<*, *> }
        } catch (e: ParseException) {
            null
        } ?: return out
        for ((k, v) in doc) if (k is String) out[k] = Codec.asLong(v)
        return out
    }

    /** Runs [change] on the index and stores it, one change at a time. */
    private fun <T> updateIndex(change: (MutableMap<String, Long?>) -> T): T = synchronized(this) {
        val index = readIndex()
        val out = change(index)
        store.set(indexKey, Json.stringify(index))
        out
    }

    /** Keeps [value] under [key]; without [ttlMs] it never expires. */
    fun set(key: String, value: Any?, ttlMs: Long? = null) {
        val expiresAt: Long? = if (ttlMs == null) null else clock() + ttlMs
        updateIndex { index ->
            index[key] = expiresAt
            store.set(prefix + key, Json.stringify(mapOf("value" to value, "expiresAt" to expiresAt)))
        }
    }

    /** The value under [key] while it is fresh, else null. */
    fun get(key: String): Any? {
        val e = getCacheEntry(key) ?: return null
        return if (e.expired) null else e.value
    }

    /** The entry under [key], stale or not; null when there is none. */
    fun getCacheEntry(key: String): CacheEntry? {
        val text = store.get(prefix + key) ?: return null
        val doc = try {
            Json.parse(text) as? Map<*, *>
        } catch (e: ParseException) {
            null
        } ?: return null
        val expiresAt = Codec.asLong(doc["expiresAt"])
        return CacheEntry(doc["value"], expiresAt != null && clock() >= expiresAt)
    }

    fun remove(key: String) = updateIndex { index ->
        index.remove(key)
        store.remove(prefix + key)
    }

    /** Removes every entry (cached answers were what the previous user could see). */
    fun clear() = updateIndex { index ->
        for (key in index.keys) store.remove(prefix + key)
        index.clear()
    }

    /** Removes the entries that have expired; answers how many. */
    fun prune(): Int {
        val now = clock()
        return updateIndex { index ->
            val stale = index.filter { (_, e) -> e != null && now >= e }.keys
            for (key in stale) {
                store.remove(prefix + key)
                index.remove(key)
            }
            stale.size
        }
    }
}
