// Drives the Kotlin SDK generated for the live test app (tests/e2e/sdk-kotlin.test.js): prints
// `KEY=value` lines the test asserts. Arguments: server URL, client key, a unique suffix. The test
// replaces APP_PACKAGE with the package of the app's code (it depends on the application id).
import APP_PACKAGE.*
import hearth.sdk.*
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URL
import java.util.Date
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/** A transport that can go down or lose one answer, and records the request ids it sends. */
class TestTransport(private val inner: HttpTransport) : HttpTransport {
    @Volatile var down = false
    @Volatile var loseNextPostAnswer = false
    val requestIds = ArrayList<String>()
    /** `METHOD path` of every request sent. */
    val sent = ArrayList<String>()

    override fun send(request: HttpRequest): HttpResponse {
        if (down) throw IOException("network down (test)")
        request.headers["X-Parse-Request-Id"]?.let { synchronized(requestIds) { requestIds.add(it) } }
        synchronized(sent) { sent.add(request.method + " " + URL(request.url).path) }
        val response = inner.send(request)
        if (loseNextPostAnswer && request.method == "POST") {
            loseNextPostAnswer = false
            throw IOException("answer lost (test)")
        }
        return response
    }
}

fun out(key: String, value: Any?) = println("$key=$value")

fun main(args: Array<String>) {
    val serverUrl = args[0]
    val clientKey = args[1]
    val suffix = args[2]
    val transport = TestTransport(UrlConnectionTransport())
    var now = System.currentTimeMillis()
    val sessions = MemoryStore()
    val client = HearthApp.initialize(clientKey, serverUrl) { c ->
        c.transport = transport
        c.clock = { now }
        c.retryDelayMs = 20
        c.sessionStore = sessions
    }
    out("APP", HearthApp.APPLICATION_ID)

    // Users: sign up, log out, log in; the session goes through the store.
    val user = ParseUser()
    user.username = "kt_$suffix"
    user.password = "secret-$suffix"
    user.email = "kt_$suffix@example.com"
    user.signUp()
    // The password is sent, never kept (nor written to the session store).
    out("NO_PASSWORD", user.password == null && sessions.get(HearthApp.APPLICATION_ID + "|currentUser")?.contains("secret-") == false)
    out("SIGNUP", user.objectId != null && client.sessionToken != null && sessions.get(HearthApp.APPLICATION_ID + "|sessionToken") == client.sessionToken)
    ParseUser.logOut()
    out("LOGGED_OUT", client.sessionToken == null && ParseUser.current() == null)
    val again = ParseUser.logIn("kt_$suffix", "secret-$suffix")
    out("LOGIN", again.objectId == user.objectId && ParseUser.current()?.username == "kt_$suffix")
    try {
        ParseUser.logIn("kt_$suffix", "wrong")
        out("BAD_LOGIN", "accepted")
    } catch (e: ParseException) {
        out("BAD_LOGIN", e.code)
    }
    ParseUser.logIn("kt_$suffix", "secret-$suffix")

    // The current user saved right after log-in, then again from the stored copy: the session stays.
    val me = ParseUser.current()!!
    me.email = "kt2_$suffix@example.com"
    me.save()
    val stored = ParseUser.current()!!
    stored.email = "kt3_$suffix@example.com"
    stored.save()
    out("USER_SAVED", client.sessionToken != null && (client.request("GET", "/users/me") as Map<*, *>)["email"] == "kt3_$suffix@example.com")
    // A password change ends the other sessions and answers a new token, which the SDK keeps.
    val tokenBefore = client.sessionToken
    val changing = ParseUser.current()!!
    changing.password = "secret2-$suffix"
    changing.save()
    val meAfter = try {
        (client.request("GET", "/users/me") as Map<*, *>)["objectId"]
    } catch (e: ParseException) {
        "error ${e.code}"
    }
    out("PASSWORD_CHANGED", client.sessionToken != null && client.sessionToken != tokenBefore && meAfter == user.objectId && ParseUser.current()?.sessionToken == client.sessionToken)
    ParseUser.logIn("kt_$suffix", "secret2-$suffix")

    // Files.
    val file = client.uploadFile("hello.txt", "hello from kotlin".toByteArray(), "text/plain")
    val fetched = (URL(file.url).openConnection() as HttpURLConnection).inputStream.use { String(it.readBytes()) }
    out("FILE", fetched)
    out("DOWNLOAD", client.downloadText(file))
    // An upload is not replayed by the server: a lost answer is reported, never sent again.
    synchronized(transport.sent) { transport.sent.clear() }
    transport.loseNextPostAnswer = true
    val lostUpload = try {
        client.uploadFile("lost.txt", "x".toByteArray(), "text/plain")
        "uploaded"
    } catch (e: ParseException) {
        "${e.code} ${e.isNetworkError}"
    }
    out("UPLOAD_ONCE", "$lostUpload ${synchronized(transport.sent) { transport.sent.count { it.startsWith("POST") && it.contains("/files/") } }}")

    // Save with every type.
    val team = Team()
    team.name = "Red $suffix"
    team.save()
    val birthday = Date(946684800123L)
    val p = Player()
    p.name = "Ada"
    p.score = 42.0
    p.active = true
    p.birthday = birthday
    p.meta = mapOf("level" to 3, "nested" to mapOf("ok" to true))
    p.tags = listOf("a", "b")
    p.owner = again
    p.team = team
    p.location = GeoPoint(48.85, 2.35)
    p.area = Polygon(listOf(GeoPoint(0.0, 0.0), GeoPoint(0.0, 1.0), GeoPoint(1.0, 1.0)))
    p.raw = byteArrayOf(1, 2, 3, 250.toByte())
    p.avatar = file
    val acl = ParseACL()
    acl.setPublicReadAccess(true)
    acl.setWriteAccess(again.objectId!!, true)
    p.acl = acl
    p.save()
    out("SAVED", p.objectId != null && p.createdAt != null)

    // Update with operators and a relation.
    p.increment("score", 8)
    p.addUnique("tags", listOf("b", "c"))
    p.fans.add(again)
    p.save()
    p.fetch()
    out("SCORE", p.score)
    out("TAGS", p.tags)
    // Operators on one field before a save merge; a second save after an increment needs no fetch.
    p.increment("score", 1)
    p.increment("score", 2)
    p.save()
    val afterTwo = Player.query().get(p.objectId!!).score
    p.increment("score", -3)
    p.save()
    val afterThree = Player.query().get(p.objectId!!).score
    p.score = 10.0
    p.increment("score", 40)
    p.save()
    out("INCREMENTS", "$afterTwo $afterThree ${Player.query().get(p.objectId!!).score} ${p.score}")
    p.add("tags", listOf("d"))
    p.add("tags", listOf("e"))
    p.remove("tags", listOf("d", "e"))
    p.save()
    out("ARRAY_OPS", Player.query().get(p.objectId!!).tags)

    // Typed queries.
    val found = Player.query()
        .where(Player.F.score.greaterThan(40), Player.F.name.equalTo("Ada"), Player.F.owner.equalTo(again))
        .include(Player.F.team)
        .find()
    val f = found.single()
    out("QUERY", found.size)
    out("INCLUDED_TEAM", f.team?.name == "Red $suffix")
    out("DATE", f.birthday == birthday)
    out("GEO", f.location == GeoPoint(48.85, 2.35) && f.area?.points?.size == 3)
    out("BYTES", f.raw?.toList() == listOf<Byte>(1, 2, 3, 250.toByte()))
    out("META", f.meta?.get("nested"))
    out("AVATAR", f.avatar?.name == file.name)
    out("OWNER", f.owner?.objectId == again.objectId)
    out("ACL", f.acl?.canRead("*") == true && f.acl?.canWrite(again.objectId!!) == true)
    out("COUNT", Player.query().where(Player.F.active.equalTo(true)).count())
    out("NONE", Player.query().where(Player.F.score.lessThan(0.0)).find().size)
    out("OR", Query.or(Player.query().where(Player.F.name.equalTo("nobody")), Player.query().where(Player.F.tags.contains("c"))).find().size)
    out("ORDER", Team.query().where(Team.F.name.startsWith("Red")).orderBy(Team.F.name.descending()).limit(5).find().size)
    out("RELATION", p.fans.query { ParseUser() }.find().map { it.objectId } == listOf(again.objectId))

    // Cloud functions: typed and untyped.
    val result = HearthApp.functions.score(CloudFunctions.ScoreParams(playerId = p.objectId!!, bonus = 5.0))
    out("FUNCTION", result.playerId == p.objectId && result.total == 15.0)
    out("HELLO", HearthApp.functions.hello(mapOf("name" to "Kotlin")))

    // Errors carry Parse codes.
    try {
        Player.query().get("doesnotexist")
        out("NOT_FOUND", "found")
    } catch (e: ParseException) {
        out("NOT_FOUND", e.code)
    }

    // Batch.
    val batch = (1..3).map { i -> Team().also { it.name = "Batch $i $suffix" } }
    ParseObject.saveAll(batch)
    out("BATCH_SAVED", Team.query().where(Team.F.name.startsWith("Batch")).count())
    ParseObject.deleteAll(batch)
    out("BATCH_DELETED", Team.query().where(Team.F.name.startsWith("Batch")).count())

    // Retry: the first answer of a create is lost; the SDK resends the same request id and the
    // server answers from its record: one object.
    synchronized(transport.requestIds) { transport.requestIds.clear() }
    transport.loseNextPostAnswer = true
    val retried = Team()
    retried.name = "Retry $suffix"
    retried.save()
    val ids = synchronized(transport.requestIds) { ArrayList(transport.requestIds) }
    out("RETRY_ATTEMPTS", ids.size)
    out("RETRY_SAME_ID", ids.toSet().size == 1)
    out("RETRY_OBJECTS", Team.query().where(Team.F.name.equalTo("Retry $suffix")).count())

    // Offline cache: fresh, expired, network down falls back to the stale answer.
    val cached = Team.query().where(Team.F.name.equalTo("Red $suffix"))
    out("CACHE_NETWORK", cached.find(cache = CachePolicy.NETWORK_ELSE_CACHE, ttlMs = 1000).size)
    out("CACHE_FRESH", client.cache.get(cached.cacheKey(client)) != null)
    transport.down = true
    out("CACHE_ELSE_NETWORK", cached.find(cache = CachePolicy.CACHE_ELSE_NETWORK).size)
    now += 5000
    out("CACHE_EXPIRED", client.cache.get(cached.cacheKey(client)) == null && client.cache.getCacheEntry(cached.cacheKey(client))?.expired == true)
    out("CACHE_STALE", cached.find(cache = CachePolicy.NETWORK_ELSE_CACHE).map { it.name })
    try {
        cached.find()
        out("NETWORK_DOWN", "answered")
    } catch (e: ParseException) {
        out("NETWORK_DOWN", "${e.code} ${e.isNetworkError}")
    }
    transport.down = false
    var first: Int? = null
    val then = cached.find(cache = CachePolicy.CACHE_THEN_NETWORK, ttlMs = 1000, onCached = { first = it.size })
    out("CACHE_THEN_NETWORK", "$first ${then.size}")
    // Cached answers were what this user could see: logging out empties the cache.
    val hadEntry = client.cache.get(cached.cacheKey(client)) != null
    ParseUser.logOut()
    out("CACHE_CLEARED", "$hadEntry ${client.cache.getCacheEntry(cached.cacheKey(client)) == null}")
    ParseUser.logIn("kt_$suffix", "secret2-$suffix")

    // Asynchronous variant.
    val latch = CountDownLatch(1)
    var asyncCount = -1
    Team.query().findAsync(object : Callback<List<Team>> {
        override fun onResult(result: List<Team>?, error: ParseException?) {
            asyncCount = result?.size ?: -1
            latch.countDown()
        }
    })
    latch.await(20, TimeUnit.SECONDS)
    out("ASYNC", asyncCount > 0)

    // LiveQuery: a subscription sees a create.
    val live = client.liveQuery()
    val event = CountDownLatch(1)
    var seen = ""
    val subscription = live.subscribe(Team.query().where(Team.F.name.equalTo("Live $suffix")), { Team() }) { ev, team ->
        seen = "$ev ${team.name}"
        event.countDown()
    }
    // The server acknowledges the subscription asynchronously: wait (bounded) before the create.
    val deadline = System.currentTimeMillis() + 20000
    while (!subscription.subscribed && System.currentTimeMillis() < deadline) Thread.sleep(20)
    out("SUBSCRIBED", subscription.subscribed)
    subscription.lastError?.let { out("SUBSCRIBE_ERROR", it) }
    val liveTeam = Team()
    liveTeam.name = "Live $suffix"
    liveTeam.save()
    event.await(20, TimeUnit.SECONDS)
    out("LIVE", seen)
    // Keys: the events carry only the fields asked for.
    val keyed = CountDownLatch(1)
    var keyedTeam: Team? = null
    val keysSub = live.subscribe(Team.query().where(Team.F.name.equalTo("Keys $suffix")).select(Team.F.name), { Team() }) { _, t ->
        keyedTeam = t
        keyed.countDown()
    }
    val keysDeadline = System.currentTimeMillis() + 20000
    while (!keysSub.subscribed && System.currentTimeMillis() < keysDeadline) Thread.sleep(20)
    val rankTeam = Team()
    rankTeam.name = "Keys $suffix"
    rankTeam.rank = 7.0
    rankTeam.save()
    keyed.await(20, TimeUnit.SECONDS)
    out("LIVE_KEYS", "${keyedTeam?.name == "Keys $suffix"} ${keyedTeam?.rank}")
    // A class that is not live: the server refuses the subscription, which is dropped.
    var heard: ParseException? = null
    val refused = live.subscribe(Player.query(), { Player() }, onError = { heard = it }) { _, _ -> }
    val until = System.currentTimeMillis() + 20000
    while (heard == null && System.currentTimeMillis() < until) Thread.sleep(20)
    out("LIVE_REFUSED", "${refused.lastError?.code} ${refused.subscribed} ${heard?.code} ${refused.ended}")
    live.close()
    out("LIVE_CLOSED", try {
        live.subscribe(Team.query(), { Team() }) { _, _ -> }
        "accepted"
    } catch (e: IllegalStateException) {
        "refused"
    })
    out("DONE", true)
    System.exit(0)
}
