package hearth.sdk

import java.net.URI
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionStage
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/** What a WebSocket tells the LiveQuery client. */
interface WebSocketListener {
    /** The socket is open; [connection] is the one [WebSocketFactory.open] answers (it may not have returned yet). */
    fun onOpen(connection: WebSocketConnection)
    fun onMessage(text: String)
    fun onClosed(code: Int, reason: String)
    fun onFailure(error: Throwable)
}

/** An open WebSocket. */
interface WebSocketConnection {
    fun send(text: String)
    fun close()
}

/**
 * Opens WebSockets. The default uses the JDK's `java.net.http.WebSocket` (JVM 11+); on Android
 * implement it with OkHttp's `newWebSocket` (a dozen lines, see the SDK's README).
 */
interface WebSocketFactory {
    fun open(url: String, listener: WebSocketListener): WebSocketConnection
}

/** The JDK's WebSocket client. */
class JdkWebSocketFactory : WebSocketFactory {
    private val http = java.net.http.HttpClient.newHttpClient()

    /** Sends in order without blocking: the JDK refuses a send while the previous one is pending. */
    private class Connection : WebSocketConnection {
        @Volatile var ws: java.net.http.WebSocket? = null
        private var last: CompletableFuture<*> = CompletableFuture.completedFuture(null)

        @Synchronized
        override fun send(text: String) {
            val socket = ws ?: return
            last = last.handle { _, _ -> null }.thenCompose { socket.sendText(text, true) }
        }

        override fun close() {
            ws?.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "")
        }
    }

    override fun open(url: String, listener: WebSocketListener): WebSocketConnection {
        val connection = Connection()
        val jdkListener = object : java.net.http.WebSocket.Listener {
            private val buffer = StringBuilder()

            override fun onOpen(webSocket: java.net.http.WebSocket) {
                connection.ws = webSocket
                listener.onOpen(connection)
                webSocket.request(1)
            }

            override fun onText(webSocket: java.net.http.WebSocket, data: CharSequence, last: Boolean): CompletionStage<*>? {
                buffer.append(data)
                if (last) {
                    val text = buffer.toString()
                    buffer.setLength(0)
                    listener.onMessage(text)
                }
                webSocket.request(1)
                return null
            }

            override fun onClose(webSocket: java.net.http.WebSocket, statusCode: Int, reason: String): CompletionStage<*>? {
                listener.onClosed(statusCode, reason)
                return null
            }

            override fun onError(webSocket: java.net.http.WebSocket, error: Throwable) = listener.onFailure(error)
        }
        http.newWebSocketBuilder().buildAsync(URI.create(url), jdkListener).whenComplete { _, error -> if (error != null) listener.onFailure(error) }
        return connection
    }
}

/** What happens to the objects a subscription watches. */
enum class LiveEvent { CREATE, ENTER, UPDATE, LEAVE, DELETE }

/** One LiveQuery subscription; its handler gets each event with the object (typed to the model). */
class Subscription<T : ParseObject> internal constructor(
    internal val requestId: Int,
    internal val query: Query<T>,
    internal val make: () -> T,
    internal val handler: (LiveEvent, T) -> Unit
) {
    @Volatile var subscribed: Boolean = false
        internal set
    @Volatile var lastError: ParseException? = null
        internal set
    /** Called when the server ends this subscription (refused, or its session ended) or the connection with an error. */
    @Volatile var onError: ((ParseException) -> Unit)? = null
    /** Whether the subscription is over (an error ended it, or it was unsubscribed). */
    @Volatile var ended: Boolean = false
        internal set

    internal fun fail(e: ParseException) {
        lastError = e
        subscribed = false
        ended = true
        onError?.invoke(e)
    }
}

/**
 * LiveQuery over one WebSocket to the server URL (`/parse`, ws/wss): `connect`, `subscribe`,
 * `unsubscribe`; on a dropped connection it reconnects with backoff and subscribes again.
 */
class LiveQueryClient(private val client: ParseClient) : WebSocketListener {
    private val subscriptions = ConcurrentHashMap<Int, Subscription<*>>()
    private val ids = AtomicInteger(0)
    private val timer: ScheduledExecutorService = Executors.newSingleThreadScheduledExecutor { r ->
        val t = Thread(r, "hearth-livequery")
        t.isDaemon = true
        t
    }
    @Volatile private var socket: WebSocketConnection? = null
    @Volatile private var connected = false
    @Volatile private var closed = false
    @Volatile private var attempts = 0

    /** Fired when the server acknowledges `connect`. */
    @Volatile var onConnected: (() -> Unit)? = null
    /** Errors the server reports about the connection. */
    @Volatile var onError: ((ParseException) -> Unit)? = null

    fun url(): String {
        val u = URI(client.config.serverUrl)
        val scheme = if (u.scheme == "https") "wss" else "ws"
        return URI(scheme, u.userInfo, u.host, u.port, u.path, null, null).toString()
    }

    /** Opens the connection (done by the first [subscribe] too). */
    @Synchronized
    fun open() {
        if (socket != null || closed) return
        val factory = client.config.webSocketFactory ?: defaultFactory().also { client.config.webSocketFactory = it }
        socket = factory.open(url(), this)
    }

    /**
     * Watches objects matching [query]; [make] builds models (the generated `query()`'s model).
     * [onError] hears the server ending the subscription (set it here so no error is missed).
     * Throws [IllegalStateException] once [close] was called.
     */
    fun <T : ParseObject> subscribe(query: Query<T>, make: () -> T, onError: ((ParseException) -> Unit)? = null, handler: (LiveEvent, T) -> Unit): Subscription<T> {
        val s = Subscription(ids.incrementAndGet(), query, make, handler)
        s.onError = onError
        synchronized(this) {
            check(!closed) { "this LiveQuery client is closed" }
            subscriptions[s.requestId] = s
            open()
            // Under the lock that `connected` is handled in: either that pass sends it or this one.
            if (connected) sendSubscribe(s)
        }
        return s
    }

    fun unsubscribe(subscription: Subscription<*>) {
        subscription.ended = true
        if (subscriptions.remove(subscription.requestId) == null) return
        if (connected) send(mapOf("op" to "unsubscribe", "requestId" to subscription.requestId))
    }

    /** Closes the connection for good (and ends every subscription). */
    fun close() {
        val s: WebSocketConnection?
        synchronized(this) {
            closed = true
            connected = false
            s = socket
            socket = null
            for (sub in subscriptions.values) sub.ended = true
            subscriptions.clear()
        }
        s?.close()
        timer.shutdownNow()
    }

    /** The JDK's WebSocket (JVM 11+); Android has none, so there an app must configure a factory. */
    private fun defaultFactory(): WebSocketFactory {
        try {
            Class.forName("java.net.http.WebSocket")
        } catch (e: ClassNotFoundException) {
            throw ParseException(ParseException.OTHER_CAUSE, "this platform has no java.net.http.WebSocket: set ParseConfig.webSocketFactory (for example over OkHttp) to use LiveQuery", false, e)
        }
        return JdkWebSocketFactory()
    }

    private fun send(msg: Map<String, Any?>) {
        socket?.send(Json.stringify(msg))
    }

    private fun sendSubscribe(s: Subscription<*>) {
        val q = LinkedHashMap<String, Any?>()
        q["className"] = s.query.className
        q["where"] = s.query.whereJson()
        s.query.selectedKeys()?.let { q["keys"] = it }
        val msg = LinkedHashMap<String, Any?>()
        msg["op"] = "subscribe"
        msg["requestId"] = s.requestId
        msg["query"] = q
        client.sessionToken?.let { msg["sessionToken"] = it }
        send(msg)
    }

    override fun onOpen(connection: WebSocketConnection) {
        socket = connection
        val msg = LinkedHashMap<String, Any?>()
        msg["op"] = "connect"
        msg["applicationId"] = client.config.applicationId
        client.config.clientKey?.let { msg["clientKey"] = it }
        client.sessionToken?.let { msg["sessionToken"] = it }
        send(msg)
    }

    override fun onMessage(text: String) {
        val m = try {
            Json.parse(text) as? Map<*, *>
        } catch (e: ParseException) {
            null
        } ?: return
        val requestId = Codec.asLong(m["requestId"])?.toInt()
        when (val op = m["op"]) {
            "connected" -> {
                synchronized(this) {
                    if (closed) return
                    connected = true
                    attempts = 0
                    for (s in subscriptions.values) sendSubscribe(s)
                }
                onConnected?.invoke()
            }
            "subscribed" -> subscriptions[requestId]?.subscribed = true
            "error" -> {
                val e = ParseException(Codec.asLong(m["code"])?.toInt() ?: ParseException.OTHER_CAUSE, m["error"] as? String ?: "LiveQuery error")
                if (requestId != null) {
                    // This subscription is over (refused, or its session ended): it is not sent again on reconnect.
                    val s = subscriptions.remove(requestId) ?: return
                    s.fail(e)
                    return
                }
                // An error of the connection (a refused connect: bad key, expired session, a hook said no):
                // every subscription hears it. A refusal before `connected` or `reconnect: false` ends the connection.
                val stop = !connected || m["reconnect"] == false
                val all = ArrayList(subscriptions.values)
                for (s in all) {
                    if (stop || !s.subscribed) {
                        subscriptions.remove(s.requestId)
                        s.fail(e)
                    } else {
                        s.lastError = e
                        s.onError?.invoke(e)
                    }
                }
                onError?.invoke(e)
                if (stop || subscriptions.isEmpty()) close()
            }
            "create", "enter", "update", "leave", "delete" -> {
                val s = subscriptions[requestId ?: return] ?: return
                @Suppress("UNCHECKED_CAST")
                deliver(s as Subscription<ParseObject>, LiveEvent.valueOf((op as String).toUpperCase()), m["object"] as? Map<String, Any?> ?: return)
            }
        }
    }

    private fun <T : ParseObject> deliver(s: Subscription<T>, event: LiveEvent, doc: Map<String, Any?>) {
        val o = s.make()
        o.mergeServerData(doc, client.factory)
        s.handler(event, o)
    }

    override fun onClosed(code: Int, reason: String) = reconnect()

    override fun onFailure(error: Throwable) = reconnect()

    private fun reconnect() {
        connected = false
        socket = null
        for (s in subscriptions.values) s.subscribed = false
        if (closed || subscriptions.isEmpty()) return
        val delay = Math.min(30000L, 500L * (1L shl attempts.coerceAtMost(6)))
        attempts++
        try {
            timer.schedule({ open() }, delay, TimeUnit.MILLISECONDS)
        } catch (e: java.util.concurrent.RejectedExecutionException) {
            // closed meanwhile
        }
    }
}
