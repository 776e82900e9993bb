package hearth.sdk

import java.util.Date

/** A condition on objects of model [T], made from its typed fields (`Player.F.score.greaterThan(10)`). */
class Constraint<T : ParseObject> internal constructor(internal val key: String, internal val value: Any?)

/** One sort key of a query of [T]: `Player.F.score.descending()`. */
class SortKey<T : ParseObject> internal constructor(internal val text: String)

/**
 * A field of model [T] holding values of Kotlin type [V]. Only the conditions that the field's type
 * allows are offered: a comparison on a Boolean or a text match on a number does not compile.
 */
open class Field<T : ParseObject, V>(val name: String) {
    protected fun op(op: String, value: Any?): Constraint<T> = Constraint(name, mapOf(op to value))
    protected open fun enc(v: V): Any? = Codec.encode(v)

    fun equalTo(value: V): Constraint<T> = Constraint(name, enc(value))
    fun notEqualTo(value: V): Constraint<T> = op("\$ne", enc(value))
    fun containedIn(values: List<V>): Constraint<T> = op("\$in", values.map { enc(it) })
    fun notContainedIn(values: List<V>): Constraint<T> = op("\$nin", values.map { enc(it) })
    fun exists(): Constraint<T> = op("\$exists", true)
    fun doesNotExist(): Constraint<T> = op("\$exists", false)
    fun ascending(): SortKey<T> = SortKey(name)
    fun descending(): SortKey<T> = SortKey("-$name")
}

/** A field whose values are ordered (numbers, dates, text). */
open class ComparableField<T : ParseObject, V>(name: String) : Field<T, V>(name) {
    fun lessThan(value: V): Constraint<T> = op("\$lt", enc(value))
    fun lessThanOrEqualTo(value: V): Constraint<T> = op("\$lte", enc(value))
    fun greaterThan(value: V): Constraint<T> = op("\$gt", enc(value))
    fun greaterThanOrEqualTo(value: V): Constraint<T> = op("\$gte", enc(value))
}

/** A Number field: compared with any Kotlin number (`greaterThan(10)`, `equalTo(2.5)`). */
class NumberField<T : ParseObject>(name: String) : ComparableField<T, Number>(name)
class DateField<T : ParseObject>(name: String) : ComparableField<T, Date>(name)
class BooleanField<T : ParseObject>(name: String) : Field<T, Boolean>(name)

class StringField<T : ParseObject>(name: String) : ComparableField<T, String>(name) {
    /** A regular expression match; [options] as Parse takes them (`i`, `m`, `x`, `s`). */
    fun matches(regex: String, options: String = ""): Constraint<T> =
        Constraint(name, if (options.length == 0) mapOf("\$regex" to regex) else mapOf("\$regex" to regex, "\$options" to options))
    fun startsWith(prefix: String): Constraint<T> = matches("^" + java.util.regex.Pattern.quote(prefix))
    fun endsWith(suffix: String): Constraint<T> = matches(java.util.regex.Pattern.quote(suffix) + "$")
    /** Full-text search (the server's text index): `{"$text": {"$search": {"$term": term}}}`. */
    fun fullText(term: String): Constraint<T> = op("\$text", mapOf("\$search" to mapOf("\$term" to term)))
}

/** An Array field: conditions on its elements. */
class ArrayField<T : ParseObject>(name: String) : Field<T, List<Any?>>(name) {
    fun contains(element: Any?): Constraint<T> = Constraint(name, Codec.encode(element))
    fun containsAll(elements: List<Any?>): Constraint<T> = op("\$all", Codec.encode(elements))
    fun containedBy(elements: List<Any?>): Constraint<T> = op("\$containedBy", Codec.encode(elements))
}

class ObjectField<T : ParseObject>(name: String) : Field<T, Map<String, Any?>>(name)
class FileField<T : ParseObject>(name: String) : Field<T, ParseFile>(name)
class BytesField<T : ParseObject>(name: String) : Field<T, ByteArray>(name)
class PolygonField<T : ParseObject>(name: String) : Field<T, Polygon>(name) {
    fun containsPoint(point: GeoPoint): Constraint<T> = op("\$geoIntersects", mapOf("\$point" to point.toJson()))
}
class AclField<T : ParseObject>(name: String) : Field<T, ParseACL>(name)

/** A pointer to a [P]: compared by the object pointed to (which must be saved). */
class PointerField<T : ParseObject, P : ParseObject>(name: String) : Field<T, P>(name) {
    override fun enc(v: P): Any? = v.toPointer()
    /** Objects whose pointer targets match [query]. */
    fun matchesQuery(query: Query<P>): Constraint<T> = op("\$inQuery", query.innerJson())
    fun doesNotMatchQuery(query: Query<P>): Constraint<T> = op("\$notInQuery", query.innerJson())
}

/** A relation to [P]: objects whose relation holds a given object. */
class RelationField<T : ParseObject, P : ParseObject>(name: String) : Field<T, P>(name) {
    override fun enc(v: P): Any? = v.toPointer()
}

class GeoPointField<T : ParseObject>(name: String) : Field<T, GeoPoint>(name) {
    /** Sorted by distance from [point], nearest first. */
    fun near(point: GeoPoint): Constraint<T> = op("\$nearSphere", point.toJson())
    fun withinKilometers(point: GeoPoint, km: Double): Constraint<T> = Constraint(name, mapOf("\$nearSphere" to point.toJson(), "\$maxDistanceInKilometers" to km))
    fun withinMiles(point: GeoPoint, miles: Double): Constraint<T> = Constraint(name, mapOf("\$nearSphere" to point.toJson(), "\$maxDistanceInMiles" to miles))
    fun withinRadians(point: GeoPoint, radians: Double): Constraint<T> = Constraint(name, mapOf("\$nearSphere" to point.toJson(), "\$maxDistanceInRadians" to radians))
    fun withinBox(southwest: GeoPoint, northeast: GeoPoint): Constraint<T> = op("\$within", mapOf("\$box" to listOf(southwest.toJson(), northeast.toJson())))
    fun withinPolygon(points: List<GeoPoint>): Constraint<T> = op("\$geoWithin", mapOf("\$polygon" to points.map { it.toJson() }))
}

/** How [Query.find] uses the offline cache. */
enum class CachePolicy {
    /** Always ask the server; the cache is not read (the answer is still stored when a TTL is given). */
    NETWORK_ONLY,
    /** A fresh cached answer if there is one, else the server. */
    CACHE_ELSE_NETWORK,
    /** The server; when it cannot be reached, the cached answer even if it has expired. */
    NETWORK_ELSE_CACHE,
    /** The cached answer first (to `onCached`), then the server's. */
    CACHE_THEN_NETWORK
}

/**
 * A query on model [T]: conditions from typed fields, order, limit, skip, include, keys, count,
 * and `or`/`and` of other queries. [make] builds the model objects of the answer.
 */
class Query<T : ParseObject>(val className: String, private val make: () -> T) {
    private val where = LinkedHashMap<String, Any?>()
    private val order = ArrayList<String>()
    private val include = ArrayList<String>()
    private var keys: List<String>? = null
    private var limit: Int? = null
    private var skip: Int? = null

    /** Adds conditions (all must hold). Several conditions on one field are merged. */
    fun where(vararg constraints: Constraint<T>): Query<T> {
        for (c in constraints) {
            val old = where[c.key]
            if (old is Map<*, *> && c.value is Map<*, *> && old.keys.all { it.toString().startsWith("$") } && c.value.keys.all { it.toString().startsWith("$") }) {
                where[c.key] = LinkedHashMap<Any?, Any?>(old).apply { putAll(c.value) }
            } else {
                where[c.key] = c.value
            }
        }
        return this
    }

    /** A raw `where` key (for constraints the typed fields do not cover). */
    fun whereRaw(key: String, value: Any?): Query<T> {
        where[key] = value
        return this
    }

    fun orderBy(vararg keys: SortKey<T>): Query<T> {
        order.addAll(keys.map { it.text })
        return this
    }

    fun limit(n: Int): Query<T> {
        limit = n
        return this
    }

    fun skip(n: Int): Query<T> {
        skip = n
        return this
    }

    /** Answers the objects these pointer fields point to as well. */
    fun include(vararg fields: Field<T, *>): Query<T> {
        include.addAll(fields.map { it.name })
        return this
    }

    /** Includes by dotted path, through several pointers (`"team.captain"`). */
    fun includePath(vararg paths: String): Query<T> {
        include.addAll(paths)
        return this
    }

    /** Answers only these fields (plus the built-in ones). */
    fun select(vararg fields: Field<T, *>): Query<T> {
        keys = fields.map { it.name }
        return this
    }

    /** The fields [select] asked for (null: all). */
    internal fun selectedKeys(): List<String>? = keys

    /** The `where` of this query (JSON), for `$inQuery` and `or`/`and`. */
    fun whereJson(): Map<String, Any?> = LinkedHashMap(where)

    internal fun innerJson(): Map<String, Any?> = mapOf("className" to className, "where" to whereJson())

    /** The request's parameters (what the cache key is made of). */
    fun params(): Map<String, Any?> {
        val p = LinkedHashMap<String, Any?>()
        if (where.isNotEmpty()) p["where"] = where
        if (order.isNotEmpty()) p["order"] = order.joinToString(",")
        if (include.isNotEmpty()) p["include"] = include.joinToString(",")
        keys?.let { p["keys"] = it.joinToString(",") }
        limit?.let { p["limit"] = it }
        skip?.let { p["skip"] = it }
        return p
    }

    /** `<appId>|<className>|<canonical query JSON>`. */
    fun cacheKey(client: ParseClient): String = client.config.applicationId + "|" + className + "|" + Json.stringify(params(), true)

    private fun path(): String = if (className == "_User") "/users" else "/classes/$className"

    private fun fetchRaw(client: ParseClient, params: Map<String, Any?> = params()): List<Any?> {
        val doc = read(client, path(), params) as? Map<*, *>
        @Suppress("UNCHECKED_CAST")
        return doc?.get("results") as? List<Any?> ?: emptyList()
    }

    /**
     * A read of [path]: a GET, or for a long query (a large `containedIn`) a POST whose body says
     * `_method: "GET"`, as the Parse SDKs send it (URLs have length limits); either way a read, so
     * it carries no request id and is not retried as a write.
     */
    private fun read(client: ParseClient, path: String, params: Map<String, Any?>): Any? {
        val length = params.entries.sumBy { (k, v) -> k.length + 2 + java.net.URLEncoder.encode(if (v is String) v else Json.stringify(v), "UTF-8").length }
        if (length <= MAX_QUERY_STRING) return client.request("GET", path, null, params)
        val body = LinkedHashMap(params)
        body["_method"] = "GET"
        return client.request("POST", path, body, retry = false)
    }

    private fun cacheEntry(client: ParseClient, key: String): CacheEntry? = try {
        client.cache.getCacheEntry(key)
    } catch (e: Exception) {
        null // the cache is best effort: a failing store is a miss
    }

    private fun decode(rows: List<Any?>, client: ParseClient): List<T> = rows.mapNotNull { row ->
        @Suppress("UNCHECKED_CAST")
        val m = row as? Map<String, Any?> ?: return@mapNotNull null
        val o = make()
        o.mergeServerData(m, client.factory)
        o
    }

    /**
     * The matching objects. With a [cache] policy other than NETWORK_ONLY (or a [ttlMs]) answers
     * are kept in the client's offline cache under [cacheKey] for [ttlMs] (null = no expiry).
     */
    fun find(client: ParseClient = ParseClient.current(), cache: CachePolicy = CachePolicy.NETWORK_ONLY, ttlMs: Long? = null, onCached: ((List<T>) -> Unit)? = null): List<T> {
        val key = cacheKey(client)
        val store = cache != CachePolicy.NETWORK_ONLY || ttlMs != null
        when (cache) {
            CachePolicy.CACHE_ELSE_NETWORK -> {
                val entry = cacheEntry(client, key)
                val fresh = if (entry == null || entry.expired) null else entry.value as? List<Any?>
                if (fresh != null) return decode(fresh, client)
            }
            CachePolicy.CACHE_THEN_NETWORK -> {
                val entry = cacheEntry(client, key)
                val rows = entry?.value as? List<Any?>
                if (rows != null && onCached != null) onCached(decode(rows, client))
            }
            else -> {}
        }
        val rows = try {
            fetchRaw(client)
        } catch (e: ParseException) {
            if (cache == CachePolicy.NETWORK_ELSE_CACHE && e.isNetworkError) {
                val stale = cacheEntry(client, key)?.value as? List<Any?>
                if (stale != null) return decode(stale, client)
            }
            throw e
        }
        if (store) {
            try {
                client.cache.set(key, rows, ttlMs)
            } catch (e: Exception) {
                // The cache is best effort: a store that fails (full, gone) must not lose the answer.
            }
        }
        return decode(rows, client)
    }

    fun findAsync(callback: Callback<List<T>>, client: ParseClient = ParseClient.current(), cache: CachePolicy = CachePolicy.NETWORK_ONLY, ttlMs: Long? = null) =
        client.async({ find(client, cache, ttlMs) }, callback)

    fun first(client: ParseClient = ParseClient.current()): T? {
        val p = LinkedHashMap(params())
        p["limit"] = 1
        return decode(fetchRaw(client, p), client).firstOrNull()
    }

    /** The object with [objectId] (error 101 when it does not exist or cannot be seen). */
    fun get(objectId: String, client: ParseClient = ParseClient.current()): T {
        val p = LinkedHashMap<String, Any?>()
        if (include.isNotEmpty()) p["include"] = include.joinToString(",")
        keys?.let { p["keys"] = it.joinToString(",") }
        @Suppress("UNCHECKED_CAST")
        val doc = client.request("GET", path() + "/" + objectId, null, p) as? Map<String, Any?> ?: emptyMap()
        val o = make()
        o.mergeServerData(doc, client.factory)
        return o
    }

    /** How many objects match (no objects are fetched). */
    fun count(client: ParseClient = ParseClient.current()): Int {
        val p = LinkedHashMap(params())
        p["count"] = 1
        p["limit"] = 0
        val doc = read(client, path(), p) as? Map<*, *>
        return Codec.asLong(doc?.get("count"))?.toInt() ?: 0
    }

    companion object {
        /** Query strings longer than this (about) go as a POST with `_method: "GET"`. */
        const val MAX_QUERY_STRING = 2000

        /** Objects matching any of [queries] (all of one class). */
        fun <T : ParseObject> or(vararg queries: Query<T>): Query<T> = combine("\$or", queries.toList())

        /** Objects matching all of [queries]. */
        fun <T : ParseObject> and(vararg queries: Query<T>): Query<T> = combine("\$and", queries.toList())

        private fun <T : ParseObject> combine(op: String, queries: List<Query<T>>): Query<T> {
            require(queries.isNotEmpty()) { "at least one query" }
            val q = Query(queries[0].className, queries[0].make)
            q.whereRaw(op, queries.map { it.whereJson() })
            return q
        }
    }
}
