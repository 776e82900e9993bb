package hearth.sdk

import java.io.IOException
import java.net.URLEncoder
import java.util.UUID
import java.util.concurrent.Executor
import java.util.concurrent.Executors

/**
 * How a [ParseClient] is set up. The application id and server URL default to the app the SDK was
 * generated for (see the generated `HearthApp`); the client key is the app's JavaScript or client
 * key (never the master key in an app).
 */
class ParseConfig(
    val applicationId: String,
    val clientKey: String?,
    val serverUrl: String,
    var transport: HttpTransport = UrlConnectionTransport(),
    var sessionStore: KeyValueStore = MemoryStore(),
    var cacheStore: KeyValueStore = MemoryStore(),
    var clock: () -> Long = { System.currentTimeMillis() },
    /**
     * Attempts per object write (1 = no retry). Object writes and batches carry `X-Parse-Request-Id`, so a retry the server
     * already applied is answered from its record; reads are retried too; uploads, cloud functions and log-out are sent once.
     */
    var maxAttempts: Int = 3,
    var retryDelayMs: Long = 250,
    /** The longest wait between attempts, `Retry-After` included. */
    var maxRetryDelayMs: Long = 10000,
    /** Where the `...Async` variants run; a small shared pool by default. */
    var executor: Executor = DEFAULT_EXECUTOR,
    /** Opens LiveQuery connections; null = the JDK's `java.net.http.WebSocket` (JVM 11+; Android apps plug OkHttp in). */
    var webSocketFactory: WebSocketFactory? = null,
    /** Sent as `X-Parse-Client-Key`; Hearth also accepts `X-Parse-JavaScript-Key`. */
    var keyHeader: String = "X-Parse-Client-Key"
) {
    companion object {
        val DEFAULT_EXECUTOR: Executor by lazy {
            Executors.newFixedThreadPool(4) { r ->
                val t = Thread(r, "hearth-sdk")
                t.isDaemon = true
                t
            }
        }
    }
}

/** An answer of an asynchronous call: exactly one of [result] and [error] is set. */
interface Callback<T> {
    fun onResult(result: T?, error: ParseException?)
}

/**
 * The connection to one app's Parse API: requests with retries, the current user's session, the
 * offline cache, files and cloud functions. Models use [ParseClient.current] unless given one.
 */
class ParseClient(val config: ParseConfig) {
    val cache = ParseCache(config.cacheStore, config.clock)
    private val factories = HashMap<String, () -> ParseObject>()
    private val sessionLock = Any()
    @Volatile private var session: String? = config.sessionStore.get(sessionKey())

    companion object {
        @Volatile private var shared: ParseClient? = null

        /** The client set by the generated `HearthApp.initialize`. */
        fun current(): ParseClient = shared ?: throw IllegalStateException("call HearthApp.initialize(clientKey) first")

        fun setCurrent(client: ParseClient) {
            shared = client
        }
    }

    /** Registers the model class made for [className] (the generated `Models.register` does it for every class). */
    fun register(className: String, make: () -> ParseObject) {
        factories[className] = make
    }

    /** A new, empty object of [className]: its model when one is registered, else a plain [ParseObject]. */
    fun create(className: String): ParseObject = factories[className]?.invoke() ?: ParseObject(className)

    /** Builds the model of a class name (for decoding pointers and included objects). */
    val factory: (String) -> ParseObject = { create(it) }

    // --- sessions -------------------------------------------------------------------------------------

    private fun sessionKey() = config.applicationId + "|sessionToken"
    private fun userKey() = config.applicationId + "|currentUser"

    /** The current user's session token, if one is logged in. */
    val sessionToken: String? get() = session

    /**
     * Replaces (or with null forgets) the current user's session and stored copy. When the user or
     * its session changes, the offline cache is emptied: it held what the previous session could see.
     */
    internal fun setSession(token: String?, user: ParseObject?) {
        synchronized(sessionLock) {
            val before = session
            val beforeUser = if (user != null) currentUserData()?.objectId else null
            session = token
            if (token == null) {
                config.sessionStore.remove(sessionKey())
                config.sessionStore.remove(userKey())
            } else {
                config.sessionStore.set(sessionKey(), token)
                if (user != null) config.sessionStore.set(userKey(), Json.stringify(user.toServerJson()))
            }
            if (before != token || (beforeUser != null && beforeUser != user?.objectId)) clearCache()
        }
    }

    /** Forgets the session when it is still [token] (a late 209 for an older session must not end a newer one). */
    private fun dropSession(token: String) {
        synchronized(sessionLock) {
            if (session == token) setSession(null, null)
        }
    }

    private fun clearCache() {
        try {
            cache.clear()
        } catch (e: Exception) {
            // The cache is best effort; a store that fails must not fail a log-in.
        }
    }

    /** The logged-in user as stored (no request), or null. */
    fun currentUserData(): ParseObject? {
        val text = config.sessionStore.get(userKey()) ?: return null
        val o = create("_User")
        @Suppress("UNCHECKED_CAST")
        o.mergeServerData(Json.parse(text) as Map<String, Any?>, factory)
        return o
    }

    // --- requests -------------------------------------------------------------------------------------

    private fun pathPrefix(): String = java.net.URI(config.serverUrl).path.trimEnd('/')

    /** The path of [path] as `/batch` wants it (the server URL's path, e.g. `/parse/classes/X`). */
    fun batchPath(path: String): String = pathPrefix() + path

    /**
     * Sends a request below the server URL and answers the parsed JSON. The body is serialised once;
     * a write carries one `X-Parse-Request-Id`, and every retry resends the same bytes, id and
     * session: on no answer, on 5xx and on 429 (honouring `Retry-After`), up to `maxAttempts`.
     */
    fun request(method: String, path: String, body: Any? = null, query: Map<String, Any?>? = null, useSession: Boolean = true, retry: Boolean = true, sessionToken: String? = null): Any? {
        val bytes = if (body == null) null else Json.stringify(body).toByteArray(Charsets.UTF_8)
        return send(method, path, bytes, "application/json", query, useSession, retry, sessionToken)
    }

    /**
     * Sends raw [bytes]. [retry] false sends once (the server replays only object writes and
     * batches, so an upload, a function call or a log-out sent twice would run twice);
     * [sessionToken] is sent instead of the current one when given.
     */
    fun send(method: String, path: String, bytes: ByteArray?, contentType: String?, query: Map<String, Any?>? = null, useSession: Boolean = true, retry: Boolean = true, sessionToken: String? = null): Any? {
        val headers = LinkedHashMap<String, String>()
        headers["X-Parse-Application-Id"] = config.applicationId
        config.clientKey?.let { headers[config.keyHeader] = it }
        val token = sessionToken ?: if (useSession) session else null
        if (token != null) headers["X-Parse-Session-Token"] = token
        if (bytes != null && contentType != null) headers["Content-Type"] = contentType
        if (method != "GET" && retry) headers["X-Parse-Request-Id"] = UUID.randomUUID().toString()
        val url = config.serverUrl.trimEnd('/') + path + queryString(query)
        val request = HttpRequest(method, url, headers, bytes)
        val attempts = if (retry) config.maxAttempts else 1
        var attempt = 0
        while (true) {
            attempt++
            val last = attempt >= attempts
            val response: HttpResponse
            try {
                response = config.transport.send(request)
            } catch (e: IOException) {
                if (last) throw ParseException(ParseException.CONNECTION_FAILED, "the server could not be reached: " + e.message, true, e)
                pause(attempt, null)
                continue
            }
            if ((response.status >= 500 || response.status == 429) && !last) {
                pause(attempt, response.headers["retry-after"])
                continue
            }
            return answer(response, token)
        }
    }

    /** The wait before the next attempt: `Retry-After` (seconds or an HTTP date) when usable, else exponential backoff; at most `maxRetryDelayMs`. */
    internal fun retryDelay(attempt: Int, retryAfter: String?): Long {
        val cap = Math.max(0L, config.maxRetryDelayMs)
        val text = retryAfter?.trim()
        if (text != null && text.isNotEmpty()) {
            val ms = text.toLongOrNull()?.let { if (it > Long.MAX_VALUE / 1000) Long.MAX_VALUE else it * 1000 } ?: try {
                val format = java.text.SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss zzz", java.util.Locale.US)
                format.parse(text).time - System.currentTimeMillis()
            } catch (e: java.text.ParseException) {
                null
            }
            if (ms != null && ms >= 0) return Math.min(ms, cap)
        }
        return Math.min(config.retryDelayMs * (1L shl (attempt - 1).coerceAtMost(6)), cap).coerceAtLeast(0L)
    }

    private fun pause(attempt: Int, retryAfter: String?) {
        try {
            Thread.sleep(retryDelay(attempt, retryAfter))
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            throw ParseException(ParseException.OTHER_CAUSE, "interrupted", false, e)
        }
    }

    private fun answer(response: HttpResponse, token: String?): Any? {
        val text = response.text()
        val doc = if (text.length == 0) null else try {
            Json.parse(text)
        } catch (e: ParseException) {
            if (response.status >= 400) throw ParseException(ParseException.OTHER_CAUSE, "HTTP " + response.status + ": " + text.take(200))
            throw e
        }
        if (response.status >= 400) {
            val m = doc as? Map<*, *>
            val code = Codec.asLong(m?.get("code"))?.toInt() ?: ParseException.OTHER_CAUSE
            val message = m?.get("error") as? String ?: "HTTP " + response.status
            if (code == ParseException.INVALID_SESSION_TOKEN && token != null) dropSession(token)
            throw ParseException(code, message)
        }
        return doc
    }

    private fun queryString(query: Map<String, Any?>?): String {
        if (query == null || query.isEmpty()) return ""
        val parts = ArrayList<String>()
        for ((k, v) in query) {
            if (v == null) continue
            val s = if (v is String) v else Json.stringify(v)
            parts.add(URLEncoder.encode(k, "UTF-8") + "=" + URLEncoder.encode(s, "UTF-8"))
        }
        return if (parts.isEmpty()) "" else "?" + parts.joinToString("&")
    }

    /** Runs [work] on the configured executor and hands its result or error to [callback]. */
    fun <T> async(work: () -> T, callback: Callback<T>) {
        config.executor.execute {
            val result = try {
                work()
            } catch (e: ParseException) {
                callback.onResult(null, e)
                return@execute
            } catch (e: Throwable) {
                // Anything else (an Error too) is reported rather than killing the pool's thread.
                callback.onResult(null, ParseException(ParseException.OTHER_CAUSE, e.toString(), false, e))
                return@execute
            }
            callback.onResult(result, null)
        }
    }

    // --- files and functions ----------------------------------------------------------------------------

    /** Uploads [bytes] as a file named [name]; answers the stored file (its final name and URL). */
    fun uploadFile(name: String, bytes: ByteArray, contentType: String = "application/octet-stream"): ParseFile {
        val doc = send("POST", "/files/" + URLEncoder.encode(name, "UTF-8").replace("+", "%20"), bytes, contentType, retry = false) as? Map<*, *>
            ?: throw ParseException(ParseException.OTHER_CAUSE, "the upload's answer has no name")
        return ParseFile(doc["name"] as? String ?: name, doc["url"] as? String)
    }

    /** The bytes of a stored file (fetched from its URL through the transport, no retry of the server's errors). */
    fun downloadFile(file: ParseFile): ByteArray {
        val url = file.url ?: throw ParseException(ParseException.OTHER_CAUSE, "the file ${file.name} has no url")
        val response = try {
            config.transport.send(HttpRequest("GET", url, emptyMap(), null))
        } catch (e: IOException) {
            throw ParseException(ParseException.CONNECTION_FAILED, "the server could not be reached: " + e.message, true, e)
        }
        if (response.status < 200 || response.status >= 300) throw ParseException(ParseException.OTHER_CAUSE, "downloading ${file.name} answered ${response.status}")
        return response.body
    }

    /** A stored text file, decoded as UTF-8. */
    fun downloadText(file: ParseFile): String = String(downloadFile(file), Charsets.UTF_8)

    /** Calls the cloud function [name] with JSON [params]; answers its `result` (decoded: dates, pointers, files). Sent once (never retried: the server does not replay functions). */
    fun run(name: String, params: Map<String, Any?> = emptyMap()): Any? = Codec.decode(runRaw(name, Codec.encode(params)), factory)

    /** The same as [run], raw: the JSON `result` as sent. */
    fun runRaw(name: String, params: Any?): Any? {
        val doc = request("POST", "/functions/" + URLEncoder.encode(name, "UTF-8"), params ?: emptyMap<String, Any?>(), retry = false) as? Map<*, *>
        return doc?.get("result")
    }

    /** Opens a LiveQuery connection (one per client is enough: it carries every subscription). */
    fun liveQuery(): LiveQueryClient = LiveQueryClient(this)
}
