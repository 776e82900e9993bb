// Loads and uses the Kotlin SDKs generated from the awkward and wide300 fixtures (compiled with
// their runtime by tests/e2e/sdk-kotlin.test.js), without a server: prints `KEY=value` lines.
import hearth.sdk.*

fun out(key: String, value: Any?) = println("$key=$value")

fun main() {
    val client = ParseClient(ParseConfig("fixture", null, "http://127.0.0.1:9/parse"))
    hearth.fixture_app.Models.register(client)
    hearth.awkward.Models.register(client)

    // 300 fields and a pointer: the class loads, every property works, the JSON holds them all.
    val wide = hearth.fixture_app.Wide()
    wide.f000 = "first"
    wide.f001 = 1.5
    wide.f002 = true
    wide.p300 = client.create("_User").also { it.objectId = "u1" }
    val body = wide.changesJson()
    out("WIDE_FIELDS", hearth.fixture_app.Wide::class.java.declaredMethods.count { it.name.startsWith("get") })
    out("WIDE_BODY", Json.stringify(body, true))
    val back = hearth.fixture_app.Wide()
    back.mergeServerData(Json.parse(Json.stringify(mapOf("objectId" to "w1", "f000" to "x", "f001" to 2, "p300" to mapOf("__type" to "Pointer", "className" to "_User", "objectId" to "u2")))) as Map<String, Any?>, client.factory)
    out("WIDE_READ", "${back.f000} ${back.f001} ${back.p300?.objectId}")
    out("WIDE_QUERY", Json.stringify(hearth.fixture_app.Wide.query().where(hearth.fixture_app.Wide.F.f001.greaterThan(1)).params(), true))

    // Keywords, case twins, `_` names, clashes with core types.
    val k = hearth.awkward.Keywords()
    k.`in` = "in"
    k.`is` = "is"
    k.class__088911 = "class"
    k._private = "private"
    k.String = "string field"
    out("KEYWORDS", Json.stringify(k.changesJson(), true))
    val c = hearth.awkward.`class`()
    c.value = "v"
    c.parent = c
    out("CLASS_MODEL", hearth.awkward.`class`.CLASS_NAME + " " + hearth.awkward.`in`.CLASS_NAME + " " + hearth.awkward.String_.CLASS_NAME)
    out("TWINS", listOf(hearth.awkward.Item_652bcc.CLASS_NAME, hearth.awkward.item_4a33ea.CLASS_NAME, hearth.awkward.ITEM_8550f3.CLASS_NAME).joinToString(","))
    out("QUERY", Json.stringify(hearth.awkward.Keywords.query().where(hearth.awkward.Keywords.F.`in`.equalTo("x")).params(), true))
    out("PARAMS", Json.stringify(hearth.awkward.CloudFunctions.ClassParams(`in` = "x", default = 2.0).toJson(), true))
    out("DECODED", client.create("class") is hearth.awkward.`class`)

    // The SDK's own JSON codec.
    val tricky = "a\"b\\c\u0001\u00e9\ud83d\ude00\n/"
    out("JSON_STRING", Json.parse(Json.stringify(tricky)) == tricky)
    out("JSON_NUMBERS", Json.stringify(Json.parse("[1, -0.5, 1e3, 12345678901234, true, null, {}, []]")))
    out("JSON_UNICODE", Json.parse("\"\\u00e9\\ud83d\\ude00\"") == "\u00e9\ud83d\ude00")
    out("JSON_BIG", Json.stringify(listOf(java.math.BigDecimal("1.5"), java.math.BigInteger("123456789012345678901234"))))
    out("JSON_LONE_SURROGATE", Json.stringify("a\ud83d") + " " + (Json.parse(Json.stringify("\ude00b")) == "\ude00b"))
    out("DATE_MICROS", Codec.formatDate(Codec.parseDate("2020-01-02T03:04:05.123456Z")!!))
    out("BASE64", Json.stringify(Codec.encode(byteArrayOf(1, 2, 3, 250.toByte()))))
    out("BASE64_ROUNDTRIP", (0..7).all { n -> val b = ByteArray(n) { (it * 37 + 200).toByte() }; (Codec.decode(Codec.encode(b), client.factory) as ByteArray).toList() == b.toList() })
    for (bad in listOf("{\"a\":}", "[1,]", "\"open", "01x", "{} {}", "01", ".5", "+1", "1.", "-", "1e", "\"\\u-001\"")) {
        try {
            Json.parse(bad)
            out("JSON_BAD", "parsed $bad")
        } catch (e: ParseException) {
            out("JSON_BAD", e.code)
        }
    }
}
