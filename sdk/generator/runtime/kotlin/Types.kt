package hearth.sdk

import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import java.util.TimeZone

/** A file stored by the server: `{"__type": "File", "name", "url"}`. Upload with [ParseClient.uploadFile]. */
class ParseFile(val name: String, val url: String?) : JsonEncodable {
    override fun toJson(): Any? = mapOf("__type" to "File", "name" to name, "url" to url)
    override fun toString(): String = "ParseFile($name, $url)"
    override fun equals(other: Any?): Boolean = other is ParseFile && other.name == name && other.url == url
    override fun hashCode(): Int = name.hashCode()
}

/** A point on Earth: `{"__type": "GeoPoint", "latitude", "longitude"}`. */
class GeoPoint(val latitude: Double, val longitude: Double) : JsonEncodable {
    init {
        require(latitude >= -90.0 && latitude <= 90.0) { "latitude must be within -90..90" }
        require(longitude >= -180.0 && longitude <= 180.0) { "longitude must be within -180..180" }
    }
    override fun toJson(): Any? = mapOf("__type" to "GeoPoint", "latitude" to latitude, "longitude" to longitude)
    override fun toString(): String = "GeoPoint($latitude, $longitude)"
    override fun equals(other: Any?): Boolean = other is GeoPoint && other.latitude == latitude && other.longitude == longitude
    override fun hashCode(): Int = latitude.hashCode() * 31 + longitude.hashCode()
}

/** A closed shape of at least three points: `{"__type": "Polygon", "coordinates": [[lat, lng], ...]}`. */
class Polygon(val points: List<GeoPoint>) : JsonEncodable {
    override fun toJson(): Any? = mapOf("__type" to "Polygon", "coordinates" to points.map { listOf(it.latitude, it.longitude) })
    override fun equals(other: Any?): Boolean = other is Polygon && other.points == points
    override fun hashCode(): Int = points.hashCode()
}

/** Who may read and write an object: `{"*": {"read": true}, "<userId>": {...}, "role:Name": {...}}`. */
class ParseACL(entries: Map<String, Map<String, Boolean>> = emptyMap()) : JsonEncodable {
    private val rules = LinkedHashMap<String, MutableMap<String, Boolean>>()

    init {
        for ((k, v) in entries) rules[k] = LinkedHashMap(v)
    }

    fun setPublicReadAccess(allowed: Boolean) = set("*", "read", allowed)
    fun setPublicWriteAccess(allowed: Boolean) = set("*", "write", allowed)
    fun setReadAccess(userId: String, allowed: Boolean) = set(userId, "read", allowed)
    fun setWriteAccess(userId: String, allowed: Boolean) = set(userId, "write", allowed)
    fun setRoleReadAccess(role: String, allowed: Boolean) = set("role:$role", "read", allowed)
    fun setRoleWriteAccess(role: String, allowed: Boolean) = set("role:$role", "write", allowed)
    fun canRead(key: String): Boolean = rules[key]?.get("read") == true
    fun canWrite(key: String): Boolean = rules[key]?.get("write") == true

    private fun set(key: String, what: String, allowed: Boolean) {
        val r = rules.getOrPut(key) { LinkedHashMap() }
        if (allowed) r[what] = true else r.remove(what)
        if (r.isEmpty()) rules.remove(key)
    }

    override fun toJson(): Any? = LinkedHashMap<String, Any?>(rules)
    override fun equals(other: Any?): Boolean = other is ParseACL && other.rules == rules
    override fun hashCode(): Int = rules.hashCode()
}

/** Conversions between Parse's JSON encodings and Kotlin values. */
object Codec {
    private fun isoFormat(): SimpleDateFormat {
        val f = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.US)
        f.timeZone = TimeZone.getTimeZone("UTC")
        return f
    }

    fun formatDate(d: Date): String = isoFormat().format(d)

    /** Reads an ISO-8601 date as the server writes it (UTC, with or without milliseconds; finer fractions are cut to milliseconds). */
    fun parseDate(s: String): Date? {
        if (!s.endsWith("Z")) return null
        val dot = s.indexOf('.')
        val trimmed = if (dot < 0) s.dropLast(1) + ".000Z" else s.substring(0, dot + 1) + s.substring(dot + 1, s.length - 1).padEnd(3, '0').take(3) + "Z"
        return try {
            isoFormat().parse(trimmed)
        } catch (e: java.text.ParseException) {
            null
        }
    }

    /** Kotlin value → JSON-ready value (Date, ParseObject pointers, bytes and Parse types get their `__type` forms). */
    fun encode(v: Any?): Any? = when (v) {
        null, is String, is Boolean, is Number -> v
        is Date -> mapOf("__type" to "Date", "iso" to formatDate(v))
        is ByteArray -> mapOf("__type" to "Bytes", "base64" to B64.encode(v))
        is ParseObject -> v.toPointer()
        is JsonEncodable -> v.toJson()
        is Map<*, *> -> {
            val out = LinkedHashMap<String, Any?>()
            for ((k, x) in v) out[k.toString()] = encode(x)
            out
        }
        is Iterable<*> -> v.map { encode(it) }
        is Array<*> -> v.map { encode(it) }
        else -> throw IllegalArgumentException("cannot encode a " + v.javaClass.name + " for Parse")
    }

    /** JSON value → Kotlin value; pointers and included objects become models made by [factory]. */
    fun decode(v: Any?, factory: (String) -> ParseObject): Any? {
        when (v) {
            is Map<*, *> -> {
                when (v["__type"]) {
                    "Date" -> return (v["iso"] as? String)?.let { parseDate(it) }
                    "Pointer", "Object" -> {
                        val cls = v["className"] as? String ?: return v
                        val o = factory(cls)
                        @Suppress("UNCHECKED_CAST")
                        o.mergeServerData(v as Map<String, Any?>, factory)
                        return o
                    }
                    "File" -> return ParseFile(v["name"] as? String ?: "", v["url"] as? String)
                    "GeoPoint" -> return GeoPoint(asDouble(v["latitude"]) ?: 0.0, asDouble(v["longitude"]) ?: 0.0)
                    "Polygon" -> return Polygon((v["coordinates"] as? List<*>).orEmpty().map { p ->
                        val pair = p as? List<*> ?: emptyList<Any?>()
                        GeoPoint(asDouble(pair.getOrNull(0)) ?: 0.0, asDouble(pair.getOrNull(1)) ?: 0.0)
                    })
                    "Bytes" -> return (v["base64"] as? String)?.let { B64.decode(it) }
                    "Relation" -> return v
                }
                val out = LinkedHashMap<String, Any?>()
                for ((k, x) in v) out[k.toString()] = decode(x, factory)
                return out
            }
            is List<*> -> return v.map { decode(it, factory) }
            else -> return v
        }
    }

    fun asDouble(v: Any?): Double? = (v as? Number)?.toDouble()
    fun asLong(v: Any?): Long? = (v as? Number)?.toLong()
    fun asString(v: Any?): String? = v as? String
    fun asBoolean(v: Any?): Boolean? = v as? Boolean

    @Suppress("UNCHECKED_CAST")
    fun asMap(v: Any?): Map<String, Any?>? = v as? Map<String, Any?>

    fun asList(v: Any?): List<Any?>? = v as? List<Any?>

    fun acl(v: Any?): ParseACL? {
        val m = v as? Map<*, *> ?: return null
        val entries = LinkedHashMap<String, Map<String, Boolean>>()
        for ((k, r) in m) {
            val rm = r as? Map<*, *> ?: continue
            entries[k.toString()] = rm.entries.filter { it.value is Boolean }.associate { it.key.toString() to (it.value as Boolean) }
        }
        return ParseACL(entries)
    }
}

/** Standard base64 (with padding), written out: `java.util.Base64` needs Android API 26. */
internal object B64 {
    private const val ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    fun encode(bytes: ByteArray): String {
        val sb = StringBuilder((bytes.size + 2) / 3 * 4)
        var i = 0
        while (i < bytes.size) {
            val n = minOf(3, bytes.size - i)
            var chunk = 0
            for (k in 0 until 3) chunk = (chunk shl 8) or (if (k < n) bytes[i + k].toInt() and 0xff else 0)
            for (k in 0 until 4) sb.append(if (k <= n) ALPHABET[(chunk shr (18 - 6 * k)) and 0x3f] else '=')
            i += 3
        }
        return sb.toString()
    }

    /** Decodes base64 (padding optional, whitespace ignored); throws IllegalArgumentException on other characters. */
    fun decode(text: String): ByteArray {
        val out = java.io.ByteArrayOutputStream(text.length * 3 / 4)
        var buffer = 0
        var bits = 0
        for (c in text) {
            if (c == '=') break
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue
            val v = ALPHABET.indexOf(c)
            require(v >= 0) { "not base64: '$c'" }
            buffer = (buffer shl 6) or v
            bits += 6
            if (bits >= 8) {
                bits -= 8
                out.write((buffer shr bits) and 0xff)
            }
        }
        return out.toByteArray()
    }
}
