// Loads and uses the Kotlin SDKs generated from the awkward and wide300 fixtures (compiled with
// their runtime by tests/e2e/sdk-kotlin.test.js), without a server: prints `KEY=value` lines.
import hearth.sdk.*

fun out(key: String, value: Any?) = println("$key=$value")

/** A transport that answers through [answer] and records every request. */
class ScriptedTransport : HttpTransport {
    val sent = ArrayList<HttpRequest>()
    var answer: (HttpRequest) -> HttpResponse = { answer(200, "{}") }
    override fun send(request: HttpRequest): HttpResponse {
        sent.add(request)
        return answer(request)
    }
}

fun answer(status: Int, body: String) = HttpResponse(status, emptyMap(), body.toByteArray())

/** A WebSocket that records the frames sent; the test plays the server through the listener. */
class FakeSocket : WebSocketConnection, WebSocketFactory {
    val frames = ArrayList<String>()
    var listener: WebSocketListener? = null
    override fun send(text: String) {
        frames.add(text)
    }
    override fun close() {}
    override fun open(url: String, listener: WebSocketListener): WebSocketConnection {
        this.listener = listener
        return this
    }
}

/** The runtime's behaviour against a scripted server: sessions, operators, retries, LiveQuery errors. */
fun scripted() {
    val t = ScriptedTransport()
    val c = ParseClient(ParseConfig("s", "ck", "http://127.0.0.1:9/parse", transport = t))
    c.config.retryDelayMs = 1
    // A 209 for an older token leaves the newer session alone; one for the current token ends it.
    c.setSession("A", null)
    t.answer = { c.setSession("B", null); answer(400, "{\"code\":209,\"error\":\"invalid session token\"}") }
    try { c.request("GET", "/classes/X") } catch (e: ParseException) {}
    val afterLate = c.sessionToken
    t.answer = { answer(400, "{\"code\":209,\"error\":\"invalid session token\"}") }
    try { c.request("GET", "/classes/X") } catch (e: ParseException) {}
    out("LATE_209", "$afterLate ${c.sessionToken}")
    // become() keeps the session it had when the token is refused; log-out takes 209 as done, sends {} once.
    c.setSession("C", null)
    val refused = try { ParseUserBase.become("bad", { ParseUserBase() }, c); "accepted" } catch (e: ParseException) { e.code.toString() }
    out("BECOME_REFUSED", "$refused ${c.sessionToken} ${t.sent.last().headers["X-Parse-Session-Token"]}")
    t.answer = { answer(200, "{\"objectId\":\"u9\",\"username\":\"u\"}") }
    val became = ParseUserBase.become("good", { ParseUserBase() }, c)
    out("BECOME_OK", "${became.objectId} ${c.sessionToken} ${ParseUserBase.current({ ParseUserBase() }, c)?.sessionToken}")
    t.answer = { answer(400, "{\"code\":209,\"error\":\"invalid session token\"}") }
    t.sent.clear()
    ParseUserBase.logOut(c)
    val logout = t.sent.single()
    out("LOGOUT_209", "${c.sessionToken} ${String(logout.body!!)} ${logout.headers.containsKey("X-Parse-Request-Id")}")
    // Only object writes are retried; uploads and functions are sent once, without a request id.
    t.answer = { answer(503, "{\"code\":1,\"error\":\"busy\"}") }
    t.sent.clear()
    try { c.runRaw("f", null) } catch (e: ParseException) {}
    val functionSends = t.sent.size
    t.sent.clear()
    try { c.uploadFile("a.txt", "a".toByteArray()) } catch (e: ParseException) {}
    val uploadSends = t.sent.size
    t.sent.clear()
    try { ParseObject("X").save(c) } catch (e: ParseException) {}
    out("RETRIES", "$functionSends $uploadSends ${t.sent.size} ${t.sent.map { it.headers["X-Parse-Request-Id"] }.toSet().size}")
    // Retry-After: seconds (capped), an HTTP date, nonsense and negative values fall back to the backoff.
    val soon = java.text.SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss zzz", java.util.Locale.US).apply { timeZone = java.util.TimeZone.getTimeZone("GMT") }.format(java.util.Date(System.currentTimeMillis() + 5000))
    val fromDate = c.retryDelay(1, soon)
    out("RETRY_AFTER", "${c.retryDelay(1, "2")} ${c.retryDelay(1, "100")} ${c.retryDelay(1, "-5")} ${c.retryDelay(2, "soon")} ${fromDate in 3000..5000}")
    // Operators on one field merge.
    val o = ParseObject("X")
    o.objectId = "x"
    o.increment("a", 1)
    o.increment("a", 2)
    o.set("b", 10)
    o.increment("b", 1)
    o.add("c", listOf(1))
    o.add("c", listOf(2))
    o.add("d", listOf(1))
    o.remove("d", listOf(1))
    o.unset("e")
    o.increment("e", 4)
    out("OPS", Json.stringify(o.changesJson(), true))
    // Changes made while a save is in flight are the next save's; a failed save keeps its changes.
    t.answer = { o.increment("a", 10); answer(200, "{\"updatedAt\":\"2020-01-01T00:00:00.000Z\"}") }
    o.save(c)
    val inFlight = Json.stringify(o.changesJson(), true)
    t.answer = { answer(400, "{\"code\":111,\"error\":\"bad type\"}") }
    o.increment("a", 5)
    try { o.save(c) } catch (e: ParseException) {}
    out("OPS_IN_FLIGHT", "$inFlight ${Json.stringify(o.changesJson(), true)}")
    // A long query goes as POST with _method GET, once.
    t.sent.clear()
    t.answer = { answer(200, "{\"results\":[]}") }
    ParseObject("X").let { Query("X") { ParseObject("X") }.whereRaw("k", mapOf("\$in" to (1..600).map { "v$it" })).find(c) }
    val long = t.sent.single()
    out("LONG_QUERY", "${long.method} ${long.url.substringAfter("/parse")} ${(Json.parse(String(long.body!!)) as Map<*, *>)["_method"]}")
    // A cache store that fails is a miss, never an error.
    val broken = object : KeyValueStore {
        override fun get(key: String): String? = throw IllegalStateException("store down")
        override fun set(key: String, value: String) = throw IllegalStateException("store down")
        override fun remove(key: String) = throw IllegalStateException("store down")
    }
    val c2 = ParseClient(ParseConfig("s", "ck", "http://127.0.0.1:9/parse", transport = t, cacheStore = broken))
    out("BROKEN_CACHE", Query("X") { ParseObject("X") }.find(c2, CachePolicy.NETWORK_ELSE_CACHE).size)
    // LiveQuery: keys in subscribe; a subscription's error ends it and reaches its onError; a
    // connection error with reconnect:false ends all and closes; subscribe after close throws.
    val ws = FakeSocket()
    c.config.webSocketFactory = ws
    val live = c.liveQuery()
    val heard = ArrayList<String>()
    val s1 = live.subscribe(Query<ParseObject>("X") { ParseObject("X") }.select(StringField<ParseObject>("name")), { ParseObject("X") }, onError = { heard.add("s1 ${it.code}") }) { _, _ -> }
    val q2 = Query<ParseObject>("X") { ParseObject("X") }
    val s2 = live.subscribe(q2, { ParseObject("X") }, onError = { heard.add("s2 ${it.code}") }) { _, _ -> }
    ws.listener!!.onOpen(ws)
    ws.listener!!.onMessage("{\"op\":\"connected\"}")
    ws.listener!!.onMessage("{\"op\":\"subscribed\",\"requestId\":${s1.requestId}}")
    ws.listener!!.onMessage("{\"op\":\"subscribed\",\"requestId\":${s2.requestId}}")
    val subscribes = ws.frames.filter { it.contains("\"subscribe\"") }.size.toString() + " " + ws.frames.any { it.contains("\"keys\":[\"name\"]") }
    ws.listener!!.onMessage("{\"op\":\"error\",\"code\":209,\"error\":\"session ended\",\"reconnect\":false,\"requestId\":${s1.requestId}}")
    val afterOne = "${s1.ended} ${s1.subscribed} ${s2.ended}"
    ws.listener!!.onMessage("{\"op\":\"error\",\"code\":1,\"error\":\"going away\",\"reconnect\":false}")
    val closed = try { live.subscribe(q2, { ParseObject("X") }) { _, _ -> }; "accepted" } catch (e: IllegalStateException) { "refused" }
    out("LIVE_ERRORS", "$subscribes $afterOne ${s2.ended} $heard $closed")
}

fun main() {
    scripted()
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
    for (bad in listOf("{\"a\":}", "[1,]", "\"open", "01x", "{} {}", "01", ".5", "+1", "1.", "-", "1e", "1e999", "\"\\u-001\"")) {
        try {
            Json.parse(bad)
            out("JSON_BAD", "parsed $bad")
        } catch (e: ParseException) {
            out("JSON_BAD", e.code)
        }
    }
}
