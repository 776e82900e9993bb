package hearth.sdk

/**
 * A small JSON codec, so the SDK needs no library. Values are Kotlin's: `null`, `Boolean`,
 * `String`, `Long` (integers that fit) or `Double`, `List<Any?>` and `Map<String, Any?>` (keys
 * in document order).
 */
object Json {
    /** Parses one JSON document; throws [ParseException] (code 107, invalid JSON) on bad input. */
    fun parse(text: String): Any? {
        val p = Parser(text)
        p.skipSpace()
        val v = p.value(0)
        p.skipSpace()
        if (p.i != text.length) throw p.fail("trailing characters")
        return v
    }

    /** Serialises [value]; with [sortKeys] object keys are sorted (canonical form, e.g. for cache keys). */
    fun stringify(value: Any?, sortKeys: Boolean = false): String {
        val sb = StringBuilder()
        write(sb, value, sortKeys)
        return sb.toString()
    }

    private fun write(sb: StringBuilder, value: Any?, sortKeys: Boolean) {
        when (value) {
            null -> sb.append("null")
            is Boolean -> sb.append(if (value) "true" else "false")
            is String -> quote(sb, value)
            is Double -> writeDouble(sb, value)
            is Float -> writeDouble(sb, value.toDouble())
            is java.math.BigDecimal -> sb.append(value.toPlainString())
            is java.math.BigInteger -> sb.append(value.toString())
            is Number -> sb.append(value.toLong())
            is Map<*, *> -> {
                sb.append('{')
                val keys = value.keys.map { it.toString() }
                var first = true
                for (k in if (sortKeys) keys.sorted() else keys) {
                    if (!first) sb.append(',')
                    first = false
                    quote(sb, k)
                    sb.append(':')
                    write(sb, value[k], sortKeys)
                }
                sb.append('}')
            }
            is Iterable<*> -> {
                sb.append('[')
                var first = true
                for (v in value) {
                    if (!first) sb.append(',')
                    first = false
                    write(sb, v, sortKeys)
                }
                sb.append(']')
            }
            is Array<*> -> write(sb, value.asList(), sortKeys)
            is JsonEncodable -> write(sb, value.toJson(), sortKeys)
            else -> throw IllegalArgumentException("cannot encode a " + value.javaClass.name + " as JSON")
        }
    }

    private fun writeDouble(sb: StringBuilder, d: Double) {
        if (d.isNaN() || d.isInfinite()) throw IllegalArgumentException("JSON has no NaN or infinity")
        if (d == Math.floor(d) && Math.abs(d) < 1e15) sb.append(d.toLong()) else sb.append(d)
    }

    private fun quote(sb: StringBuilder, s: String) {
        sb.append('"')
        for ((i, c) in s.withIndex()) {
            // A lone surrogate is not UTF-8: it goes as its escape (a pair is one character, kept).
            val lone = (Character.isHighSurrogate(c) && !(i + 1 < s.length && Character.isLowSurrogate(s[i + 1]))) ||
                (Character.isLowSurrogate(c) && !(i > 0 && Character.isHighSurrogate(s[i - 1])))
            if (lone) {
                sb.append(String.format("\\u%04x", c.toInt()))
                continue
            }
            when (c) {
                '"' -> sb.append("\\\"")
                '\\' -> sb.append("\\\\")
                '\n' -> sb.append("\\n")
                '\r' -> sb.append("\\r")
                '\t' -> sb.append("\\t")
                '\b' -> sb.append("\\b")
                '\u000C' -> sb.append("\\f")
                else -> if (c < ' ' || c == '\u2028' || c == '\u2029') sb.append(String.format("\\u%04x", c.toInt())) else sb.append(c)
            }
        }
        sb.append('"')
    }

    private class Parser(val s: String) {
        var i = 0

        fun fail(why: String): ParseException = ParseException(ParseException.INVALID_JSON, "invalid JSON at offset $i: $why")

        fun skipSpace() {
            while (i < s.length && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++
        }

        fun value(depth: Int): Any? {
            if (depth > 512) throw fail("nested too deeply")
            if (i >= s.length) throw fail("unexpected end")
            return when (s[i]) {
                '{' -> obj(depth)
                '[' -> arr(depth)
                '"' -> str()
                't' -> word("true", true)
                'f' -> word("false", false)
                'n' -> word("null", null)
                else -> num()
            }
        }

        fun word(w: String, v: Any?): Any? {
            if (!s.startsWith(w, i)) throw fail("unexpected character")
            i += w.length
            return v
        }

        fun obj(depth: Int): Map<String, Any?> {
            val out = LinkedHashMap<String, Any?>()
            i++
            skipSpace()
            if (i < s.length && s[i] == '}') {
                i++
                return out
            }
            while (true) {
                skipSpace()
                if (i >= s.length || s[i] != '"') throw fail("expected a key")
                val k = str()
                skipSpace()
                if (i >= s.length || s[i] != ':') throw fail("expected ':'")
                i++
                skipSpace()
                out[k] = value(depth + 1)
                skipSpace()
                if (i < s.length && s[i] == ',') {
                    i++
                    continue
                }
                if (i < s.length && s[i] == '}') {
                    i++
                    return out
                }
                throw fail("expected ',' or '}'")
            }
        }

        fun arr(depth: Int): List<Any?> {
            val out = ArrayList<Any?>()
            i++
            skipSpace()
            if (i < s.length && s[i] == ']') {
                i++
                return out
            }
            while (true) {
                skipSpace()
                out.add(value(depth + 1))
                skipSpace()
                if (i < s.length && s[i] == ',') {
                    i++
                    continue
                }
                if (i < s.length && s[i] == ']') {
                    i++
                    return out
                }
                throw fail("expected ',' or ']'")
            }
        }

        fun str(): String {
            val sb = StringBuilder()
            i++
            while (true) {
                if (i >= s.length) throw fail("unterminated string")
                val c = s[i++]
                when (c) {
                    '"' -> return sb.toString()
                    '\\' -> {
                        if (i >= s.length) throw fail("unterminated escape")
                        when (val e = s[i++]) {
                            '"' -> sb.append('"')
                            '\\' -> sb.append('\\')
                            '/' -> sb.append('/')
                            'b' -> sb.append('\b')
                            'f' -> sb.append('\u000C')
                            'n' -> sb.append('\n')
                            'r' -> sb.append('\r')
                            't' -> sb.append('\t')
                            'u' -> {
                                if (i + 4 > s.length) throw fail("short \\u escape")
                                val hex = s.substring(i, i + 4)
                                if (!hex.all { it in '0'..'9' || it in 'a'..'f' || it in 'A'..'F' }) throw fail("bad \\u escape")
                                sb.append(hex.toInt(16).toChar())
                                i += 4
                            }
                            else -> throw fail("bad escape \\$e")
                        }
                    }
                    else -> sb.append(c)
                }
            }
        }

        /** JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (no `01`, `.5`, `+1`). */
        fun num(): Any {
            val start = i
            if (i < s.length && s[i] == '-') i++
            if (i >= s.length || !isDigit(s[i])) throw fail("unexpected character")
            if (s[i] == '0') i++ else digits()
            if (i < s.length && isDigit(s[i])) throw fail("leading zero")
            if (i < s.length && s[i] == '.') {
                i++
                if (i >= s.length || !isDigit(s[i])) throw fail("digits expected after '.'")
                digits()
            }
            if (i < s.length && (s[i] == 'e' || s[i] == 'E')) {
                i++
                if (i < s.length && (s[i] == '+' || s[i] == '-')) i++
                if (i >= s.length || !isDigit(s[i])) throw fail("digits expected in the exponent")
                digits()
            }
            val text = s.substring(start, i)
            val integral = text.none { it == '.' || it == 'e' || it == 'E' }
            if (integral) text.toLongOrNull()?.let { return it }
            val d = text.toDoubleOrNull() ?: throw fail("bad number $text")
            if (d.isInfinite()) throw fail("number out of range $text")
            return d
        }

        private fun isDigit(c: Char) = c in '0'..'9'

        private fun digits() {
            while (i < s.length && isDigit(s[i])) i++
        }
    }
}

/** A value that knows its JSON form (Parse types, typed function parameters). */
interface JsonEncodable {
    fun toJson(): Any?
}
